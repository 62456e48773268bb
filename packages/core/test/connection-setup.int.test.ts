import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSentinelClient,
  type SentinelClientOptions,
  SentinelConfigError,
  type SentinelKitError,
} from '../src/index.js';
import { onMaster, onNode, untilReplicaCount } from './helpers/topology.js';

/**
 * A connection whose setup (SELECT of `db`, CLIENT SETNAME) the server refused must never serve
 * a command: ioredis only emits an 'error' for it and then answers from db 0.
 */
describe('connection setup', () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    topology = await startSentinelTopology({ replicas: 2, sentinels: 1 });
    // An ACL user that may do everything but SELECT and CLIENT, on every data node.
    const nodes = [await topology.currentMaster(), ...(await topology.replicas())];
    for (const node of nodes) {
      await onNode(topology, node, 'ACL', 'SETUSER', 'limited', 'on', '>limited-pw', '~*', '&*');
      await onNode(topology, node, 'ACL', 'SETUSER', 'limited', '+@all', '-select', '-client');
    }
  });

  afterAll(async () => {
    await topology?.stop();
  });

  const connectFails = async (overrides: Partial<SentinelClientOptions>) => {
    const client = createSentinelClient(topology.location, overrides);
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    const startedAt = Date.now();
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e as SentinelKitError,
    );
    const took = Date.now() - startedAt;
    // Nothing was written anywhere either.
    const written = await client.write((r) => r.set('setup:leak', 'x')).catch(() => 'refused');
    await client.close();
    expect(written).toBe('refused');
    expect(await onMaster(topology, 'EXISTS', 'setup:leak')).toBe(0);
    return { error, took };
  };

  it.each([16, 100])('db: %i (out of range) fails connect() at once, naming "db"', async (db) => {
    const { error, took } = await connectFails({ db });
    expect(error).toBeInstanceOf(SentinelConfigError);
    expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'db' });
    expect(error?.message).toMatch(
      /^Invalid option "db": expected a database index .* got \d+\. It answered SELECT \d+ with: ERR DB index is out of range/,
    );
    // Not retried for the whole connectTimeout (2000 ms): the answer will not change.
    expect(took).toBeLessThan(1500);
  });

  it('an ACL user without SELECT fails connect() naming "db", and its password is nowhere', async () => {
    const { error } = await connectFails({ db: 2, username: 'limited', password: 'limited-pw' });
    expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'db' });
    expect(error?.message).toMatch(/NOPERM/);
    expect(`${error?.message} ${String((error?.cause as Error)?.message)}`).not.toContain(
      'limited-pw',
    );
  });

  it('an ACL user without CLIENT fails connect() naming redisOptions.connectionName', async () => {
    const { error } = await connectFails({
      username: 'limited',
      password: 'limited-pw',
      redisOptions: { connectionName: 'app' },
    });
    expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'redisOptions.connectionName' });
  });

  it('a db the server has is selected on every connection, the durable one included', async () => {
    const client = createSentinelClient(topology.location, {
      db: 3,
      redisOptions: { connectionName: 'setup-test' },
    });
    try {
      await client.connect();
      await untilReplicaCount(client, 2);
      await client.write((r) => r.set('setup:db3', 'a'));
      await client.write((r) => r.set('setup:db3:durable', 'b'), { waitReplicas: 2 });
      expect(await onMaster(topology, 'EXISTS', 'setup:db3')).toBe(0);
      const master = await topology.currentMaster();
      expect(
        await topology.command(
          master,
          'EVAL',
          "redis.call('SELECT', 3); return redis.call('MGET', KEYS[1], KEYS[2])",
          2,
          'setup:db3',
          'setup:db3:durable',
        ),
      ).toEqual(['a', 'b']);
      for (let i = 0; i < 10; i++) expect(await client.read((r) => r.get('setup:db3'))).toBe('a');
      expect(await client.read((r) => r.client('GETNAME'))).toBe('setup-test');
    } finally {
      await client.close();
    }
  });
});
