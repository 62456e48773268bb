/**
 * Process supervision: starting, stopping and signalling nodes through the
 * backend (local processes or containers), keeping each node's state in step.
 */

import type { NodeBackend } from './backends/backend.js';
import { TopologyError } from './errors.js';
import type { TopologyNode } from './node.js';
import { releasePorts } from './ports.js';

/** Starts `nodes` together; settles every start before failing with the first error. */
export async function startNodes(nodes: readonly TopologyNode[]): Promise<void> {
  // Settle every start before failing: a node still starting when stop() runs
  // (a container being created) would otherwise outlive the topology.
  const results = await Promise.allSettled(nodes.map(startNode));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The master first, then its replicas, then the sentinels that watch them. */
export async function startInOrder(
  dataNodes: readonly TopologyNode[],
  sentinelNodes: readonly TopologyNode[],
): Promise<void> {
  const [master, ...replicas] = dataNodes;
  if (!master) throw new TopologyError('INVALID_OPTION', 'a topology needs a master');
  await startNodes([master]);
  await startNodes(replicas);
  await startNodes(sentinelNodes);
}

/** Starts `node` with the config it last wrote; resolves once it accepts connections. */
export async function startNode(node: TopologyNode): Promise<void> {
  await node._backend.start();
  node._state = 'running';
}

/** SIGKILL (a running or frozen node). */
export async function killNode(node: TopologyNode): Promise<void> {
  await node._backend.kill();
  node._state = 'killed';
}

/** SIGSTOP. */
export async function freezeNode(node: TopologyNode): Promise<void> {
  await node._backend.freeze();
  node._state = 'frozen';
}

/** SIGCONT, for each of `nodes` that is frozen. */
export async function thawNodes(nodes: readonly TopologyNode[]): Promise<void> {
  for (const n of nodes) {
    if (n._state !== 'frozen') continue;
    await n._backend.thaw();
    n._state = 'running';
  }
}

/** Kills every node, then releases the backend and the nodes' ports. */
export async function stopAll(backend: NodeBackend, nodes: readonly TopologyNode[]): Promise<void> {
  await Promise.all(nodes.map(killNode));
  await backend.dispose();
  releasePorts(nodes.map((n) => n.port));
}
