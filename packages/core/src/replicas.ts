import type { ReplicationLagBound } from './options.js';
import type { ReplicationInfo } from './role.js';
import { formatAddress, type NatMap, type NodeAddress } from './types.js';

/** A replica as Sentinel describes it in `SENTINEL replicas <name>`. */
export interface ReplicaCandidate {
  /** Address as Sentinel announces it (before any NAT map). */
  host: string;
  /** Port as Sentinel announces it. */
  port: number;
  /** Sentinel's flags, e.g. `['slave']` or `['s_down', 'slave', 'disconnected']`. */
  flags: readonly string[];
  /** `'ok'` or `'err'`: whether the replica's link to its master is up. */
  masterLinkStatus: string | undefined;
  /** The master this replica follows, in Sentinel's address space. */
  masterHost: string | undefined;
  /** Port of the master this replica follows. */
  masterPort: number | undefined;
  /** Replication offset (`slave-repl-offset`); Sentinel refreshes it about every 10 s. */
  replOffset: number | undefined;
  /** How long the master link has been down (`master-link-down-time`), in seconds. */
  masterLinkDownSeconds?: number;
  /** Milliseconds since the replica last answered a Sentinel PING (`last-ok-ping-reply`). */
  lastOkPingReplyMs?: number;
  /**
   * Seconds since the replica last acknowledged the master's stream: the `lag` of the master's
   * `INFO replication` (see `parseReplicationInfo`). Sentinel does not report it; when unknown,
   * `maxReplicationLag.seconds` does not apply.
   */
  lagSeconds?: number;
}

/** The master replicas are checked against, in Sentinel's address space. */
export interface MasterReference {
  /** Master host as Sentinel announces it. */
  host: string;
  /** Master port as Sentinel announces it. */
  port: number;
  /** The master's replication offset, when known (from `ROLE`); needed for the byte bound. */
  replOffset?: number;
}

/** Why {@link filterReplicas} set a replica aside. */
export type ReplicaRejectReason =
  | 'duplicate'
  | 'is-master'
  | 'down'
  | 'disconnected'
  | 'link-down'
  | 'follows-other-master'
  | 'lagging';

/** Result of {@link filterReplicas}. */
export interface FilteredReplicas {
  /** Replicas fit to serve reads, in the order given. */
  healthy: ReplicaCandidate[];
  /** Every other replica with the first reason found. */
  rejected: { replica: ReplicaCandidate; reason: ReplicaRejectReason }[];
}

/** Options of {@link filterReplicas}. */
export interface FilterReplicasOptions {
  /**
   * Replicas further behind than this are rejected as `'lagging'`.
   * @default undefined (no bound)
   */
  maxReplicationLag?: ReplicationLagBound;
}

/**
 * Turns one entry of `SENTINEL replicas` / `SENTINEL sentinels` (a flat `[key, value, …]` array
 * of strings or Buffers, or a RESP3 map as an object or `Map`) into an object. Anything else
 * gives `{}`, so one malformed entry cannot break discovery.
 */
export function parseSentinelInfo(reply: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  const put = (key: unknown, value: unknown) => {
    const k = toText(key);
    const v = toText(value);
    if (k !== undefined && v !== undefined) result[k] = v;
  };
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) put(reply[i], reply[i + 1]);
  } else if (reply instanceof Map) {
    for (const [key, value] of reply) put(key, value);
  } else if (typeof reply === 'object' && reply !== null && !Buffer.isBuffer(reply)) {
    for (const [key, value] of Object.entries(reply)) put(key, value);
  }
  return result;
}

/**
 * Reads a replica out of a {@link parseSentinelInfo} result; `undefined` when it has no usable
 * `ip` and `port`.
 */
export function toReplicaCandidate(
  info: Readonly<Record<string, string>>,
): ReplicaCandidate | undefined {
  const port = toInteger(info.port);
  if (!info.ip || port === undefined || port < 1 || port > 65535) return undefined;
  const downMs = toInteger(info['master-link-down-time']);
  const pingMs = toInteger(info['last-ok-ping-reply']);
  const masterHost = info['master-host'];
  return {
    host: info.ip,
    port,
    flags: (info.flags ?? '').split(',').filter(Boolean),
    masterLinkStatus: info['master-link-status'],
    // Sentinel writes "?" before it has learnt the replica's master.
    masterHost: masterHost === '?' ? undefined : masterHost,
    masterPort: toInteger(info['master-port']),
    replOffset: toInteger(info['slave-repl-offset']),
    ...(downMs === undefined ? {} : { masterLinkDownSeconds: downMs / 1000 }),
    ...(pingMs === undefined ? {} : { lastOkPingReplyMs: pingMs }),
  };
}

