import { formatAddress, type ReplicationLagBound } from '@sentinelkit/core';
import {
  filterReplicas,
  type ReplicaCandidate,
  type ReplicaRejectReason,
  type ReplicationInfo,
  withMasterView,
} from '@sentinelkit/core/internal';

/**
 * What `sentinelkit status` found, and the pure decisions made from it: the
 * verdict (and so the exit code) and the table. Kept free of I/O so every rule
 * can be unit-tested on a hand-written report.
 */

/** The hint every sentinel's failure gave, when they all gave the same one. */
function sharedHint(sentinels: readonly SentinelReport[]): string | undefined {
  const hint = sentinels[0]?.hint;
  return sentinels.every((s) => s.hint === hint) ? hint : undefined;
}

function withHint(problem: string, hint: string | undefined): string {
  return hint === undefined ? problem : `${problem} (${hint})`;
}

/**
 * Overall state of a deployment, as an exit code would say it. The last three
 * say why nothing more could be learnt: no sentinel answered at all
 * (`unreachable`), the sentinels answered but refused our credentials or
 * permissions (`refused`), or none monitors this master name (`unknown-master`).
 */
export type Verdict =
  | 'healthy'
  | 'degraded'
  | 'down'
  | 'unreachable'
  | 'refused'
  | 'unknown-master';

/** One sentinel, as asked. */
export interface SentinelReport {
  /** `host:port` as configured or learnt. */
  address: string;
  reachable: boolean;
  /**
   * It answered, but refused our credentials or permissions (`NOAUTH`,
   * `WRONGPASS`, `NOPERM`): `reachable` is false, `error` says which.
   */
  refused?: boolean;
  /** Why it could not be asked (redacted). */
  error?: string;
  /** What to check, from core's reading of that error (a TLS setting, a client certificate). */
  hint?: string;
  /** The master it names, `host:port`, or `undefined` when it knows none. */
  master?: string;
  /** Its config epoch for the master. */
  epoch?: number;
  /** Its flags for the master (`s_down`, `o_down`, …). */
  masterFlags?: string[];
  /** `SENTINEL CKQUORUM`: whether a failover could be authorized. */
  quorumOk?: boolean;
  /** `SENTINEL CKQUORUM`'s answer or error. */
  quorumMessage?: string;
  /** Other sentinels it sees and does not flag down. */
  peersUp?: number;
}

/** The master, as checked directly. */
export interface MasterReport {
  address: string;
  reachable: boolean;
  /** `ROLE` as the node reports it (`master` expected). */
  role?: string;
  error?: string;
  /** `master_repl_offset`. */
  offset?: number;
}

/** One replica, from Sentinel's list and checked directly. */
export interface ReplicaReport {
  address: string;
  /** Sentinel's flags (it says `slave`). */
  flags: string[];
  /** Sentinel's `master-link-status`. */
  linkStatus?: string;
  /** The master it follows by Sentinel's list (`master-host`, `master-port`), `host:port`. */
  sentinelFollows?: string;
  /** Its replication offset: the master's `INFO replication` view, else Sentinel's. */
  offset?: number;
  /** Role the node itself reports. */
  role?: string;
  /** The master it replicates from, by its own `ROLE`. */
  following?: string;
  /** Its replication link state by its own `ROLE` (`connected` when in sync). */
  linkState?: string;
  /** Bytes behind the master, from the master's `INFO replication`. */
  lagBytes?: number;
  /** Seconds since it last acknowledged the master. */
  lagSeconds?: number;
  /** Why it could not be checked directly. */
  error?: string;
}

/** Everything `sentinelkit status` reports. */
export interface DeploymentReport {
  masterName: string;
  /** Epoch ms of the check. */
  checkedAt: number;
  sentinels: SentinelReport[];
  /** The master most sentinels name, checked directly; `undefined` when none is named. */
  master: MasterReport | undefined;
  replicas: ReplicaReport[];
  /** The `maxReplicationLag` the client would apply to these replicas, if any. */
  maxReplicationLag?: ReplicationLagBound;
}

