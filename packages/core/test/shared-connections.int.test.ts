import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createSentinelClient,
  type SentinelClient,
  type SentinelKitErrorCode,
  type TopologyEvent,
} from '../src/index.js';
import { onMaster, untilReplicaCount } from './helpers/topology.js';

/**
 * The client's connections are shared by every caller: nothing one caller sends through
 * `call()`, `write(fn)` or `read(fn)` may change them for the next one.
 */
describe('shared connections', () => {
  let topology: SentinelTopology;
  let client: SentinelClient;
  const events: TopologyEvent[] = [];
  let n = 0;
  const key = () => `shared:${++n}`;

  const rejectsWith = async (promise: Promise<unknown>, code: SentinelKitErrorCode) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'expected a rejection').toBeInstanceOf(Error);
    expect((error as { code?: unknown }).code, String(error)).toBe(code);
    return error as Error;
  };

  /** The client still writes to db 0 of the master and runs each write (not QUEUED). */
  const stillWorks = async () => {
    const k = key();
    expect(await client.write((r) => r.set(k, 'v'))).toBe('OK');
    expect(await onMaster(topology, 'GET', k)).toBe('v');
    expect(await client.read((r) => r.ping())).toBe('PONG');
    expect(events.filter((e) => e.type === 'MASTER_LOST' || e.type === 'REPLICA_REMOVE')).toEqual(
      [],
    );
  };

  beforeAll(async () => {
    topology = await startSentinelTopology({ replicas: 2, sentinels: 1 });
    client = createSentinelClient(topology.location);
    client.on('topology-change', (e) => events.push(e));
    client.on('error', () => {});
    await client.connect();
    await untilReplicaCount(client, 2);
  });

  beforeEach(() => {
    events.length = 0;
  });

  afterAll(async () => {
    await client?.close();
    await topology?.stop();
  });

  describe('call()', () => {
    it('refuses MULTI, and the writes after it still run', async () => {
      const error = await rejectsWith(client.call('MULTI'), 'COMMAND_NOT_ALLOWED');
      expect(error.message).toMatch(/multi\(\)/);
      await stillWorks();
    });

    it('refuses SELECT, and writes stay in db 0', async () => {
      const error = await rejectsWith(client.call('SELECT', '5'), 'COMMAND_NOT_ALLOWED');
      expect(error.message).toMatch(/"db" option/);
      await stillWorks();
    });

    it('refuses the subscribe commands without crashing the process', async () => {
      for (const command of ['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE']) {
        const error = await rejectsWith(client.call(command, 'news'), 'COMMAND_NOT_ALLOWED');
        expect(error.message).toMatch(/connection of its own/);
      }
      await stillWorks();
    });

    it('refuses CLIENT REPLY OFF, RESET, blocking reads and WAIT', async () => {
      await rejectsWith(client.call('CLIENT', 'REPLY', 'OFF'), 'COMMAND_NOT_ALLOWED');
      await rejectsWith(client.call('RESET'), 'COMMAND_NOT_ALLOWED');
      await rejectsWith(client.call('BLPOP', key(), '0'), 'COMMAND_NOT_ALLOWED');
      await rejectsWith(
        client.call('XREAD', 'BLOCK', '0', 'STREAMS', key(), '$'),
        'COMMAND_NOT_ALLOWED',
      );
      await rejectsWith(client.call('WAIT', '1', '0'), 'COMMAND_NOT_ALLOWED');
      await stillWorks();
    });

    it('still sends the commands that do not touch the connection', async () => {
      const k = key();
      expect(await client.call('SET', k, '1')).toBe('OK');
      expect(await client.call('XREAD', 'COUNT', '1', 'STREAMS', key(), '0')).toBeNull();
      expect(await client.call('CLIENT', 'ID')).toEqual(expect.any(Number));
      expect(await client.call('PUBLISH', 'news', 'hello')).toBe(0);
    });
  });

  describe('inside write(fn)', () => {
    const refused: [string, (r: Redis) => Promise<unknown>][] = [
      ['SELECT', (r) => r.select(5)],
      ['MULTI without exec', (r) => r.call('MULTI')],
      ['multi({ pipeline: false })', (r) => r.multi({ pipeline: false }) as Promise<unknown>],
      ['SUBSCRIBE', (r) => r.subscribe('news')],
      ['CLIENT REPLY OFF', (r) => r.client('REPLY', 'OFF') as Promise<unknown>],
      ['QUIT', (r) => r.quit()],
      ['WATCH', (r) => r.watch(key())],
      ['BRPOP', (r) => r.brpop(key(), 0)],
      ['disconnect()', async (r) => r.disconnect()],
      ['a pipeline with SELECT', (r) => r.pipeline().set(key(), 'x').select(5).exec()],
      ['a transaction with SELECT', (r) => r.multi().select(5).set(key(), 'x').exec()],
    ];
    for (const [what, fn] of refused) {
      it(`refuses ${what}, and the next callers are not affected`, async () => {
        await rejectsWith(client.write(fn), 'COMMAND_NOT_ALLOWED');
        await stillWorks();
      });
    }

    it('refuses a pipeline as a whole: none of its commands is sent', async () => {
      const k = key();
      await rejectsWith(
        client.write((r) => r.pipeline().set(k, 'x').select(5).exec()),
        'COMMAND_NOT_ALLOWED',
      );
      expect(await onMaster(topology, 'EXISTS', k)).toBe(0);
    });

    it('keeps transactions and pipelines working', async () => {
      const k = key();
      expect(await client.write((r) => r.multi().set(k, '1').incr(k).exec())).toEqual([
        [null, 'OK'],
        [null, 2],
      ]);
      // A transaction inside a pipeline (ioredis' pipeline().multi()…exec() adds the EXEC).
      type Chain = { incr(k: string): Chain; multi(): Chain; exec(): Chain & Promise<unknown> };
      expect(
        await client.write((r) =>
          (r.pipeline() as unknown as Chain).incr(k).multi().incr(k).exec().exec(),
        ),
      ).toEqual([
        [null, 3],
        [null, 'OK'],
        [null, 'QUEUED'],
        [null, [4]],
      ]);
      expect(await client.write((r) => r.multi([['incr', k]]).exec())).toEqual([[null, 5]]);
      expect(await client.write((r) => r.eval("return redis.call('INCR', KEYS[1])", 1, k))).toBe(6);
      expect(await client.write((r) => r.multi().incr(k).exec(), { waitReplicas: 1 })).toEqual([
        [null, 7],
      ]);
      await stillWorks();
    });

    it('refuses the same with waitReplicas (its own connection)', async () => {
      await rejectsWith(
        client.write((r) => r.select(5), { waitReplicas: 1 }),
        'COMMAND_NOT_ALLOWED',
      );
      const k = key();
      expect(await client.write((r) => r.set(k, 'v'), { waitReplicas: 1 })).toBe('OK');
      expect(await onMaster(topology, 'GET', k)).toBe('v');
    });
  });

  describe('a write inside read(fn)', () => {
    it('rejects WRITE_IN_READ and leaves the replicas in the rotation', async () => {
      const before = client.stats().replicaReads;
      for (let i = 0; i < 20; i++) {
        const error = await rejectsWith(
          client.read((r) => r.set(key(), 'x')),
          'WRITE_IN_READ',
        );
        expect(error.message).toMatch(/write\(\)/);
      }
      // A script that writes is not flagged as a write: the replica refuses it (READONLY).
      await rejectsWith(
        client.read((r) => r.eval("return redis.call('SET', KEYS[1], 'x')", 1, key())),
        'WRITE_IN_READ',
      );
      expect(client.topology().replicas).toHaveLength(2);
      expect(events.filter((e) => e.type === 'REPLICA_REMOVE')).toEqual([]);
      // Reads still spread over both replicas; none falls back to the master.
      const masterReads = client.stats().masterReads;
      for (let i = 0; i < 60; i++) await client.read((r) => r.get('shared:none'));
      const after = client.stats().replicaReads;
      const served = Object.keys(after).filter((k) => (after[k] ?? 0) > (before[k] ?? 0));
      expect(served).toHaveLength(2);
      expect(client.stats().masterReads).toBe(masterReads);
    });

    it('rejects the same when the read goes to the master', async () => {
      const k = key();
      await rejectsWith(
        client.read((r) => r.set(k, 'x'), { readFrom: 'master' }),
        'WRITE_IN_READ',
      );
      expect(await onMaster(topology, 'EXISTS', k)).toBe(0);
    });
  });
});
