import type { RoutedClient, TopologyEvent } from '@sentinelkit/core';
import * as waits from '@sentinelkit/testing';
import { onNode, type SentinelTopology, type TopologyNode } from '@sentinelkit/testing';
import type { SessionData } from 'express-session';

export { commandCount, onNode, resetStats } from '@sentinelkit/testing';

/** Resolves with the first topology event that matches, or rejects after `timeoutMs`. */
export function nextTopologyEvent(
  client: RoutedClient,
  match: (event: TopologyEvent) => boolean,
  timeoutMs = 20_000,
): Promise<TopologyEvent> {
  return waits.nextTopologyEvent<TopologyEvent>(client, match, timeoutMs);
}

/** Resolves once the client's read rotation holds exactly `count` replicas. */
export function untilReplicaCount(
  client: RoutedClient,
  count: number,
  timeoutMs = 30_000,
): Promise<void> {
  return waits.untilReplicaCount(client, count, timeoutMs);
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
export async function breakReplicationLink(
  topology: SentinelTopology,
  node: TopologyNode,
): Promise<() => Promise<void>> {
  await onNode(topology, node, 'CONFIG', 'SET', 'masterauth', 'not-the-password');
  await onNode(topology, node, 'CLIENT', 'KILL', 'TYPE', 'master');
  await until('the replica to report its link down', async () => {
    const role = (await onNode(topology, node, 'ROLE')) as unknown[];
    return role[3] !== 'connected';
  });
  return async () => {
    await onNode(topology, node, 'CONFIG', 'SET', 'masterauth', '');
    await until('the replica to report its link up', async () => {
      const role = (await onNode(topology, node, 'ROLE')) as unknown[];
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
