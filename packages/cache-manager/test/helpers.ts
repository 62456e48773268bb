// Direct access to the nodes of a topology (not through the store under test), and waits on the
// client's real state. Built on the helpers of @sentinelkit/testing.
import type { TopologyEvent } from '@sentinelkit/core';
import {
  nextTopologyEvent as nextEvent,
  onMaster,
  onNode,
  type SentinelTopology,
  type TopologyNode,
} from '@sentinelkit/testing';

export {
  commandCount,
  onMaster,
  onNode,
  resetStats,
  untilReplicaCount,
} from '@sentinelkit/testing';

/** Resolves with the first topology event that matches, or rejects after `timeoutMs`. */
export const nextTopologyEvent = nextEvent<TopologyEvent>;

/** `calls` and `rejected_calls` (e.g. `READONLY` on a replica) of `command` on `node`. */
export async function commandStats(
  topology: SentinelTopology,
  node: TopologyNode,
  command: string,
): Promise<{ calls: number; rejected: number }> {
  const info = String(await onNode(topology, node, 'INFO', 'commandstats'));
  const line = new RegExp(`^cmdstat_${command.toLowerCase()}:(.*)$`, 'm').exec(info)?.[1] ?? '';
  const field = (name: string) => Number(new RegExp(`(?:^|,)${name}=(\\d+)`).exec(line)?.[1] ?? 0);
  return { calls: field('calls'), rejected: field('rejected_calls') };
}

/** Every key of the master matching `pattern`, sorted (SCAN, on the node directly). */
export async function keysOnMaster(topology: SentinelTopology, pattern = '*'): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await onMaster(topology, 'SCAN', cursor, 'MATCH', pattern)) as [
      string,
      string[],
    ];
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return [...new Set(keys)].sort();
}
