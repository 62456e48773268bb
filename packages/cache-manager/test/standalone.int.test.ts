// The stores on a second implementation of the contract: @sentinelkit/testing's SingleNodeClient
// over one real redis-server (no Sentinel, no replica). The stores' source is the same as on
// SentinelClient: they use the RoutedClient contract only.
import { type SingleNodeClient, startStandaloneClient } from '@sentinelkit/testing';
import { createCache } from 'cache-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyv, createLegacyStore } from '../src/index.js';

let client: SingleNodeClient;

beforeAll(async () => {
  client = await startStandaloneClient();
  await client.connect();
});

afterAll(async () => {
  await client?.close();
});

describe('on a SingleNodeClient', () => {
  it('Keyv: set, get, getMany, has, delete, clear of its namespace only', async () => {
    const keyv = createKeyv(client, { namespace: 'standalone' });
    const other = createKeyv(client, { namespace: 'other' });
    await keyv.set('a', { n: 1 });
    await keyv.set('b', 'two', 60_000);
    await other.set('a', 'kept');
    expect(await keyv.get('a')).toEqual({ n: 1 });
    expect(await keyv.get(['a', 'b', 'missing'])).toEqual([{ n: 1 }, 'two', undefined]);
    expect(await keyv.has('b')).toBe(true);
    expect(await keyv.delete('a')).toBe(true);
    expect(await keyv.get('a')).toBeUndefined();
    await keyv.clear();
    expect(await keyv.get('b')).toBeUndefined();
    expect(await other.get('a')).toBe('kept');
    // The store was given the client: it reads through it and leaves it open.
    expect(client.stats().masterReads).toBeGreaterThan(0);
    await keyv.disconnect();
    expect(client.status).toBe('ready');
  });

  it('cache-manager 7 over it: wrap() computes once, then serves from Redis', async () => {
    const cache = createCache({ stores: [createKeyv(client, { namespace: 'wrap' })] });
    let computed = 0;
    const compute = async () => ++computed;
    expect(await cache.wrap('k', compute, 60_000)).toBe(1);
    expect(await cache.wrap('k', compute, 60_000)).toBe(1);
    expect(computed).toBe(1);
  });

  it('the legacy (cache-manager 5) store: set, get, del, keys', async () => {
    const store = createLegacyStore(client, { namespace: 'legacy' });
    await store.set('x', 'y', 60_000);
    expect(await store.get('x')).toBe('y');
    expect(await store.keys()).toEqual(['x']);
    await store.del('x');
    expect(await store.get('x')).toBeUndefined();
  });
});
