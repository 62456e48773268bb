import type { SentinelClient, TopologyEvent } from '@sentinelkit/core';
import type { SentinelTopology, TopologyNode } from '@sentinelkit/testing';
import type { SessionData } from 'express-session';
import { Redis } from 'ioredis';

/** Runs one command on a data node directly (not through the client under test). */
export async function onNode(
  node: TopologyNode,
  ...command: [string, ...(string | number)[]]
): Promise<unknown> {
  const redis = new Redis({
    host: node.host,
    port: node.port,
    lazyConnect: true,
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
export async function commandCount(node: TopologyNode, command: string): Promise<number> {
  const info = String(await onNode(node, 'INFO', 'commandstats'));
  const match = new RegExp(`^cmdstat_${command.toLowerCase()}:calls=(\\d+)`, 'm').exec(info);
  return match ? Number(match[1]) : 0;
}

/** Resets `INFO commandstats` on every running data node. */
export async function resetStats(topology: SentinelTopology): Promise<void> {
  for (const node of topology.dataNodes) {
    if (node.state === 'running') await onNode(node, 'CONFIG', 'RESETSTAT');
  }
}

/** Resolves with the first topology event that matches, or rejects after `timeoutMs`. */
export function nextTopologyEvent(
  client: SentinelClient,
  match: (event: TopologyEvent) => boolean,
  timeoutMs = 20_000,
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
  timeoutMs = 30_000,
): Promise<void> {
  if (client.topology().replicas.length === count) return;
  await nextTopologyEvent(client, () => client.topology().replicas.length === count, timeoutMs);
}

/**
 * Polls `check` (real state, e.g. a key on a node) every 20 ms until it returns true; fails
 * after `timeoutMs` with `what`.
 */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Breaks a replica's replication link while it keeps answering reads (`replica-serve-stale-data`
 * is on by default): the replica is told a master password the master rejects, and its link is
 * cut, so it cannot reconnect. It does not acknowledge `WAIT`s and serves what it had. Returns
 * a function that mends the link.
 */
export async function breakReplicationLink(node: TopologyNode): Promise<() => Promise<void>> {
  await onNode(node, 'CONFIG', 'SET', 'masterauth', 'not-the-password');
  await onNode(node, 'CLIENT', 'KILL', 'TYPE', 'master');
  await until('the replica to report its link down', async () => {
    const role = (await onNode(node, 'ROLE')) as unknown[];
    return role[3] !== 'connected';
  });
  return async () => {
    await onNode(node, 'CONFIG', 'SET', 'masterauth', '');
    await until('the replica to report its link up', async () => {
      const role = (await onNode(node, 'ROLE')) as unknown[];
      return role[3] === 'connected';
    });
  };
}

/** A session as express-session hands it to a store. */
export function sessionData(extra: Record<string, unknown> = {}, maxAgeMs = 60_000): SessionData {
  return {
    cookie: {
      originalMaxAge: maxAgeMs,
      expires: new Date(Date.now() + maxAgeMs).toISOString(),
      path: '/',
    },
    ...extra,
  } as unknown as SessionData;
}
