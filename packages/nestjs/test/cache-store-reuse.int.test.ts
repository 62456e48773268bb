// docs/nestjs.md's plain form, `CacheModule.register({ stores: [createKeyv(location)] })`, in a
// suite that builds one app per test: every app shares the one store object, and each
// app.close() disconnects it. Regression: after the first close every later get was a silent
// miss (the store's own client stayed closed); it must reopen on use.
import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import { Test } from '@nestjs/testing';
import { createKeyv } from '@sentinelkit/cache-manager';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import type { Cache } from 'cache-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onMaster } from './helpers.js';

let topology: SentinelTopology;

beforeAll(async () => {
  topology = await startSentinelTopology();
});

afterAll(async () => {
  await topology?.stop();
});

describe('one createKeyv store shared by apps built one after another', () => {
  it('works in every app: app.close() closes its client, the next use opens a new one', async () => {
    // Reads from the master: the test asserts what a get returns right after the set.
    const keyv = createKeyv(topology.location, { namespace: 'reuse', readFrom: 'master' });
    const errors: Error[] = [];
    keyv.on('error', (error: Error) => errors.push(error));
    const clients = new Set<unknown>();

    for (const round of [1, 2, 3]) {
      const ref = await Test.createTestingModule({
        imports: [CacheModule.register({ stores: [keyv] })],
      }).compile();
      const app = ref.createNestApplication({ logger: false });
      await app.init();
      const cache = app.get<Cache>(CACHE_MANAGER);

      await cache.set(`key${round}`, { round });
      expect(await onMaster(topology, 'EXISTS', `reuse:key${round}`)).toBe(1);
      expect(await cache.get(`key${round}`)).toEqual({ round });
      if (round > 1) expect(await cache.get(`key${round - 1}`)).toEqual({ round: round - 1 });
      clients.add((keyv.store as { client: unknown }).client);

      await app.close();
      expect((keyv.store as { client: { status: string } }).client.status).toBe('closed');
    }
    expect(errors).toEqual([]);
    // A new client per app: the closed one is never used again.
    expect(clients.size).toBe(3);
  });
});
