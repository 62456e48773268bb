// The stores' hits and misses as OpenTelemetry metrics: `sentinelkit.store.lookups`, recorded by
// @sentinelkit/core/opentelemetry from what the stores publish on `sentinelkit:store-lookup`.
// On a real redis-server, through both stores.
import {
  type DataPoint,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { createKeyv, createLegacyStore } from '@sentinelkit/cache-manager';
import {
  instrumentSentinelKit,
  type SentinelKitInstrumentation,
} from '@sentinelkit/core/opentelemetry';
import { SentinelStore } from '@sentinelkit/express-session';
import {
  type SentinelTopology,
  type SingleNodeClient,
  startSentinelTopology,
  startStandaloneClient,
} from '@sentinelkit/testing';
import type { SessionData } from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A reader the test collects from when it wants (an in-memory exporter without a timer). */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

let client: SingleNodeClient;
let reader: TestReader;
let provider: MeterProvider;
let instrumentation: SentinelKitInstrumentation;

beforeAll(async () => {
  client = await startStandaloneClient();
  await client.connect();
  reader = new TestReader();
  provider = new MeterProvider({ readers: [reader] });
  instrumentation = instrumentSentinelKit({ meterProvider: provider });
});

afterAll(async () => {
  instrumentation?.uninstall();
  await client?.close();
  await provider?.shutdown();
});

/** `sentinelkit.store.lookups` by store, result and tier, as `{ 'cache-manager/hit/redis': n, … }`. */
async function lookups(): Promise<Record<string, number>> {
  const collected: ResourceMetrics = (await reader.collect()).resourceMetrics;
  const points = collected.scopeMetrics.flatMap((scope) =>
    scope.metrics
      .filter((m) => m.descriptor.name === 'sentinelkit.store.lookups')
      .flatMap((m) => m.dataPoints as DataPoint<number>[]),
  );
  return Object.fromEntries(
    points.map((p) => [
      `${p.attributes['sentinelkit.store']}/${p.attributes['sentinelkit.store.result']}/${p.attributes['sentinelkit.store.tier']}`,
      p.value,
    ]),
  );
}

describe('sentinelkit.store.lookups', () => {
  it("counts the cache stores' hits and misses, each key of a getMany/mget once", async () => {
    const keyv = createKeyv(client, { namespace: 'lookups' });
    await keyv.set('a', 1);
    await keyv.set('b', 2);
    expect(await keyv.get('a')).toBe(1); // hit
    expect(await keyv.get('missing')).toBeUndefined(); // miss
    expect(await keyv.get(['a', 'b', 'missing'])).toEqual([1, 2, undefined]); // 2 hits, 1 miss
    const legacy = createLegacyStore(client, { namespace: 'lookups-legacy' });
    await legacy.set('c', 3);
    expect(await legacy.get('c')).toBe(3); // hit
    expect(await legacy.mget('c', 'missing')).toEqual([3, undefined]); // 1 hit, 1 miss

    expect(await lookups()).toMatchObject({
      'cache-manager/hit/redis': 5,
      'cache-manager/miss/redis': 3,
    });
  });

  it("counts the session store's found and missing sessions", async () => {
    const store = new SentinelStore({ client, prefix: 'lookups:' });
    const session = { cookie: { originalMaxAge: 60_000 } } as SessionData;
    await store.set('a-session-id-of-some-length', session);
    expect(await store.get('a-session-id-of-some-length')).not.toBeNull();
    expect(await store.get('no-such-session-id-here')).toBeNull();
    expect(await store.get('no-such-session-id-either')).toBeNull();

    expect(await lookups()).toMatchObject({
      'express-session/hit/redis': 1,
      'express-session/miss/redis': 2,
    });
  });
});

describe('sentinelkit.store.lookups with the local tier', () => {
  // The local tier needs a SentinelClient (it opens invalidation connections to the nodes).
  let topology: SentinelTopology;
  beforeAll(async () => {
    topology = await startSentinelTopology();
  });
  afterAll(async () => {
    await topology?.stop();
  });

  it("counts the local tier's hits apart from Redis'", async () => {
    const keyv = createKeyv(topology.location, { namespace: 'lookups-local', localCache: true });
    try {
      await keyv.set('a', 1);
      const before = await lookups();
      const delta = async (key: string) => ((await lookups())[key] ?? 0) - (before[key] ?? 0);
      // The first reads go to Redis while the tier opens its invalidation link to the node;
      // then the value is held and served locally.
      let gets = 0;
      while (gets < 50 && (await delta('cache-manager/hit/local')) === 0) {
        expect(await keyv.get('a')).toBe(1);
        gets++;
      }
      expect(await delta('cache-manager/hit/local')).toBe(1);
      // Each get counted once, in the tier that answered it.
      expect(await delta('cache-manager/hit/redis')).toBe(gets - 1);
    } finally {
      await keyv.disconnect();
    }
  });
});
