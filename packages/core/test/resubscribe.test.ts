import { type FakeRedis, startFakeRedis } from '@sentinelkit/testing';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { handleResubscribeFailures } from '../src/sentinel-watch.js';

const servers: FakeRedis[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

// ioredis' autoResubscribe calls the connection's own subscribe() on reconnect and drops the
// promise; this does the same: a SUBSCRIBE the server never answers, its promise dropped, then
// the connection closed (a sentinel killed at that moment, or close()).
it('a dropped SUBSCRIBE that fails when its connection closes is not an unhandled rejection', async () => {
  const server = await startFakeRedis((args) =>
    args[0]?.toUpperCase() === 'SUBSCRIBE' ? 'hang' : undefined,
  );
  servers.push(server);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const redis = new Redis({
      host: server.host,
      port: server.port,
      lazyConnect: true,
      enableReadyCheck: false,
    });
    redis.on('error', () => {});
    handleResubscribeFailures(redis);
    await redis.connect();
    void redis.subscribe('__sentinel__:hello');
    await new Promise<void>((resolve) => {
      const check = () =>
        server.commands.some((c) => c[0]?.toUpperCase() === 'SUBSCRIBE')
          ? resolve()
          : setImmediate(check);
      check();
    });
    const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
    redis.disconnect();
    await ended;
    // Node reports an unhandled rejection once the microtasks of the turn have run.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
