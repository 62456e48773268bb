// A master killed while HTTP clients keep calling a Nest 12 app: every request still succeeds.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { SentinelClient, TopologyEvent } from '@sentinelkit/core';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getSentinelClientToken } from '../src/index.js';
import { appModule } from './fixtures/app.js';
import { listen, nextTopologyEvent, untilReplicaCount } from './helpers.js';

let topology: SentinelTopology;
let app: INestApplication;
let client: SentinelClient;
let base: string;

beforeAll(async () => {
  topology = await startSentinelTopology();
  const ref = await Test.createTestingModule({
    // The cache rejects instead of answering like an empty cache, so a store failure would
    // show as a failed request.
    imports: [appModule({ location: topology.location }, { ttl: 60_000, throwOnErrors: true })],
  }).compile();
  // forceCloseConnections: close() does not wait for the load's keep-alive connections.
  app = ref.createNestApplication({ logger: false, forceCloseConnections: true });
  base = await listen(app);
  client = app.get<SentinelClient>(getSentinelClientToken());
  await untilReplicaCount(client, 2);
});

afterAll(async () => {
  await app?.close();
  await topology?.stop();
});

interface Outcome {
  path: string;
  status: number | string;
  at: number;
}

/**
 * `workers` loops, each calling the app's endpoints in turn (writes through the client, reads
 * from replicas, the cache interceptor, CACHE_MANAGER) until `stop()`.
 */
function traffic(workers: number) {
  const outcomes: Outcome[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let running = true;
  let n = 0;
  const call = async (method: string, path: string, body?: unknown) => {
    const outcome: Outcome = { path, status: 'pending', at: 0 };
    try {
      const response = await fetch(`${base}${path}`, {
        method,
        // Bounded, so the load always stops; a request that takes this long has failed anyway.
        signal: AbortSignal.timeout(15_000),
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      await response.arrayBuffer();
      outcome.status = response.status;
    } catch (error) {
      outcome.status = (error as Error).message;
    }
    outcome.at = Date.now();
    outcomes.push(outcome);
    for (const waiter of waiters.filter((w) => outcomes.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const worker = async (w: number) => {
    while (running) {
      const i = n++;
      await call('PUT', `/items/${w}-${i}`, { value: String(i) });
      await call('GET', `/items/${w}-${i}`);
      await call('GET', `/cached/${i % 20}`);
      await call('GET', `/through-cache/${w}-${i}`);
    }
  };
  const loops = Array.from({ length: workers }, (_, w) => worker(w));
  return {
    outcomes,
    /** Resolves once `count` more requests have completed. */
    more(count: number): Promise<void> {
      return new Promise((resolve) => waiters.push({ count: outcomes.length + count, resolve }));
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

it('a master kill during requests: no request fails, and requests go on after the switch', async () => {
  const load = traffic(4);
  let change: Extract<TopologyEvent, { type: 'MASTER_CHANGE' }>;
  try {
    // Traffic first, then the fault, in the middle of it.
    await load.more(100);
    const old = await topology.currentMaster();
    const switched = nextTopologyEvent(
      client,
      (e: TopologyEvent) => e.type === 'MASTER_CHANGE' && e.reason !== 'discovered',
      30_000,
    );
    await topology.killMaster();
    change = (await switched) as typeof change;
    expect(change.current.port).not.toBe(old.port);
    // Keep calling on the new master for a while.
    await load.more(200);
  } finally {
    await load.stop();
  }
  const outcomes = load.outcomes;

  const failed = outcomes.filter((o) => o.status !== 200);
  expect(failed).toEqual([]);
  expect(outcomes.filter((o) => o.at > change.switchedAt).length).toBeGreaterThanOrEqual(200);
  // Writes that arrived while there was no master waited for the new one instead of failing.
  expect(change.timings?.queued).toBeGreaterThan(0);
});