/** Every usable replica of a whole `SENTINEL replicas <name>` reply. */
export function parseReplicaList(reply: unknown): ReplicaCandidate[] {
  if (!Array.isArray(reply)) return [];
  return reply
    .map((entry) => toReplicaCandidate(parseSentinelInfo(entry)))
    .filter((candidate) => candidate !== undefined);
}

/**
 * The candidates with their offset and lag as the master's own `INFO replication` reports them
 * (fresher than Sentinel's, which it refreshes about every 10 s); a replica the master does not
 * list keeps Sentinel's figures.
 */
export function withMasterView(
  list: readonly ReplicaCandidate[],
  info: Pick<ReplicationInfo, 'replicas'>,
): ReplicaCandidate[] {
  return list.map((c) => {
    const seen = info.replicas.find((r) => r.host === c.host && r.port === c.port);
    if (!seen) return c;
    return {
      ...c,
      ...(seen.replOffset !== undefined && { replOffset: seen.replOffset }),
      ...(seen.lagSeconds !== undefined && { lagSeconds: seen.lagSeconds }),
    };
  });
}

/**
 * Splits replicas into those fit to serve reads and the rest, with a reason for each. Compare in
 * Sentinel's address space: apply the NAT map afterwards.
 */
export function filterReplicas(
  candidates: readonly ReplicaCandidate[],
  master: MasterReference,
  opts: FilterReplicasOptions = {},
): FilteredReplicas {
  const healthy: ReplicaCandidate[] = [];
  const rejected: FilteredReplicas['rejected'] = [];
  const seen = new Set<string>();
  for (const replica of candidates) {
    const reason = rejectReason(replica, master, opts, seen);
    seen.add(formatAddress(replica));
    if (reason === undefined) healthy.push(replica);
    else rejected.push({ replica, reason });
  }
  return { healthy, rejected };
}

function rejectReason(
  replica: ReplicaCandidate,
  master: MasterReference,
  { maxReplicationLag: bound }: FilterReplicasOptions,
  seen: ReadonlySet<string>,
): ReplicaRejectReason | undefined {
  if (seen.has(formatAddress(replica))) return 'duplicate';
  if (replica.host === master.host && replica.port === master.port) return 'is-master';
  if (replica.flags.includes('s_down') || replica.flags.includes('o_down')) return 'down';
  if (replica.flags.includes('disconnected')) return 'disconnected';
  if (replica.masterLinkStatus !== 'ok') return 'link-down';
  // A replica still attached to the demoted master serves stale data until Sentinel moves it.
  if (replica.masterHost !== master.host || replica.masterPort !== master.port) {
    return 'follows-other-master';
  }
  if (bound?.bytes !== undefined && master.replOffset !== undefined) {
    if (replica.replOffset !== undefined && master.replOffset - replica.replOffset > bound.bytes) {
      return 'lagging';
    }
  }
  if (bound?.seconds !== undefined && replica.lagSeconds !== undefined) {
    if (replica.lagSeconds > bound.seconds) return 'lagging';
  }
  return undefined;
}

/**
 * A uniformly chosen item, `undefined` when there is none. `random` returns a number in [0, 1);
 * out-of-range or non-finite values are clamped rather than trusted.
 */
export function pickRandom<T>(items: readonly T[], random: () => number): T | undefined {
  if (items.length === 0) return undefined;
  const r = random();
  const index = Number.isFinite(r) ? Math.floor(r * items.length) : 0;
  return items[Math.min(items.length - 1, Math.max(0, index))];
}

/**
 * Translates an address announced by Sentinel through a NAT map. Tables are keyed by
 * `"host:port"` (IPv6 bracketed or not); unmapped addresses come back unchanged.
 */
export function applyNatMap(address: NodeAddress, natMap: NatMap | undefined): NodeAddress {
  if (natMap === undefined) return address;
  let mapped: NodeAddress | null | undefined;
  if (typeof natMap === 'function') {
    mapped = natMap({ host: address.host, port: address.port });
  } else {
    const plain = `${address.host}:${address.port}`;
    const bracketed = formatAddress(address);
    if (Object.hasOwn(natMap, plain)) mapped = natMap[plain];
    else if (Object.hasOwn(natMap, bracketed)) mapped = natMap[bracketed];
  }
  return mapped ? { host: mapped.host, port: mapped.port } : address;
}

function toText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return undefined;
}

function toInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?\d+$/.test(value)) return undefined;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : undefined;
}
