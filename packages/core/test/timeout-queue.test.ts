// A call past its `timeout` leaves the wait for a master at once. Regression: it stayed queued
// until failoverTimeout (10 s), so with Redis unreachable a busy app held RPS × 10 s waiters.
import { afterEach, describe, expect, it } from 'vitest';
import { createSentinelClient, isSentinelKitError, type SentinelClient } from '../src/index.js';
import { at, fakeSentinel, fakes, MASTER_NAME } from './helpers/fake-topology.js';

const clients: SentinelClient[] = [];

afterEach(async () => {
  await Promise.all([
    ...clients.splice(0).map((c) => c.close()),
    ...fakes.splice(0).map((f) => f.close()),
  ]);
});

describe('timeout of read/write while no master is known', () => {
  it('a timed-out call holds no waiter: stats().waitingForMaster is back to 0', async () => {
    // The sentinel never answers: the client stays `connecting` for connectTimeout (60 s here,
    // longer than the test), and every call waits for a master.
    const hung = await fakeSentinel({ master: () => 'hang' });
    const client = createSentinelClient({
      sentinels: [at(hung)],
      masterName: MASTER_NAME,
      connectTimeout: 60_000,
      failoverTimeout: 60_000,
    });
    clients.push(client);
    client.connect().catch(() => {});
    let ran = 0;
    const calls = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? client.read(async () => ran++, { timeout: 10 })
        : client.write(async () => ran++, { timeout: 10 }),
    );
    expect(client.stats().waitingForMaster).toBe(20);
    const errors = await Promise.all(calls.map((c) => c.catch((e: unknown) => e)));
    expect(errors.every((e) => isSentinelKitError(e, 'TIMEOUT'))).toBe(true);
    expect(client.stats().waitingForMaster).toBe(0);
    expect(ran).toBe(0);
    expect(client.status).toBe('connecting');
  });
});
