// Helpers for tests of code that runs on a topology through a client (the core's, a store's):
// commands on the nodes themselves, and waits on what the client reports. The client is typed by
// the few members used here, so it works with any client of the core's contract (`RoutedClient`).
import { TopologyError } from './errors.js';
import {
  type SentinelTopology,
  type SentinelTopologyOptions,
  startSentinelTopology,
  type TopologyNode,
} from './topology.js';

/** A client whose `'topology-change'` events a test can wait on (`E`: the event's type). */
export interface TopologyWatchable<E = unknown> {
  on(event: 'topology-change', listener: (event: E) => void): unknown;
  off(event: 'topology-change', listener: (event: E) => void): unknown;
}

/** A client that says which replicas are in its read rotation, shard by shard. */
export interface ReplicaRotationView<E = unknown> extends TopologyWatchable<E> {
  topology(): { shards: readonly { replicas: readonly unknown[] }[] };
}

/** A client a test can connect and close: a `SentinelClient` or any `RoutedClient`. */
export interface ConnectableClient<E = unknown> extends ReplicaRotationView<E> {
  connect(): Promise<void>;
  close(): Promise<void>;
}

/** Runs one command on a node directly (not through the client under test). */
export function onNode(
  topology: SentinelTopology,
  node: TopologyNode,
  ...command: [string, ...(string | number)[]]
): Promise<unknown> {
  return topology.command(node, ...command);
}

/** One command on whichever node is master now (not through the client under test). */
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

/** Calls of `command` on the master and on each replica, from `INFO commandstats`. */
export async function callsByRole(
  topology: SentinelTopology,
  command: string,
): Promise<{ master: number; replicas: number[] }> {
  const master = await topology.currentMaster();
  const replicas = await topology.replicas();
  return {
    master: await commandCount(topology, master, command),
    replicas: await Promise.all(replicas.map((node) => commandCount(topology, node, command))),
  };
}

/**
 * Resolves once `key` exists on every replica (polled on the nodes, 20 ms apart: what a test
 * waits for is replication, which announces nothing); rejects with `TIMEOUT` after `timeoutMs`.
 */
export async function untilOnReplicas(
  topology: SentinelTopology,
  key: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const replicas = await topology.replicas();
    const found = await Promise.all(replicas.map((node) => onNode(topology, node, 'EXISTS', key)));
    if (found.every((n) => n === 1)) return;
    if (Date.now() > deadline) {
      throw new TopologyError('TIMEOUT', `${key} not on every replica within ${timeoutMs} ms`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
  }
}

/** Resets `INFO commandstats` on every running data node. */
export function resetStats(topology: SentinelTopology): Promise<void> {
  return topology.resetCommandStats();
}

/**
 * Resolves with the first `'topology-change'` event of `client` that matches, or rejects with
 * `TIMEOUT` after `timeoutMs`. Give the event's type to `match`'s parameter (or as `E`):
 * `nextTopologyEvent(client, (e: TopologyEvent) => e.type === 'MASTER_CHANGE')`.
 */
export function nextTopologyEvent<E>(
  client: TopologyWatchable<E>,
  match: (event: E) => boolean,
  timeoutMs = 15_000,
): Promise<E> {
  return new Promise((resolve, reject) => {
    const onEvent = (event: E) => {
      if (!match(event)) return;
      clearTimeout(timer);
      client.off('topology-change', onEvent);
      resolve(event);
    };
    const timer = setTimeout(() => {
      client.off('topology-change', onEvent);
      reject(
        new TopologyError(
          'TIMEOUT',
          `no matching topology event within ${timeoutMs} ms; client: ${client}`,
        ),
      );
    }, timeoutMs);
    client.on('topology-change', onEvent);
  });
}

/** Replicas in `client`'s read rotation, every shard's. */
export function replicasInRotation(client: ReplicaRotationView): number {
  return client.topology().shards.reduce((sum, shard) => sum + shard.replicas.length, 0);
}

/** Resolves once the client's read rotation holds exactly `count` replicas (every shard's). */
export async function untilReplicaCount(
  client: ReplicaRotationView,
  count: number,
  timeoutMs = 20_000,
): Promise<void> {
  if (replicasInRotation(client) === count) return;
  await nextTopologyEvent(client, () => replicasInRotation(client) === count, timeoutMs);
}

/** What {@link startConnectedTopology} started; `stop()` closes the client, then the topology. */
export interface ConnectedTopology<C> {
  topology: SentinelTopology;
  client: C;
  stop(): Promise<void>;
}

/**
 * Starts a topology, creates a client of it with `createClient(topology)`, connects it and
 * waits until every replica of the topology is in its read rotation: the setup of most
 * integration tests. On failure, whatever was started is stopped.
 *
 * ```ts
 * const { topology, client, stop } = await startConnectedTopology((t) =>
 *   createSentinelClient(t.connectionOptions),
 * );
 * ```
 */
export async function startConnectedTopology<C extends ConnectableClient>(
  createClient: (topology: SentinelTopology) => C,
  options: SentinelTopologyOptions & { readyTimeoutMs?: number } = {},
): Promise<ConnectedTopology<C>> {
  const { readyTimeoutMs, ...topologyOptions } = options;
  const topology = await startSentinelTopology(topologyOptions);
  let client: C | undefined;
  try {
    client = createClient(topology);
    await client.connect();
    await untilReplicaCount(client, topologyOptions.replicas ?? 2, readyTimeoutMs);
  } catch (error) {
    await client?.close();
    await topology.stop();
    throw error;
  }
  const connected = client;
  return {
    topology,
    client: connected,
    stop: async () => {
      await connected.close();
      await topology.stop();
    },
  };
}
