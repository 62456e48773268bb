// Direct access to the nodes of a topology (not through the app under test), waits on the
// client's real state, and small Nest helpers. Built on the helpers of the core's own tests.
import { EventEmitter } from 'node:events';
import type { INestApplication } from '@nestjs/common';
import type {
  ClientStatus,
  ReadOptions,
  SentinelClient,
  SentinelClientEvents,
  TopologySnapshot,
} from '@sentinelkit/core';
import type { SentinelTopology, TopologyNode } from '@sentinelkit/testing';
import { commandCount, onNode } from '../../core/test/helpers/topology.js';

export {
  commandCount,
  nextTopologyEvent,
  onMaster,
  onNode,
  resetStats,
  untilReplicaCount,
} from '../../core/test/helpers/topology.js';

/** Calls of `command` on the master and on each replica, from `INFO commandstats`. */
export async function callsByRole(
  topology: SentinelTopology,
  command: string,
): Promise<{ master: number; replicas: number[] }> {
  const master = await topology.currentMaster();
  const replicas: TopologyNode[] = await topology.replicas();
  return {
    master: await commandCount(topology, master, command),
    replicas: await Promise.all(replicas.map((node) => commandCount(topology, node, command))),
  };
}

/**
 * Resolves once `key` exists on every replica (polled, 20 ms apart): the cache interceptor
 * answers before its write reaches the master, let alone the replicas.
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
    if (Date.now() > deadline)
      throw new Error(`${key} not on every replica within ${timeoutMs} ms`);
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
  }
}

/** The base URL of an application listening on an ephemeral port of 127.0.0.1. */
export async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

/**
 * A stand-in for a `SentinelClient`, for unit tests of the wiring: it records `connect()` and
 * `close()` calls and answers `topology()` with whatever the test sets.
 */
export class FakeClient extends EventEmitter<SentinelClientEvents> {
  connects = 0;
  closes = 0;
  status: ClientStatus = 'idle';
  connectError: Error | undefined;
  pingError: Error | undefined;
  snapshot: TopologySnapshot = {
    masterName: 'mymaster',
    status: 'ready',
    master: {
      address: { host: '127.0.0.1', port: 6379 },
      announced: { host: '127.0.0.1', port: 6379 },
      reads: 0,
      writes: 0,
    },
    replicas: [
      {
        address: { host: '127.0.0.1', port: 6380 },
        announced: { host: '127.0.0.1', port: 6380 },
        reads: 0,
      },
    ],
    sentinels: [{ host: '127.0.0.1', port: 26379 }],
    watchedSentinels: 1,
  };

  async connect(): Promise<void> {
    this.connects++;
    if (this.connectError) throw this.connectError;
    this.status = 'ready';
  }

  async close(): Promise<void> {
    this.closes++;
    this.status = 'closed';
  }

  topology(): TopologySnapshot {
    return this.snapshot;
  }

  async read<T>(fn: (node: { ping(): Promise<string> }) => Promise<T>, _options?: ReadOptions) {
    return fn({
      ping: async () => {
        if (this.pingError) throw this.pingError;
        return 'PONG';
      },
    });
  }

  async write<T>(fn: (node: { ping(): Promise<string> }) => Promise<T>): Promise<T> {
    return this.read(fn);
  }

  /** This fake, typed as what the module expects. */
  get asClient(): SentinelClient {
    return this as unknown as SentinelClient;
  }
}
