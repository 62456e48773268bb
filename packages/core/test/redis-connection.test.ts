// Compile-time checks (`pnpm typecheck` runs them; vitest only runs the empty bodies): the type
// callbacks receive is exported, and app code typed with ioredis' own `Redis` fits the callbacks.
import type { Redis } from 'ioredis';
import { describe, expectTypeOf, it } from 'vitest';
import type { RedisConnection, SentinelClient } from '../src/index.js';

type WriteCallbackConnection = Parameters<Parameters<SentinelClient['write']>[0]>[0];
type ReadCallbackConnection = Parameters<Parameters<SentinelClient['read']>[0]>[0];

describe('the connection type of callbacks', () => {
  it('is exported as RedisConnection, and is ioredis’ Redis', () => {
    expectTypeOf<RedisConnection>().toEqualTypeOf<Redis>();
    expectTypeOf<WriteCallbackConnection>().toEqualTypeOf<RedisConnection>();
    expectTypeOf<ReadCallbackConnection>().toEqualTypeOf<RedisConnection>();
  });

  it('accepts app functions typed with `import type { Redis } from "ioredis"`', () => {
    const save = (redis: Redis) => redis.set('k', 'v');
    const load = (redis: RedisConnection) => redis.get('k');
    const write = (client: SentinelClient) => client.write(save);
    const read = (client: SentinelClient) => client.read(load);
    expectTypeOf(write).returns.resolves.toEqualTypeOf<'OK'>();
    expectTypeOf(read).returns.resolves.toEqualTypeOf<string | null>();
  });
});
