/**
 * `sentinelkit status [location] [--json]`, `sentinelkit watch [location]`,
 * `sentinelkit help`, `sentinelkit --version`.
 *
 * Credentials come from the location's URL form, or from the environment
 * (`SENTINELKIT_PASSWORD`, `SENTINELKIT_USERNAME`, `SENTINELKIT_SENTINEL_PASSWORD`,
 * `SENTINELKIT_SENTINEL_USERNAME`), never from flags, which other users of the
 * machine can read in the process list (so can a URL with a password given as
 * an argument: `SENTINELKIT_LOCATION` keeps it out of there).
 */
import {
  isClusterLocation,
  isSentinelKitError,
  type ResolvedClusterClientOptions,
  type ResolvedSentinelClientOptions,
  resolveClusterOptions,
  resolveOptions,
  SentinelConfigError,
} from '@sentinelkit/core';
import pkg from '../package.json' with { type: 'json' };
import { type Invocation, parseInvocation, tlsOverrides, UsageError } from './args.js';
import { inspectCluster } from './cluster-inspect.js';
import { assessCluster, renderClusterReport } from './cluster-report.js';
import { type ClusterChange, watchCluster } from './cluster-watch.js';
import { checkMasterName, inspectDeployment } from './inspect.js';
import { assessReport, EXIT_CODES, exitCodeOf, renderReport } from './report.js';
import { watchSentinelEvents } from './watch.js';

const USAGE = `Usage:
  sentinelkit status [location] [--json] [--timeout <ms>] [TLS options]
  sentinelkit watch [location] [--timeout <ms>] [--interval <ms>] [TLS options]
  sentinelkit help | --help | -h
  sentinelkit --version | -v

location: mymaster/host:port,host:port/db or redis+sentinel://[user@]host:port,…/mymaster/db
  (rediss+sentinel:// for TLS), or redis+cluster://[user@]host:port,… for a Redis Cluster
  (TLS from rediss+cluster://). Without the argument, SENTINELKIT_LOCATION is read: use it for a
  URL that carries a password, since arguments are visible to every user in the process list.
watch on a cluster polls it every --interval ms (default 1000) and prints what changed: shards,
  masters, replicas, link state, failure flags, slot coverage, cluster_state.
Credentials (environment only): SENTINELKIT_PASSWORD, SENTINELKIT_USERNAME,
  SENTINELKIT_SENTINEL_PASSWORD, SENTINELKIT_SENTINEL_USERNAME.
TLS options (each also as an environment variable):
  --tls                 use TLS with the system's CAs          SENTINELKIT_TLS=1
  --tls-ca <file>       CA certificate(s), PEM                 SENTINELKIT_TLS_CA
  --tls-cert <file>     client certificate, PEM (mutual TLS)   SENTINELKIT_TLS_CERT
  --tls-key <file>      client private key, PEM                SENTINELKIT_TLS_KEY
                        its passphrase, if any                 SENTINELKIT_TLS_KEY_PASSPHRASE
  They apply to the sides the location turns TLS on for, or to both sentinels and data nodes.
Exit codes: 0 healthy, 1 degraded, 2 down (no writable master), 3 no sentinel reachable,
  4 sentinels refuse the credentials, 5 no sentinel monitors the master name, 64 usage error.`;

