// What CLIENT TRACKING costs the server, default mode against BCAST with the namespace as prefix:
// tracking-table memory and invalidation messages, on one redis-server started here (not a
// throughput benchmark: counts, which the machine's load does not change). Informs the local
// tier's choice of BCAST (docs/cache-manager.md#local-tier). Run: pnpm --filter @sentinelkit/bench tracking-cost
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';

// RESP2 throughout: a RESP3 redirect target gets `invalidate` push frames, which ioredis 6 drops.

const PORT = Number(process.env.TRACKING_COST_PORT ?? 16_987);
const KEYS = 10_000; // keys of the namespace
const READERS = 4; // processes with a local tier
const READ_EACH = 2_000; // distinct keys each process reads (and so holds)

async function main(): Promise<void> {
  const server = spawn(
    'redis-server',
    ['--port', String(PORT), '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  try {
    const admin = new Redis({
      port: PORT,
      protocol: 2,
      retryStrategy: (n) => (n > 50 ? null : 20),
    });
    admin.on('error', () => {}); // refused until the server listens; retried
    await admin.ping();
    for (const mode of ['default', 'bcast'] as const) {
      await admin.flushall();
      const pipeline = admin.pipeline();
      for (let i = 0; i < KEYS; i++) pipeline.set(`app:k${i}`, 'x'.repeat(100));
      await pipeline.exec();
      const before = await memory(admin);
      let received = 0;
      const connections: Redis[] = [];
      for (let r = 0; r < READERS; r++) {
        const link = new Redis({ port: PORT, protocol: 2 });
        connections.push(link);
        const id = String(await link.client('ID'));
        link.on('messageBuffer', (_channel: Buffer, message: unknown) => {
          if (Array.isArray(message)) received += message.length;
        });
        const reader = mode === 'default' ? new Redis({ port: PORT, protocol: 2 }) : link;
        if (mode === 'default') {
          connections.push(reader);
          await reader.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', id);
        } else {
          await link.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', id, 'BCAST', 'PREFIX', 'app:');
        }
        await link.subscribe('__redis__:invalidate');
        const reads = mode === 'default' ? reader : new Redis({ port: PORT, protocol: 2 });
        if (reads !== reader) connections.push(reads);
        const p = reads.pipeline();
        for (let i = 0; i < READ_EACH; i++) p.get(`app:k${(i * 7 + r * 1_000) % KEYS}`);
        await p.exec();
      }
      const stats = await trackingStats(admin);
      const after = await memory(admin);
      // One write of every key of the namespace, as a cache's writes spread over it.
      const writes = admin.pipeline();
      for (let i = 0; i < KEYS; i++) writes.set(`app:k${i}`, 'y');
      await writes.exec();
      await admin.ping();
      await new Promise((resolve) => setTimeout(resolve, 200));
      console.log(
        `${mode}: tracking keys ${stats.keys}, items ${stats.items}, prefixes ${stats.prefixes}; used_memory +${((after - before) / 1024).toFixed(0)} KiB with ${READERS} readers × ${READ_EACH} keys read; ${KEYS} writes → ${received} keys invalidated in all (${(received / READERS).toFixed(0)} per reader)`,
      );
      for (const c of connections) c.disconnect();
    }
    admin.disconnect();
  } finally {
    server.kill();
    await once(server, 'exit');
  }
}

async function memory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function trackingStats(redis: Redis) {
  const info = await redis.info('stats');
  const field = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? 0);
  return {
    keys: field('tracking_total_keys'),
    items: field('tracking_total_items'),
    prefixes: field('tracking_total_prefixes'),
  };
}

await main();
