// Direct access to the nodes of a topology (not through the app under test), waits on the
// client's real state, and small Nest helpers. Built on the helpers of @sentinelkit/testing.
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import type {
  ClientStatus,
  ReadOptions,
  RedisConnection,
  RoutedClient,
  RoutedClientStats,
  SentinelClient,
  SentinelClientEvents,
  ServedBy,
  TopologyEvent,
  TopologySnapshot,
} from '@sentinelkit/core';
import { nextTopologyEvent as nextEvent } from '@sentinelkit/testing';

export {
  callsByRole,
  commandCount,
  onMaster,
  onNode,
  resetStats,
  untilOnReplicas,
  untilReplicaCount,
} from '@sentinelkit/testing';

/** Resolves with the first topology event that matches, or rejects after `timeoutMs`. */
export const nextTopologyEvent = nextEvent<TopologyEvent>;

/** The base URL of an application listening on an ephemeral port of 127.0.0.1. */
export async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

/** A Sentinel topology snapshot as a test writes it: its one shard is derived from it. */
export type SnapshotFields = Omit<TopologySnapshot, 'shards'>;

/** `snapshot` with its one shard (`master` and `replicas`), as `SentinelClient.topology()` has. */
export function withShard(snapshot: SnapshotFields): TopologySnapshot {
  return { ...snapshot, shards: [{ master: snapshot.master, replicas: snapshot.replicas }] };
}

/**
 * A stand-in for a client of the contract (`RoutedClient`), for unit tests of the wiring: it
 * records `connect()` and `close()` calls and answers `topology()` with whatever the test sets.
 * Tests that need a real client use `SingleNodeClient` (module.int.test.ts); this one stays for
 * what a real server does not do on demand: a failing `connect()` or `PING`, a replica in a
 * health snapshot.
 */
export class FakeClient extends EventEmitter<SentinelClientEvents> implements RoutedClient {
  connects = 0;
  closes = 0;
  status: ClientStatus = 'idle';
  connectError: Error | undefined;
  pingError: Error | undefined;
  snapshot: SnapshotFields = {
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
    return withShard(this.snapshot);
  }

  stats(): RoutedClientStats {
    return {
      writes: 0,
      masterReads: 0,
      replicaReads: {},
      masterChanges: 0,
      writeRetries: 0,
      readRetries: 0,
      failoverRejections: 0,
      waitingForMaster: 0,
    };
  }

  async call(): Promise<unknown> {
    throw new Error('call() is not expected of the wiring');
  }

  /** Runs `fn` with a node that answers `PING` only (with `pingError` when set). */
  async read<T>(
    fn: (node: RedisConnection, servedBy: ServedBy) => Promise<T>,
    _options?: ReadOptions,
  ): Promise<T> {
    const node = {
      ping: async () => {
        if (this.pingError) throw this.pingError;
        return 'PONG';
      },
    };
    const address = this.snapshot.master?.address ?? { host: '127.0.0.1', port: 6379 };
    return fn(node as unknown as RedisConnection, { role: 'master', address });
  }

  async write<T>(fn: (node: RedisConnection) => Promise<T>): Promise<T> {
    return this.read((node) => fn(node as RedisConnection));
  }

  async eachMaster<T>(fn: (node: RedisConnection) => Promise<T>): Promise<T[]> {
    return [await this.write(fn)];
  }

  /** This fake, typed as what the module expects. */
  get asClient(): SentinelClient {
    return this as unknown as SentinelClient;
  }
}

/** Runs fixtures/lifecycle.ts in a process of its own; rejects if it does not exit by itself. */
export function runApp(
  mode: string,
  location: string,
): Promise<{ code: number | null; output: Record<string, unknown> }> {
  const script = fileURLToPath(new URL('./fixtures/lifecycle.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=@sentinelkit/source', '--import', 'tsx', script, mode],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { ...process.env, LOCATION: location },
        // Long enough for a cold start; a process kept alive by an open handle never exits.
        timeout: 30_000,
      },
      (error, stdout, stderr) => {
        if (error?.killed) {
          reject(new Error(`the ${mode} app did not exit by itself (open handles)\n${stderr}`));
          return;
        }
        const last = stdout.trim().split('\n').at(-1) ?? '';
        try {
          resolve({ code: error ? (error.code as number) : 0, output: JSON.parse(last) });
        } catch {
          reject(new Error(`the ${mode} app printed no result: ${stdout}\n${stderr}`));
        }
      },
    );
  });
}