/** The verdict with the reasons for it. */
export interface Assessment {
  verdict: Verdict;
  /** Every problem found, most serious first. */
  problems: string[];
  /** Whether the reachable sentinels that know this master name all name the same master. */
  sentinelsAgree: boolean;
  /** Whether at least one sentinel confirms a failover quorum. */
  quorum: boolean;
  /** Replicas fit to serve reads. */
  healthyReplicas: string[];
}

const DOWN_FLAGS = ['s_down', 'o_down', 'disconnected'];

/**
 * What Sentinel's `SENTINEL replicas` entry for a replica (`candidate`) and the master's
 * `INFO replication` (when it answered) say about it, before the replica is checked directly.
 */
export function replicaReportOf(
  candidate: ReplicaCandidate,
  replication: ReplicationInfo | undefined,
): ReplicaReport {
  const c = candidate;
  const seen = replication?.replicas.find((r) => r.host === c.host && r.port === c.port);
  const [viewed = c] = replication ? withMasterView([c], replication) : [c];
  return {
    address: formatAddress(c),
    flags: [...c.flags],
    ...(c.masterLinkStatus !== undefined && { linkStatus: c.masterLinkStatus }),
    ...(c.masterHost !== undefined &&
      c.masterPort !== undefined && {
        sentinelFollows: formatAddress({ host: c.masterHost, port: c.masterPort }),
      }),
    ...(viewed.replOffset !== undefined && { offset: viewed.replOffset }),
    ...(seen?.lagSeconds !== undefined && { lagSeconds: seen.lagSeconds }),
    ...(seen?.replOffset !== undefined &&
      replication?.replOffset !== undefined && {
        lagBytes: replication.replOffset - seen.replOffset,
      }),
  };
}

/** `host:port` (IPv6 in brackets or not) as an address. */
export function parseAddress(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon);
  return { host: host.replace(/^\[(.*)\]$/, '$1'), port: Number(text.slice(colon + 1)) };
}

/** What the client's rule needs beyond a replica's own report. */
export interface ReplicaRuleContext {
  /** The master's replication offset, for `maxReplicationLag.bytes`. */
  masterOffset?: number | undefined;
  /** The bound the client applies (its `maxReplicationLag` option), if any. */
  maxReplicationLag?: ReplicationLagBound | undefined;
}

/**
 * Why the client would not read from `replica` by Sentinel's account of it: the core's own rule
 * (`filterReplicas`, as the client's replica rotation applies it), not a copy that could drift.
 * `master` is `host:port` as Sentinel names it; with no master, no replica serves.
 */
export function clientRefusal(
  replica: ReplicaReport,
  master: string | undefined,
  { masterOffset, maxReplicationLag }: ReplicaRuleContext = {},
): ReplicaRejectReason | undefined {
  const followed =
    replica.sentinelFollows === undefined ? undefined : parseAddress(replica.sentinelFollows);
  const candidate: ReplicaCandidate = {
    ...parseAddress(replica.address),
    flags: replica.flags,
    masterLinkStatus: replica.linkStatus,
    masterHost: followed?.host,
    masterPort: followed?.port,
    replOffset: replica.offset,
    ...(replica.lagSeconds !== undefined && { lagSeconds: replica.lagSeconds }),
  };
  const reference = master === undefined ? { host: '', port: 0 } : parseAddress(master);
  const { rejected } = filterReplicas(
    [candidate],
    { ...reference, ...(masterOffset !== undefined && { replOffset: masterOffset }) },
    maxReplicationLag ? { maxReplicationLag } : {},
  );
  return rejected[0]?.reason;
}

function describeRefusal(
  reason: ReplicaRejectReason,
  replica: ReplicaReport,
  master: string | undefined,
): string {
  switch (reason) {
    case 'down':
    case 'disconnected':
      return `flagged ${replica.flags.filter((f) => DOWN_FLAGS.includes(f)).join(',')} by Sentinel`;
    case 'link-down':
      return `master link ${replica.linkStatus ?? 'unknown'} (Sentinel)`;
    case 'follows-other-master':
      return `follows ${replica.sentinelFollows ?? 'no known master'} by Sentinel, not ${master ?? 'a known master'}`;
    case 'lagging':
      return 'further behind the master than maxReplicationLag';
    case 'is-master':
      return "Sentinel lists the master's address as a replica";
    case 'duplicate':
      return 'listed twice by Sentinel';
  }
}

