import type { SentinelTopology, TopologyNode } from '@sentinelkit/testing';
import type { SentinelClient, TopologyEvent } from '../../src/index.js';

/** Runs one command on a node directly (not through the client under test). */
export function onNode(
  topology: SentinelTopology,
  node: TopologyNode,
  ...command: [string, ...(string | number)[]]
): Promise<unknown> {
  return topology.command(node, ...command);
}

/** One command on whichever node is master now. */
export async function onMaster(
  topology: SentinelTopology,
  ...command: [string, ...(string | number)[]]
): Promise<unknown> {
  return onNode(topology, await topology.currentMaster(), ...command);
}

/** How many times `command` ran on `node`, from `INFO commandstats`. */
export function commandCount(
  topology: SentinelTopology,
  node: TopologyNode,
  command: string,
): Promise<number> {
  return topology.commandCalls(node, command);
}

/** Resets `INFO commandstats` on every running data node. */
export function resetStats(topology: SentinelTopology): Promise<void> {
  return topology.resetCommandStats();
}

/** Resolves with the first topology event that matches, or rejects after `timeoutMs`. */
export function nextTopologyEvent(
  client: SentinelClient,
  match: (event: TopologyEvent) => boolean,
  timeoutMs = 15_000,
): Promise<TopologyEvent> {
  return new Promise((resolve, reject) => {
    const onEvent = (event: TopologyEvent) => {
      if (!match(event)) return;
      clearTimeout(timer);
      client.off('topology-change', onEvent);
      resolve(event);
    };
    const timer = setTimeout(() => {
      client.off('topology-change', onEvent);
      reject(new Error(`no matching topology event within ${timeoutMs} ms; client: ${client}`));
    }, timeoutMs);
    client.on('topology-change', onEvent);
  });
}

/** Resolves once the client's read rotation holds exactly `count` replicas. */
export async function untilReplicaCount(
  client: SentinelClient,
  count: number,
  timeoutMs = 20_000,
): Promise<void> {
  if (client.topology().replicas.length === count) return;
  await nextTopologyEvent(client, () => client.topology().replicas.length === count, timeoutMs);
}

export const portOf = (address: { port: number }) => address.port;

/**
 * `SENTINEL FAILOVER`, once Sentinel can do it: right after a failover it
 * answers INPROG (still finishing) or NOGOODSLAVE (it has not yet seen a
 * replica of the new master in sync). Those answers are its real state, so
 * they are polled until it accepts.
 */
export async function failoverWhenSentinelAccepts(
  topology: SentinelTopology,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await topology.failover();
      return;
    } catch (error) {
      const busy = /INPROG|NOGOODSLAVE/.test((error as Error).message);
      if (!busy || Date.now() > deadline) throw error;
      await new Promise<void>((resolve) => setTimeout(resolve, 100));
    }
  }
}
