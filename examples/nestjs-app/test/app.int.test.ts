// Drives the NestJS example on a real topology (1 master, 2 replicas, 3 sentinels): the cached
// route, the health endpoint, the counter on the master, and a clean app.close().
import type { INestApplication } from '@nestjs/common';
import type { SentinelClient } from '@sentinelkit/core';
import { getSentinelClientToken } from '@sentinelkit/nestjs';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, ItemCatalog } from '../src/app.js';

let topology: SentinelTopology;
let app: INestApplication;
let client: SentinelClient;

beforeAll(async () => {
  topology = await startSentinelTopology();
  app = await createApp(topology.location, { logger: false });
  await app.init();
  client = app.get<SentinelClient>(getSentinelClientToken());
  await untilReplicas(client, 2);
});

afterAll(async () => {
  await app?.close();
  await topology?.stop();
});

const http = () => request(app.getHttpServer());

/** Resolves once the client's read rotation holds `count` replicas (on its topology events). */
function untilReplicas(sentinel: SentinelClient, count: number, timeoutMs = 20_000): Promise<void> {
  if (sentinel.topology().replicas.length === count) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onChange = () => {
      if (sentinel.topology().replicas.length !== count) return;
      clearTimeout(timer);
      sentinel.off('topology-change', onChange);
      resolve();
    };
    const timer = setTimeout(() => {
      sentinel.off('topology-change', onChange);
      reject(new Error(`not ${count} replicas in rotation within ${timeoutMs} ms: ${sentinel}`));
    }, timeoutMs);
    sentinel.on('topology-change', onChange);
  });
}

/**
 * Resolves once `key` is on every replica, polled: Nest's CacheInterceptor answers before its
 * write has reached the master, let alone the replicas the next request reads from.
 */
async function untilOnEveryReplica(key: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const replicas = (await topology.replicas()).map(
    (node) => new Redis({ host: node.host, port: node.port, lazyConnect: true }),
  );
  try {
    for (;;) {
      const found = await Promise.all(replicas.map((replica) => replica.exists(key)));
      if (found.every((n) => n === 1)) return;
      if (Date.now() > deadline) throw new Error(`${key} not on every replica in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    for (const replica of replicas) replica.disconnect();
  }
}

describe('examples/nestjs-app on a real topology', () => {
  it('GET /items/1 twice: the second answer comes from the cache, not the handler', async () => {
    const catalog = app.get(ItemCatalog);
    const first = await http().get('/items/1').expect(200);
    expect(first.body).toMatchObject({ id: '1', name: 'item 1' });
    expect(catalog.lookups).toBe(1);

    await untilOnEveryReplica('example:/items/1');
    const second = await http().get('/items/1').expect(200);
    expect(second.body).toEqual(first.body);
    expect(catalog.lookups).toBe(1);

    // Another id is another key: the handler runs for it.
    await http().get('/items/2').expect(200);
    expect(catalog.lookups).toBe(2);
  });

  it('GET /health reports the master and both replicas up', async () => {
    const master = await topology.currentMaster();
    const replicas = await topology.replicas();
    const health = await http().get('/health').expect(200);
    expect(health.body.status).toBe('ok');
    expect(health.body.info.redis).toMatchObject({
      status: 'up',
      masterName: 'mymaster',
      master: master.address,
      replicas: expect.arrayContaining(replicas.map((node) => node.address)),
    });
  });

  it('POST /counter increments on the master, GET /counter reads it back', async () => {
    expect((await http().get('/counter').expect(200)).body).toEqual({ value: 0 });
    expect((await http().post('/counter').expect(200)).body).toEqual({ value: 1 });
    expect((await http().post('/counter').expect(200)).body).toEqual({ value: 2 });
    expect((await http().get('/counter').expect(200)).body).toEqual({ value: 2 });
  });

  it('GET /metrics serves the operations by node and role, and the rotation, for Prometheus', async () => {
    await http().post('/counter').expect(200);
    await http().get('/counter').expect(200);
    const { text } = await http().get('/metrics').expect(200);
    const master = client.topology().master!.address;
    // The counter's INCR ran on the master: a duration sample with its port and role.
    expect(text).toMatch(
      new RegExp(
        `db_client_operation_duration_count\\{[^}]*server_port="${master.port}"[^}]*sentinelkit_node_role="master"[^}]*\\} [1-9]`,
      ),
    );
    expect(text).toMatch(/sentinelkit_node_role="replica"/);
    expect(text).toMatch(/sentinelkit_replicas\{[^}]*sentinelkit_master_name="mymaster"[^}]*\} 2/);
  });

  it('app.close() closes the Sentinel client it created', async () => {
    expect(client.status).toBe('ready');
    await app.close();
    expect(client.status).toBe('closed');
  });
});