/**
 * Why a replica is not fit to serve reads; empty when it is. Sentinel's account of it is judged
 * by the client's rule ({@link clientRefusal}); what the replica says of itself when asked
 * directly (its role, the master it follows, its link) can only add problems.
 */
export function replicaProblems(
  replica: ReplicaReport,
  master: string | undefined,
  context: ReplicaRuleContext = {},
): string[] {
  const problems: string[] = [];
  const refusal = clientRefusal(replica, master, context);
  if (refusal !== undefined) problems.push(describeRefusal(refusal, replica, master));
  if (replica.error !== undefined) problems.push(replica.error);
  else {
    if (replica.role !== undefined && replica.role !== 'replica')
      problems.push(`reports role ${replica.role}`);
    if (replica.following !== undefined && master !== undefined && replica.following !== master) {
      problems.push(`follows ${replica.following}, not ${master}`);
    }
    if (replica.linkState !== undefined && replica.linkState !== 'connected') {
      problems.push(`replication ${replica.linkState}`);
    }
  }
  return problems;
}

/** The client's rule's context for the replicas of `report`. */
function ruleContext(report: DeploymentReport): ReplicaRuleContext {
  return { masterOffset: report.master?.offset, maxReplicationLag: report.maxReplicationLag };
}

/**
 * Unreachable / refused / unknown-master: no sentinel answered, all that
 * answered refused our credentials, or none monitors this master name. Down: no
 * master can take writes (the named one does not answer as master). Degraded:
 * writes work but something is wrong (a sentinel unreachable or refusing,
 * sentinels disagree or one does not monitor the name, no failover quorum, an
 * unhealthy replica, no healthy replica). Healthy otherwise.
 */
export function assessReport(report: DeploymentReport): Assessment {
  const reachable = report.sentinels.filter((s) => s.reachable);
  const knowing = reachable.filter((s) => s.master !== undefined);
  const named = new Set(knowing.map((s) => s.master));
  const sentinelsAgree = named.size === 1;
  const quorum = reachable.some((s) => s.quorumOk === true);
  const sentinelProblems = report.sentinels
    .filter((s) => !s.reachable)
    .map((s) =>
      s.refused
        ? `sentinel ${s.address} refuses our credentials: ${s.error}`
        : `sentinel ${s.address} unreachable: ${s.error}`,
    );
  const stop = (verdict: Verdict, problem: string): Assessment => ({
    verdict,
    problems: [problem, ...sentinelProblems],
    sentinelsAgree: false,
    quorum,
    healthyReplicas: [],
  });

  if (reachable.length === 0) {
    return report.sentinels.some((s) => s.refused)
      ? stop(
          'refused',
          'sentinels refuse our credentials: set SENTINELKIT_SENTINEL_PASSWORD (and SENTINELKIT_SENTINEL_USERNAME for an ACL user)',
        )
      : stop('unreachable', withHint('no sentinel is reachable', sharedHint(report.sentinels)));
  }
  if (knowing.length === 0) {
    return stop(
      'unknown-master',
      `no sentinel monitors a master named "${report.masterName}" (check the name in the location)`,
    );
  }

  const down: string[] = [];
  const degraded: string[] = [...sentinelProblems];
  const master = report.master;
  if (!master) down.push(`no sentinel knows a master named "${report.masterName}"`);
  else if (!master.reachable)
    down.push(`master ${master.address} does not answer: ${master.error}`);
  else if (master.role !== 'master') {
    down.push(`${master.address} is named master but reports role ${master.role ?? 'unknown'}`);
  }

  for (const s of reachable) {
    if (s.master === undefined)
      degraded.push(`sentinel ${s.address} does not monitor "${report.masterName}"`);
  }
  if (!sentinelsAgree)
    degraded.push(`sentinels disagree on the master: ${[...named].join(' vs ')}`);
  if (!quorum) {
    const why = reachable.find((s) => s.quorumMessage)?.quorumMessage;
    degraded.push(`no failover quorum${why ? `: ${why}` : ''}`);
  }
  const healthyReplicas: string[] = [];
  for (const replica of report.replicas) {
    const problems = replicaProblems(replica, master?.address, ruleContext(report));
    if (problems.length === 0) healthyReplicas.push(replica.address);
    else degraded.push(`replica ${replica.address}: ${problems.join('; ')}`);
  }
  if (master && healthyReplicas.length === 0)
    degraded.push('no healthy replica: reads go to the master');

  const verdict: Verdict = down.length > 0 ? 'down' : degraded.length > 0 ? 'degraded' : 'healthy';
  return { verdict, problems: [...down, ...degraded], sentinelsAgree, quorum, healthyReplicas };
}

