// The module, the cache module and the health indicator on a real Redis Cluster (3 masters, 1
// replica each), from a `redis+cluster://` location and nothing else: the app boots, writes and
// reads, shuts down leaving nothing, and its health endpoint follows a master kill:
// not up while the slot's master is gone, degraded once its replica is promoted (the shard has no
// replica left), up again once the old master rejoins as a replica.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ClusterClient, type RoutedClient } from '@sentinelkit/core';
import { type ClusterTopology, startClusterTopology } from '@sentinelkit/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getSentinelClientToken } from '../src/index.js';
import { appModule } from './fixtures/app.js';
import { runApp } from './helpers.js';

let cluster: ClusterTopology;
let app: INestApplication;
let client: RoutedClient;

/** Waits on the client's own view until every shard has a master and `n` replicas in rotation. */
async function untilReplicas(n: number): Promise<void> {
  await vi.waitFor(
    () => {
      const shards = client.topology().shards;
      expect(shards).toHaveLength(3);
      for (const shard of shards) {
        expect(shard.master).toBeDefined();
        expect(shard.replicas).toHaveLength(n);
      }
    },
    { timeout: 20_000, interval: 50 },
  );
}

const health = () => request(app.getHttpServer()).get('/health');

/** Asks the health endpoint until its answer passes `check`, and returns that answer. */
async function untilHealth(check: (body: Record<string, unknown>) => void, timeout = 20_000) {
  return vi.waitFor(
    async () => {
      const { body } = await health();
      check(body);
      return body;
    },
    { timeout, interval: 50 },
  );
}

beforeAll(async () => {
  cluster = await startClusterTopology({ masters: 3, replicasPerMaster: 1 });
  const ref = await Test.createTestingModule({
    imports: [appModule({ location: cluster.location })],
  }).compile();
  app = ref.createNestApplication({ logger: false });
  await app.init();
  client = app.get<RoutedClient>(getSentinelClientToken());
  // A fresh cluster calls its replicas "loading" until their replication offset moves.
  await Promise.all(
    ['{a}', '{b}', '{c}', '{d}', '{e}', '{f}'].map((k) =>
      client.write((m) => m.set(`warm:${k}`, '1'), { idempotent: true }),
    ),
  );
  await untilReplicas(1);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await cluster?.stop();
});

describe('SentinelModule and SentinelCacheModule on a cluster location', () => {
  it('inject a cluster client that writes and reads keys of every shard', async () => {
    expect(client).toBeInstanceOf(ClusterClient);
    const server = app.getHttpServer();
    const ids = Array.from({ length: 30 }, (_, i) => `k${i}`);
    for (const id of ids) {
      await request(server)
        .put(`/items/${id}`)
        .send({ value: `v-${id}` })
        .expect(200);
    }
    for (const id of ids) {
      const { body } = await request(server).get(`/items/${id}`).expect(200);
      expect(body).toEqual({ value: `v-${id}` });
    }
    // The keys spread over the three shards.
    const masters = new Set(
      await Promise.all(ids.map(async (id) => (await cluster.masterForKey(`item:${id}`)).name)),
    );
    expect(masters.size).toBe(3);
    // The cache (CACHE_MANAGER and the interceptor) on the same client.
    await request(server).get('/through-cache/1').expect(200);
    const first = await request(server).get('/cached/c1').expect(200);
    // Cache reads go to a replica of the key's shard: the entry must have reached it first (as
    // app.int waits under Sentinel), or the second request misses and runs the handler again.
    await cluster.waitForReplication();
    const again = await request(server).get('/cached/c1').expect(200);
    expect(again.body).toEqual(first.body);
  });

  it('leave nothing open: an app on a cluster location exits by itself after app.close()', async () => {
    const { code, output } = await runApp('owned', cluster.location);
    expect(code).toBe(0);
    expect(output).toEqual({ statuses: [200, 200, 200, 200] });
  });
});

describe('the health indicator on a cluster', () => {
  it('up, then not up while a master is gone, degraded after the promotion, up once it rejoins', async () => {
    const up = await health().expect(200);
    expect(up.body.status).toBe('ok');
    expect(up.body.info.redis).toMatchObject({
      status: 'up',
      clientStatus: 'ready',
      clusterState: 'ok',
      slotsCovered: 16384,
    });
    const shards = await cluster.shards();
    expect(up.body.info.redis.shards).toEqual(
      shards.map((shard) => ({
        slots: [`${shard.slots[0]![0]}-${shard.slots[0]![1]}`],
        master: shard.master.address,
        replicas: shard.replicas.map((r) => r.address),
      })),
    );

    const killed = await cluster.killMaster({ shard: 0 });
    // While shard 0 has no master: down (the master does not answer, or the client or the
    // cluster says it is gone), or degraded once the cluster dropped its replica too.
    const gone = await untilHealth((body) => expect(body.status).not.toBe('ok'));
    expect(['error', 'degraded']).toContain(gone.status);
    const promoted = await cluster.waitForFailover({ shard: 0 });
    expect(promoted.master).not.toBe(killed);

    // The promoted replica serves every slot of shard 0; shard 0 has no replica left.
    const degraded = await untilHealth((body) => expect(body.status).toBe('degraded'));
    expect(degraded).toMatchObject({
      info: {
        redis: {
          status: 'degraded',
          clusterState: 'ok',
          slotsCovered: 16384,
          message: expect.stringContaining(`${promoted.master.address} (slots 0-5460)`),
        },
      },
    });

    await cluster.restart(killed); // rejoins as a replica of its successor
    await cluster.waitForReady();
    const back = await untilHealth((body) => expect(body.status).toBe('ok'));
    expect(back).toMatchObject({
      info: { redis: { status: 'up', clusterState: 'ok', slotsCovered: 16384 } },
    });
    expect((back as { info: { redis: { shards: unknown[] } } }).info.redis.shards[0]).toEqual({
      slots: ['0-5460'],
      master: promoted.master.address,
      replicas: [killed.address],
    });
  }, 60_000);
});