const EXIT_USAGE = 64;

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let invocation: Invocation;
  let options: ResolvedSentinelClientOptions | undefined;
  let cluster: ResolvedClusterClientOptions | undefined;
  try {
    invocation = parseInvocation(argv, env);
    if (invocation.command === 'help') {
      console.log(USAGE);
      return 0;
    }
    if (invocation.command === 'version') {
      console.log(pkg.version);
      return 0;
    }
    if (isClusterLocation(invocation.location)) cluster = clusterOptions(invocation);
    else options = resolve(invocation);
  } catch (error) {
    return reportUsageError(error);
  }
  // Awaited here, so that what a command throws while it runs is reported below, for both kinds
  // of location, rather than rejecting main().
  try {
    if (cluster !== undefined) return await clusterCommand(invocation, cluster);
    return await sentinelCommand(invocation, options!);
  } catch (error) {
    if (error instanceof UsageError || error instanceof SentinelConfigError) {
      return reportUsageError(error);
    }
    console.error(`sentinelkit: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_CODES.down;
  }
}

/** A command line, location or option that cannot be used: exit 64, the message names it. */
function reportUsageError(error: unknown): number {
  if (error instanceof UsageError) {
    console.error(`sentinelkit: ${error.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  // Config errors name the option and never carry a password.
  console.error(`sentinelkit: ${isSentinelKitError(error) ? error.message : String(error)}`);
  return EXIT_USAGE;
}

async function sentinelCommand(
  invocation: Extract<Invocation, { location: string }>,
  options: ResolvedSentinelClientOptions,
): Promise<number> {
  if (invocation.command === 'status') {
    const report = await inspectDeployment(options);
    const assessment = assessReport(report);
    process.stdout.write(
      invocation.json
        ? `${JSON.stringify({ ...report, ...assessment }, null, 2)}\n`
        : renderReport(report, assessment),
    );
    return exitCodeOf(assessment.verdict);
  }
  return watch(options);
}

/**
 * The options of a cluster command: the location with the environment's data-node credentials,
 * `--timeout` and the TLS material (`--tls*`, `SENTINELKIT_TLS*`) laid on it. A cluster has one
 * side, its nodes: TLS material turns TLS on for them (as for a Sentinel location that turns it
 * on for neither side), and is the TLS of a `rediss+cluster://` location.
 */
export function clusterOptions(
  invocation: Extract<Invocation, { location: string }>,
): ResolvedClusterClientOptions {
  const { username, password, connectTimeout } = invocation.overrides;
  return resolveClusterOptions(invocation.location, {
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    ...(connectTimeout !== undefined && { connectTimeout, commandTimeout: connectTimeout }),
    ...(invocation.tls !== undefined && { tls: invocation.tls }),
  });
}

/** `status` on a cluster: one node's view of shards, links and slots; `watch` streams its changes. */
async function clusterCommand(
  invocation: Extract<Invocation, { location: string }>,
  options: ResolvedClusterClientOptions,
): Promise<number> {
  if (invocation.command === 'watch') return watchClusterCommand(options, invocation.intervalMs);
  const report = await inspectCluster(options);
  const assessment = assessCluster(report);
  process.stdout.write(
    invocation.json
      ? `${JSON.stringify({ ...report, ...assessment }, null, 2)}\n`
      : renderClusterReport(report, assessment),
  );
  return exitCodeOf(assessment.verdict);
}

/** The cluster's status now, then a line per change (stamped, with the node asked) until a signal. */
async function watchClusterCommand(
  options: ResolvedClusterClientOptions,
  intervalMs = 1000,
): Promise<number> {
  const print = (changes: ClusterChange[], asked: string | undefined) => {
    const at = new Date().toISOString();
    for (const { type, message } of changes) {
      console.log(`${at}  ${(asked ?? 'no node').padEnd(21)}  ${type.padEnd(16)}  ${message}`);
    }
  };
  const watch = watchCluster(
    options,
    (changes, view) => print(changes, view.report.askedNode),
    intervalMs,
  );
  const first = await watch.ready;
  process.stdout.write(renderClusterReport(first.report, first.assessment));
  console.error(
    `watching the cluster through ${options.nodes.length} seed node(s), every ${intervalMs} ms; Ctrl-C stops`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await watch.stop();
  return 0;
}

/** The location with the environment's credentials, `--timeout` and the TLS material laid on it. */
function resolve(invocation: Extract<Invocation, { location: string }>) {
  const base = resolveOptions(invocation.location, invocation.overrides);
  if (invocation.tls === undefined) return base;
  return resolveOptions(invocation.location, {
    ...invocation.overrides,
    ...tlsOverrides(invocation.tls, {
      tls: base.tls !== false,
      sentinelTls: base.sentinelTls !== false,
    }),
  });
}

async function watch(options: ResolvedSentinelClientOptions): Promise<number> {
  // Sentinel publishes nothing about a name it does not monitor, and a refused
  // subscription is silent: say so instead of waiting forever.
  const checks = await checkMasterName(options);
  const answered = checks.filter((c) => c.check === 'known' || c.check === 'unknown');
  if (answered.length > 0 && answered.every((c) => c.check === 'unknown')) {
    console.error(
      `sentinelkit: no sentinel monitors a master named "${options.masterName}" (asked ${answered
        .map((c) => c.sentinel)
        .join(', ')}): check the name in the location`,
    );
    return EXIT_CODES['unknown-master'];
  }
  if (answered.length === 0 && checks.some((c) => c.check === 'refused')) {
    console.error(
      `sentinelkit: sentinels refuse our credentials (${checks.find((c) => c.error)?.error}): set SENTINELKIT_SENTINEL_PASSWORD (and SENTINELKIT_SENTINEL_USERNAME for an ACL user)`,
    );
    return EXIT_CODES.refused;
  }
  for (const c of checks) {
    if (c.check === 'refused' || c.check === 'unreachable') {
      console.error(`${new Date().toISOString()}  ${c.sentinel}  ${c.check}: ${c.error}`);
    }
  }

  console.error(
    `watching Sentinel events for "${options.masterName}" on ${options.sentinels.length} sentinels; Ctrl-C stops`,
  );
  const watch = watchSentinelEvents(
    options,
    (e) =>
      console.log(
        `${e.at.toISOString()}  ${e.sentinel.padEnd(21)}  ${e.type.padEnd(24)}  ${e.message}`,
      ),
    (sentinel, message) =>
      console.error(`${new Date().toISOString()}  ${sentinel}  unreachable: ${message}`),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await watch.stop();
  return 0;
}

// Run when executed (the bin), not when imported by tests.
const invoked = process.argv[1] ?? '';
if (/(?:^|[\\/])(?:cli\.(?:ts|js)|sentinelkit)$/.test(invoked)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`sentinelkit: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 2;
    },
  );
}