/** Exit code of `sentinelkit status` for each verdict (documented in docs/cli.md). */
export const EXIT_CODES: Readonly<Record<Verdict, number>> = Object.freeze({
  healthy: 0,
  degraded: 1,
  down: 2,
  unreachable: 3,
  refused: 4,
  'unknown-master': 5,
});

/** Exit code of `sentinelkit status` for a verdict. */
export function exitCodeOf(verdict: Verdict): number {
  return EXIT_CODES[verdict];
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const dash = (value: unknown) => (value === undefined || value === '' ? '-' : String(value));

const HEADLINES: Readonly<Record<Verdict, string>> = {
  healthy: 'HEALTHY',
  degraded: 'DEGRADED',
  down: 'DOWN',
  unreachable: 'UNREACHABLE  (no sentinel answers)',
  refused: 'REFUSED  (sentinels refuse our credentials)',
  'unknown-master': 'UNKNOWN MASTER  (no sentinel monitors this name)',
};

function summary(report: DeploymentReport, assessment: Assessment): string {
  return `sentinels ${assessment.sentinelsAgree ? 'agree' : 'DISAGREE'}, quorum ${
    assessment.quorum ? 'ok' : 'NOT reachable'
  }, ${assessment.healthyReplicas.length}/${report.replicas.length} replicas healthy`;
}

/** The error code of a refusal (`NOAUTH`, `WRONGPASS`, `NOPERM`). */
function refusal(error: string | undefined): string {
  return /^[A-Z]+/.exec(error ?? '')?.[0] ?? 'refused';
}

/** The human-readable report: one table of every node, then the verdict and its reasons. */
export function renderReport(report: DeploymentReport, assessment = assessReport(report)): string {
  const master = report.master;
  const rows: string[][] = [];
  if (master) {
    rows.push([
      'master',
      master.address,
      master.reachable ? (master.role ?? '?') : 'unreachable',
      '-',
      '-',
      '-',
      master.reachable
        ? master.role === 'master'
          ? 'ok'
          : `role ${master.role}`
        : dash(master.error),
    ]);
  }
  for (const r of report.replicas) {
    const problems = replicaProblems(r, master?.address, ruleContext(report));
    rows.push([
      'replica',
      r.address,
      `${r.flags.join(',')} link:${dash(r.linkStatus)}`,
      dash(r.following),
      r.lagBytes === undefined ? '-' : `${r.lagBytes} B`,
      r.lagSeconds === undefined ? '-' : `${r.lagSeconds} s`,
      problems.length === 0 ? 'ok' : problems.join('; '),
    ]);
  }
  for (const s of report.sentinels) {
    rows.push([
      'sentinel',
      s.address,
      s.reachable
        ? `${dash(s.masterFlags?.join(','))} epoch:${dash(s.epoch)} peers:${dash(s.peersUp)}`
        : s.refused
          ? `refused (${refusal(s.error)})`
          : 'unreachable',
      dash(s.master),
      '-',
      '-',
      s.reachable
        ? s.quorumOk
          ? 'ok, quorum'
          : `no quorum: ${dash(s.quorumMessage)}`
        : dash(s.error),
    ]);
  }
  const head = `${report.masterName}: ${HEADLINES[assessment.verdict]}${
    master ? `  (${summary(report, assessment)})` : ''
  }`;
  const body = table(['node', 'address', 'state', 'follows', 'lag', 'lag s', 'check'], rows);
  const problems = assessment.problems.map((p) => `  - ${p}`).join('\n');
  return `${head}\n\n${body}${problems ? `\n\nproblems:\n${problems}` : ''}\n`;
}
