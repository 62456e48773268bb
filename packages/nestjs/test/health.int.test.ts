// The Terminus health endpoint of a Nest 12 app over a real topology, broken step by step:
// up → degraded (both replicas frozen) → down (no master, and no failover possible).
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { SentinelClient } from '@sentinelkit/core';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getSentinelClientToken } from '../src/index.js';
import { appModule } from './fixtures/app.js';
import { nextTopologyEvent, untilReplicaCount } from './helpers.js';

let topology: SentinelTopology;
let app: INestApplication;
let client: SentinelClient;

beforeAll(async () => {
  topology = await startSentinelTopology();
  const ref = await Test.createTestingModule({
    imports: [appModule({ location: topology.location })],
  }).compile();
  app = ref.createNestApplication({ logger: false });
  await app.init();
  client = app.get<SentinelClient>(getSentinelClientToken());
  await untilReplicaCount(client, 2);
});

afterAll(async () => {
  await app?.close();
  await topology?.stop();
});

const health = () => request(app.getHttpServer()).get('/health');

it('up, then degraded with the replicas frozen, then down without a master', async () => {
  const master = await topology.currentMaster();
  const replicas = await topology.replicas();

  const up = await health().expect(200);
  expect(up.body.status).toBe('ok');
  expect(up.body.info.redis).toEqual({
    status: 'up',
    masterName: 'mymaster',
    clientStatus: 'ready',
    master: master.address,
    replicas: expect.arrayContaining(replicas.map((r) => r.address)),
    sentinels: topology.sentinelNodes.map((s) => s.address),
  });

  // Both replicas hang: Sentinel flags them down and the client takes them out of rotation.
  for (const replica of replicas) await topology.freeze(replica);
  await untilReplicaCount(client, 0);
  const degraded = await health().expect(200);
  expect(degraded.body.status).toBe('degraded');
  expect(degraded.body.info.redis).toMatchObject({
    status: 'degraded',
    master: master.address,
    replicas: [],
    message: 'no healthy replica: reads go to the master',
  });

  // No failover can happen: 2 of 3 sentinels are gone (quorum 2) and the replicas are frozen.
  await topology.kill(topology.sentinelNodes[0]!);
  await topology.kill(topology.sentinelNodes[1]!);
  const lost = nextTopologyEvent(client, (e) => e.type === 'MASTER_LOST');
  await topology.kill(master);
  await lost;
  const down = await health().expect(503);
  expect(down.body.status).toBe('error');
  expect(down.body.error.redis).toMatchObject({
    status: 'down',
    master: null,
    message: 'no verified master',
  });
  // It stays down while there is no master to be had.
  expect(client.topology().master).toBeUndefined();
  await health().expect(503);
});
