/**
 * `sentinelkit status` on a Redis Cluster, as pure functions: one node's `CLUSTER NODES` (its
 * view of every node: role, master, flags, cluster-bus link, slots) and `CLUSTER INFO` → a
 * report of shards, masters, replicas, link state and slot coverage → a verdict and its text.
 */
import type { Verdict } from './report.js';

/** Hash slots of every Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

/** One node as the asked node sees it. */
export interface ClusterNodeReport {
  id: string;
  address: string;
  role: 'master' | 'replica';
  /** The master a replica follows (its id), `undefined` for a master. */
  masterId: string | undefined;
  /** Flags other than the role and `myself`: `fail`, `fail?`, `handshake`, `noaddr`, … */
  flags: string[];
  /** The cluster-bus link: `connected` or `disconnected`. */
  link: string;
  /** Inclusive slot ranges a master serves. */
  slots: [number, number][];
}

/** One shard: a master with slots, and the replicas following it. */
export interface ClusterShardReport {
  slots: [number, number][];
  master: ClusterNodeReport;
  replicas: ClusterNodeReport[];
}

export interface ClusterReport {
  checkedAt: number;
  /** The node asked (`host:port`), `undefined` when none answered. */
  askedNode: string | undefined;
  /** Seed nodes that did not answer, with why (redacted). */
  unreachable: { node: string; error: string }[];
  /** `cluster_state` of the asked node. */
  clusterState: string | undefined;
  nodes: ClusterNodeReport[];
}

export interface ClusterAssessment {
  verdict: Verdict;
  shards: ClusterShardReport[];
  /** Slots served by a master not flagged failing. */
  slotsCovered: number;
  problems: string[];
}

const FAILING = ['fail', 'fail?', 'handshake', 'noaddr'];

/** `CLUSTER NODES`, one line per node; lines it cannot read are skipped. */
export function parseClusterNodes(text: string): ClusterNodeReport[] {
  const nodes: ClusterNodeReport[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8) continue;
    const [id, addr, flagText, masterId, , , , link, ...slotFields] = fields as string[];
    const flags = flagText!.split(',');
    const role = flags.includes('master')
      ? 'master'
      : flags.includes('slave')
        ? 'replica'
        : undefined;
    if (role === undefined) continue;
    nodes.push({
      id: id!,
      address: addr!.split('@')[0]!,
      role,
      masterId: role === 'replica' && masterId !== '-' ? masterId : undefined,
      flags: flags.filter((f) => f !== 'master' && f !== 'slave' && f !== 'myself'),
      link: link!,
      slots: slotFields
        .filter((f) => !f.startsWith('['))
        .map((f) => {
          const [first, last] = f.split('-').map(Number);
          return [first!, last ?? first!] as [number, number];
        })
        .filter(([first, last]) => Number.isInteger(first) && Number.isInteger(last)),
    });
  }
  return nodes;
}

/** `cluster_state` of `CLUSTER INFO`. */
export function clusterStateOf(info: string): string | undefined {
  return /^cluster_state:(\S+)/m.exec(info)?.[1];
}

const healthy = (node: ClusterNodeReport) =>
  node.link === 'connected' && !node.flags.some((f) => FAILING.includes(f));
const count = (slots: [number, number][]) =>
  slots.reduce((sum, [first, last]) => sum + last - first + 1, 0);
export const formatSlots = (slots: [number, number][]) =>
  slots.map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`)).join(',');

/**
 * `down` when no node answered, `cluster_state` is not `ok`, or some slot has no healthy
 * master; `degraded` when a shard has no healthy replica, or a node is failing or unlinked;
 * else `healthy`.
 */
export function assessCluster(report: ClusterReport): ClusterAssessment {
  const shards: ClusterShardReport[] = report.nodes
    .filter((n) => n.role === 'master' && n.slots.length > 0)
    .map((master) => ({
      slots: master.slots,
      master,
      replicas: report.nodes.filter((n) => n.role === 'replica' && n.masterId === master.id),
    }))
    .sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0));
  const slotsCovered = shards
    .filter((s) => healthy(s.master))
    .reduce((sum, s) => sum + count(s.slots), 0);
  const problems: string[] = [];
  if (report.askedNode === undefined) {
    return { verdict: 'unreachable', shards, slotsCovered, problems: ['no node answered'] };
  }
  if (report.clusterState !== 'ok') problems.push(`cluster_state is ${report.clusterState}`);
  if (slotsCovered < CLUSTER_SLOTS) {
    problems.push(`${CLUSTER_SLOTS - slotsCovered} slot(s) have no healthy master`);
  }
  const down = problems.length > 0;
  for (const shard of shards) {
    if (!shard.replicas.some(healthy)) {
      problems.push(`shard ${formatSlots(shard.slots)} has no healthy replica`);
    }
  }
  for (const node of report.nodes) {
    if (!healthy(node)) {
      problems.push(`${node.address} is ${[...node.flags, `link ${node.link}`].join(', ')}`);
    }
  }
  const verdict: Verdict = down ? 'down' : problems.length > 0 ? 'degraded' : 'healthy';
  return { verdict, shards, slotsCovered, problems };
}

const nodeText = (node: ClusterNodeReport) =>
  `${node.address} (link ${node.link}${node.flags.length > 0 ? `, ${node.flags.join(',')}` : ''})`;

/** The human-readable status. */
export function renderClusterReport(
  report: ClusterReport,
  assessment = assessCluster(report),
): string {
  const lines = [
    `cluster: ${assessment.verdict.toUpperCase()} (asked ${report.askedNode ?? 'no node'}; cluster_state ${report.clusterState ?? 'unknown'}; slots covered ${assessment.slotsCovered}/${CLUSTER_SLOTS})`,
  ];
  for (const shard of assessment.shards) {
    lines.push(`shard ${formatSlots(shard.slots)}`);
    lines.push(`  master   ${nodeText(shard.master)}`);
    for (const replica of shard.replicas) lines.push(`  replica  ${nodeText(replica)}`);
    if (shard.replicas.length === 0) lines.push('  replica  none');
  }
  for (const { node, error } of report.unreachable) lines.push(`unreachable ${node}: ${error}`);
  for (const problem of assessment.problems) lines.push(`! ${problem}`);
  return `${lines.join('\n')}\n`;
}
