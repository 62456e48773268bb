import { masterOfSlot, parseClusterNodes } from '../src/cluster-view.js';

export type { ClusterTopology, TopologyNode } from '../src/index.js';
export { startClusterTopology } from '../src/index.js';

/** The `host:port` a `CLUSTER NODES` text names as master of `slot`. */
export function parseClusterNodesForTest(text: string, slot: number): string | undefined {
  return masterOfSlot(parseClusterNodes(text), slot)?.address;
}
