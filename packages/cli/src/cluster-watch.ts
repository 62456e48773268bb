/**
 * `sentinelkit watch` on a Redis Cluster. A cluster publishes no event stream as Sentinel does, so
 * the watch asks the seed nodes for the same view `status` reads (`CLUSTER NODES`, `CLUSTER
 * INFO`) every `intervalMs` and prints what changed between two views: shards and their masters,
 * replicas, link state, failure flags, slot coverage, `cluster_state` and the verdict. The
 * comparison is a pure function ({@link clusterChanges}); the loop only polls and hands it views.
 */
import type { ResolvedClusterClientOptions } from '@sentinelkit/core';
import { inspectCluster } from './cluster-inspect.js';
import {
  assessCluster,
  CLUSTER_SLOTS,
  type ClusterAssessment,
  type ClusterReport,
  formatSlots,
} from './cluster-report.js';

/** What a watch compares: one poll's report and its assessment. */
export interface ClusterView {
  report: ClusterReport;
  assessment: ClusterAssessment;
}

/** One change between two views. */
export interface ClusterChange {
  /** `verdict`, `cluster-state`, `slot-coverage`, `shard-added`, `shard-removed`, `master`, `replica-added`, `replica-removed`, `node-added`, `node-removed`, `link`, `flags`, `asked-node`. */
  type: string;
  message: string;
}

const flagText = (flags: readonly string[]) => (flags.length > 0 ? flags.join(',') : 'none');

/**
 * What changed from `before` to `after`, in a fixed order (cluster-wide first, then shards by
 * their slots, then nodes by address). Shards are told apart by their slot ranges (a resharding
 * shows as a shard removed and one added); nodes by address.
 */
export function clusterChanges(before: ClusterView, after: ClusterView): ClusterChange[] {
  const changes: ClusterChange[] = [];
  const change = (type: string, message: string) => changes.push({ type, message });
  const [b, a] = [before, after];
  if (b.report.askedNode !== a.report.askedNode) {
    change('asked-node', `${b.report.askedNode ?? 'none'} -> ${a.report.askedNode ?? 'none'}`);
  }
  if (b.assessment.verdict !== a.assessment.verdict) {
    change('verdict', `${b.assessment.verdict} -> ${a.assessment.verdict}`);
  }
  if (b.report.clusterState !== a.report.clusterState) {
    change(
      'cluster-state',
      `${b.report.clusterState ?? 'unknown'} -> ${a.report.clusterState ?? 'unknown'}`,
    );
  }
  if (b.assessment.slotsCovered !== a.assessment.slotsCovered) {
    change(
      'slot-coverage',
      `${b.assessment.slotsCovered}/${CLUSTER_SLOTS} -> ${a.assessment.slotsCovered}/${CLUSTER_SLOTS}`,
    );
  }

  // With no node answering there is no shard or node list to compare: the verdict line says so.
  if (b.report.askedNode === undefined || a.report.askedNode === undefined) return changes;
  return [...changes, ...detailChanges(b, a)];
}

/** Shards, their masters and replicas, nodes, links and flags: what changed between two answers. */
function detailChanges(b: ClusterView, a: ClusterView): ClusterChange[] {
  const changes: ClusterChange[] = [];
  const change = (type: string, message: string) => changes.push({ type, message });
  const shardsOf = (view: ClusterView) =>
    new Map(view.assessment.shards.map((s) => [formatSlots(s.slots), s]));
  const [shardsBefore, shardsAfter] = [shardsOf(b), shardsOf(a)];
  for (const [slots, shard] of shardsBefore) {
    if (!shardsAfter.has(slots))
      change('shard-removed', `shard ${slots} (master ${shard.master.address})`);
  }
  for (const [slots, shard] of shardsAfter) {
    const old = shardsBefore.get(slots);
    if (old === undefined) {
      change('shard-added', `shard ${slots} (master ${shard.master.address})`);
      continue;
    }
    if (old.master.address !== shard.master.address) {
      change('master', `shard ${slots}: ${old.master.address} -> ${shard.master.address}`);
    }
    const replicasBefore = new Set(old.replicas.map((r) => r.address));
    const replicasAfter = new Set(shard.replicas.map((r) => r.address));
    for (const replica of replicasAfter) {
      if (!replicasBefore.has(replica)) change('replica-added', `shard ${slots}: ${replica}`);
    }
    for (const replica of replicasBefore) {
      if (!replicasAfter.has(replica)) change('replica-removed', `shard ${slots}: ${replica}`);
    }
  }

  const nodesOf = (view: ClusterView) => new Map(view.report.nodes.map((n) => [n.address, n]));
  const [nodesBefore, nodesAfter] = [nodesOf(b), nodesOf(a)];
  for (const [address, node] of nodesBefore) {
    if (!nodesAfter.has(address)) change('node-removed', `${address} (${node.role})`);
  }
  for (const address of [...nodesAfter.keys()].sort()) {
    const node = nodesAfter.get(address)!;
    const old = nodesBefore.get(address);
    if (old === undefined) {
      change('node-added', `${address} (${node.role})`);
      continue;
    }
    if (old.link !== node.link) change('link', `${address}: ${old.link} -> ${node.link}`);
    if (flagText(old.flags) !== flagText(node.flags)) {
      change('flags', `${address}: ${flagText(old.flags)} -> ${flagText(node.flags)}`);
    }
  }
  return changes;
}

/** A running cluster watch. */
export interface ClusterWatch {
  /** Resolves with the first view (the one later changes are against). */
  ready: Promise<ClusterView>;
  /** Stops polling; resolves once the poll under way (if any) has finished. */
  stop(): Promise<void>;
}

/** One view of the cluster now. */
export async function viewCluster(options: ResolvedClusterClientOptions): Promise<ClusterView> {
  const report = await inspectCluster(options);
  return { report, assessment: assessCluster(report) };
}

/**
 * Polls the cluster every `intervalMs` (from the end of one poll to the start of the next, so a
 * slow node never stacks polls up) and calls `onChanges` with what changed since the last view,
 * and the new view, whenever something did.
 */
export function watchCluster(
  options: ResolvedClusterClientOptions,
  onChanges: (changes: ClusterChange[], view: ClusterView) => void,
  intervalMs = 1000,
): ClusterWatch {
  let stopped = false;
  let wake: () => void = () => {};
  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const ready = viewCluster(options);
  const loop = (async () => {
    let last = await ready;
    // What the cluster looked like when a node last answered: after an outage of every seed
    // node, shards and nodes are compared with that.
    let answered = last.report.askedNode === undefined ? undefined : last;
    while (!stopped) {
      await pause();
      if (stopped) break;
      const next = await viewCluster(options);
      const changes = clusterChanges(last, next);
      if (last.report.askedNode === undefined && next.report.askedNode !== undefined && answered) {
        changes.push(...detailChanges(answered, next));
      }
      if (changes.length > 0) onChanges(changes, next);
      last = next;
      if (next.report.askedNode !== undefined) answered = next;
    }
  })();
  return {
    ready,
    stop: async () => {
      stopped = true;
      wake();
      await loop.catch(() => {});
    },
  };
}
