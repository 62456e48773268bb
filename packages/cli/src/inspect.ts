import {
  formatAddress,
  type NodeAddress,
  type ResolvedSentinelClientOptions,
} from '@sentinelkit/core';
import {
  applyNatMap,
  classifyConnectionError,
  closedBeforeReplyHint,
  closeNow,
  dataNodeOptions,
  parseReplicaList,
  parseReplicationInfo,
  parseRole,
  parseSentinelInfo,
  redactSecrets,
  secretsOf,
  sentinelOptions,
} from '@sentinelkit/core/internal';
import { Redis, type RedisOptions } from 'ioredis';
import {
  type DeploymentReport,
  type MasterReport,
  parseAddress,
  type ReplicaReport,
  replicaReportOf,
  type SentinelReport,
} from './report.js';

/**
 * Looks at a live deployment through its sentinels and then each node
 * directly, every step bounded by `sentinelTimeout` (for nodes: `connectTimeout`).
 * Never writes anything anywhere.
 */
export async function inspectDeployment(
  options: ResolvedSentinelClientOptions,
): Promise<DeploymentReport> {
  const secrets = secretsOf(options);
  const redact = (error: unknown) =>
    redactSecrets(error instanceof Error ? error.message : String(error), secrets);
  const checkedAt = Date.now();
  const name = options.masterName;

  const answers = await Promise.all(
    options.sentinels.map((address) =>
      withConnection(sentinelOptions(options, address), async (redis) => {
        const [master, state, replicas, peers, quorum] = await Promise.all([
          redis.call('SENTINEL', 'get-master-addr-by-name', name),
          redis.call('SENTINEL', 'master', name).catch(() => undefined),
          redis.call('SENTINEL', 'replicas', name).catch(() => []),
          redis.call('SENTINEL', 'sentinels', name).catch(() => []),
          redis.call('SENTINEL', 'ckquorum', name).then(
            (ok) => ({ ok: true, message: String(ok) }),
            (error: unknown) => ({ ok: false, message: redact(error) }),
          ),
        ]);
        return { master, state, replicas, peers, quorum };
      }).then(
        (value) => ({ address, value }),
        (error: unknown) => ({
          address,
          error: redact(error),
          failure: sentinelFailure(error, options),
        }),
      ),
    ),
  );

  const sentinels: SentinelReport[] = answers.map((a) => {
    if ('error' in a) {
      return {
        address: formatAddress(a.address),
        reachable: false,
        ...(a.failure.refused && { refused: true }),
        error: a.error,
        ...(a.failure.hint !== undefined && { hint: a.failure.hint }),
      };
    }
    const { master, state, peers, quorum } = a.value;
    const info = parseSentinelInfo(state);
    const epoch = Number(info['config-epoch']);
    return {
      address: formatAddress(a.address),
      reachable: true,
      ...(Array.isArray(master) && { master: `${master[0]}:${master[1]}` }),
      ...(Number.isInteger(epoch) && { epoch }),
      masterFlags: (info.flags ?? '').split(',').filter(Boolean),
      quorumOk: quorum.ok,
      quorumMessage: quorum.message,
      peersUp: (Array.isArray(peers) ? peers : []).filter(
        (p) => !(parseSentinelInfo(p).flags ?? '').includes('s_down'),
      ).length,
    };
  });

  // The master most sentinels name (ties: the first sentinel's answer), and
  // the replica list of a sentinel that names it.
  const votes = new Map<string, number>();
  for (const s of sentinels) if (s.master) votes.set(s.master, (votes.get(s.master) ?? 0) + 1);
  const named = [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
  const source = answers.find(
    (a) =>
      !('error' in a) &&
      Array.isArray(a.value.master) &&
      `${a.value.master[0]}:${a.value.master[1]}` === named,
  );
  if (!named || !source || 'error' in source) {
    return { masterName: name, checkedAt, sentinels, master: undefined, replicas: [] };
  }

  const announced = parseAddress(named);
  let master: MasterReport = { address: named, reachable: false };
  let replication: ReturnType<typeof parseReplicationInfo> | undefined;
  try {
    await withConnection(dataConnection(options, announced), async (redis) => {
      const role = parseRole(await redis.call('ROLE'));
      replication = parseReplicationInfo(String(await redis.info('replication')));
      master = {
        address: named,
        reachable: true,
        ...(role && { role: role.role }),
        ...(replication.replOffset !== undefined && { offset: replication.replOffset }),
      };
    });
  } catch (error) {
    master = { address: named, reachable: false, error: redact(error) };
  }

  const candidates = parseReplicaList(source.value.replicas);
  const replicas = await Promise.all(
    candidates.map(async (c): Promise<ReplicaReport> => {
      const report = replicaReportOf(c, replication);
      try {
        const role = await withConnection(
          dataConnection(options, { host: c.host, port: c.port }),
          async (redis) => parseRole(await redis.call('ROLE')),
        );
        if (role) report.role = role.role;
        if (role?.role === 'replica') {
          report.following = `${role.masterHost}:${role.masterPort}`;
          report.linkState = role.linkState;
        }
      } catch (error) {
        report.error = `no answer: ${redact(error)}`;
      }
      return report;
    }),
  );
  return {
    masterName: name,
    checkedAt,
    sentinels,
    master,
    replicas,
    ...(options.maxReplicationLag !== undefined && {
      maxReplicationLag: { ...options.maxReplicationLag },
    }),
  };
}

/** What one sentinel says about a master name, for `watch`'s first check. */
export type MasterNameCheck = 'known' | 'unknown' | 'refused' | 'unreachable';

/**
 * Asks each sentinel once whether it monitors `options.masterName`
 * (`SENTINEL get-master-addr-by-name`), bounded by `sentinelTimeout`.
 */
export async function checkMasterName(
  options: ResolvedSentinelClientOptions,
): Promise<{ sentinel: string; check: MasterNameCheck; error?: string }[]> {
  const secrets = secretsOf(options);
  return Promise.all(
    options.sentinels.map((address) =>
      withConnection(sentinelOptions(options, address), (redis) =>
        redis.call('SENTINEL', 'get-master-addr-by-name', options.masterName),
      ).then(
        (master) => ({
          sentinel: formatAddress(address),
          check: Array.isArray(master) ? ('known' as const) : ('unknown' as const),
        }),
        (error: unknown) => {
          const message = redactSecrets(
            error instanceof Error ? error.message : String(error),
            secrets,
          );
          return {
            sentinel: formatAddress(address),
            check: sentinelFailure(error, options).refused
              ? ('refused' as const)
              : ('unreachable' as const),
            error: message,
          };
        },
      ),
    ),
  );
}

/**
 * How a sentinel that could not be asked failed, read by the core's own rules: `refused` when it
 * rejected our credentials or an ACL rule (the fix is a credential or an ACL, not the network),
 * and what to check (a TLS setting, a client certificate) when the core knows.
 */
export function sentinelFailure(
  error: unknown,
  options: ResolvedSentinelClientOptions,
): { refused: boolean; hint?: string } {
  const tls = options.sentinelTls;
  const context = {
    side: 'sentinel' as const,
    tls: tls !== false,
    ...(tls !== false && { clientCertificate: tls.cert !== undefined || tls.pfx !== undefined }),
  };
  const problem = classifyConnectionError(error, context);
  const refused = problem?.code === 'AUTH_FAILED' || problem?.code === 'PERMISSION_DENIED';
  const hint = refused ? undefined : (problem?.advice ?? closedBeforeReplyHint(error, context));
  return { refused, ...(hint !== undefined && { hint }) };
}

/**
 * The core's options for the data node Sentinel announces at `announced` (reached through
 * `natMap`, TLS options of the announced address, as the client does), with a command timeout:
 * a status check must not hang on a frozen node.
 */
function dataConnection(
  options: ResolvedSentinelClientOptions,
  announced: NodeAddress,
): RedisOptions {
  return {
    ...dataNodeOptions(options, applyNatMap(announced, options.natMap), announced),
    commandTimeout: options.sentinelTimeout,
    lazyConnect: true,
    // ROLE and INFO are all the CLI sends: no INFO ready check before them.
    enableReadyCheck: false,
  };
}

/**
 * Opens a connection, runs `fn`, and always closes it at once (a frozen peer must not hold us),
 * with the core's closeNow: ioredis' disconnect() on a socket that had already closed (a refused
 * connection) arms a 2-second timer that kept `status` running ~2 s after its report.
 */
export async function withConnection<T>(
  options: RedisOptions,
  fn: (redis: Redis) => Promise<T>,
): Promise<T> {
  const redis = new Redis(options as RedisOptions & { replyMapping?: 'legacy' });
  let firstError: Error | undefined;
  redis.on('error', (error: Error) => {
    firstError ??= error;
  });
  try {
    await redis.connect().catch((error: Error) => {
      throw firstError ?? error;
    });
    return await fn(redis);
  } finally {
    closeNow(redis);
  }
}
