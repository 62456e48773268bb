import type { SentinelTopology, TopologyNode } from '@sentinelkit/testing';
import { Redis } from 'ioredis';
import type { SentinelClient, TopologyEvent } from '../../src/index.js';

/** Runs one command on a data node directly (not through the client under test). */
export async function onNode(
  topology: SentinelTopology,
  node: TopologyNode,
  ...command: [string, ...(string | number)[]]
): Promise<unknown> {
  const { username, password } = topology.connectionOptions;
  const redis = new Redis({
    host: node.host,
    port: node.port,
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    lazyConnect: true,
    protocol: 2,
    disableClientInfo: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    commandTimeout: 2000,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await redis.call(...command);
  } finally {
    redis.disconnect();
  }
}

/** How many times `command` ran on `node`, from `INFO commandstats`. */
export async function commandCount(
  topology: SentinelTopology,
  node: TopologyNode,
  command: string,
): Promise<number> {
  const info = String(await onNode(topology, node, 'INFO', 'commandstats'));
  const match = new RegExp(`^cmdstat_${command.toLowerCase()}:calls=(\\d+)`, 'm').exec(info);
  return match ? Number(match[1]) : 0;
}

/** Resets `INFO commandstats` on every running data node. */
export async function resetStats(topology: SentinelTopology): Promise<void> {
  for (const node of topology.dataNodes) {
    if (node.state === 'running') await onNode(topology, node, 'CONFIG', 'RESETSTAT');
  }
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
