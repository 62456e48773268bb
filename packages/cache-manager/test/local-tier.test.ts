// No network: the local tier's options, its memory (LRU, placeholders, TTLs, flushes) and the
// parsing of invalidation messages. The rules on a real topology: local-cache.int.test.ts.
import { createSentinelClient, SentinelConfigError } from '@sentinelkit/core';
import { SingleNodeClient } from '@sentinelkit/testing';
import { describe, expect, it } from 'vitest';
import {
  createKeyv,
  createLegacyStore,
  DEFAULT_LOCAL_CACHE_OPTIONS,
  SentinelKeyvStore,
} from '../src/index.js';
import { keysOf } from '../src/invalidation-links.js';
import { entryTtl, LocalTier, REFRESH_CREDIT } from '../src/local-tier.js';

const LOCATION = 'mymaster/127.0.0.1:1';

function configError(fn: () => unknown): SentinelConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SentinelConfigError);
    return error as SentinelConfigError;
  }
  throw new Error('expected a SentinelConfigError');
}

const settings = (overrides: Partial<typeof DEFAULT_LOCAL_CACHE_OPTIONS> = {}) => ({
  ...DEFAULT_LOCAL_CACHE_OPTIONS,
  ...overrides,
});

/** A read of `keys` on `node` that returned `values`, with no TTL on the server. */
const readOf = (tier: LocalTier, keys: string[], values: (string | null)[], node = 'n:1') => {
  const placeholders = tier.begin(keys);
  return () =>
    tier.end(keys, placeholders, {
      values,
      pttls: keys.map(() => -1),
      node,
      startedAt: 0,
      now: 0,
    });
};

describe('localCache options', () => {
  it('is off by default, on with true (the defaults) or an object', () => {
    expect(new SentinelKeyvStore(LOCATION).stats().localCache).toBeUndefined();
    expect(
      new SentinelKeyvStore(LOCATION, { localCache: false }).stats().localCache,
    ).toBeUndefined();
    const on = new SentinelKeyvStore(LOCATION, { localCache: true }).stats().localCache;
    expect(on).toMatchObject({
      hits: 0,
      misses: 0,
      invalidations: 0,
      refreshes: 0,
      entries: 0,
      bytes: 0,
    });
    expect(DEFAULT_LOCAL_CACHE_OPTIONS.refresh).toBe(true);
    expect(
      createKeyv(LOCATION, { localCache: { maxEntries: 10 } }).store.stats().localCache,
    ).toBeDefined();
  });

  it.each([
    [{ localCache: 'yes' }, 'localCache'],
    [{ localCache: { maxEntries: 0 } }, 'localCache.maxEntries'],
    [{ localCache: { maxEntries: 1.5 } }, 'localCache.maxEntries'],
    [{ localCache: { maxBytes: -1 } }, 'localCache.maxBytes'],
    [{ localCache: { ttl: 0 } }, 'localCache.ttl'],
    [{ localCache: { pingInterval: 5 } }, 'localCache.pingInterval'],
    [{ localCache: { refresh: 'no' } }, 'localCache.refresh'],
    [{ localCache: { maxEntrys: 5 } }, 'localCache.maxEntrys'],
  ])('%j is refused, naming the option', (options, option) => {
    const error = configError(() => new SentinelKeyvStore(LOCATION, options as never));
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.option).toBe(option);
    expect(configError(() => createKeyv(LOCATION, options as never)).option).toBe(option);
  });

  it('a misspelt option is suggested', () => {
    const error = configError(
      () => new SentinelKeyvStore(LOCATION, { localCache: { maxEntrys: 5 } } as never),
    );
    expect(error.message).toContain('Did you mean "maxEntries"?');
  });

  it('the legacy store has no local tier', () => {
    expect(
      configError(() => createLegacyStore(LOCATION, { localCache: true } as never)).option,
    ).toBe('localCache');
  });

  it('needs a SentinelClient: another RoutedClient is refused, naming localCache', () => {
    const single = new SingleNodeClient({ host: '127.0.0.1', port: 1 });
    expect(configError(() => new SentinelKeyvStore(single, { localCache: true })).option).toBe(
      'localCache',
    );
    expect(
      new SentinelKeyvStore(createSentinelClient(LOCATION), { localCache: true }).stats()
        .localCache,
    ).toBeDefined();
  });
});

describe('LocalTier', () => {
  it('keeps what a read returned, counts hits and misses, not misses on the server', () => {
    const tier = new LocalTier(settings());
    readOf(tier, ['a', 'b'], ['1', null])();
    expect(tier.lookup('a')).toBe('1');
    expect(tier.lookup('b')).toBeUndefined();
    expect(tier.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1, bytes: 2 });
  });

  it('an invalidation during the read keeps its result out; one before the read does not', () => {
    const tier = new LocalTier(settings());
    const done = readOf(tier, ['a'], ['old']);
    tier.invalidate(['a']);
    done();
    expect(tier.lookup('a')).toBeUndefined();
    const later = readOf(tier, ['a'], ['new']);
    later();
    expect(tier.lookup('a')).toBe('new');
  });

  it('two reads of one key in flight: an invalidation keeps both out, and a third read started after it is kept', () => {
    const tier = new LocalTier(settings());
    const first = readOf(tier, ['a'], ['old']);
    const second = readOf(tier, ['a'], ['old']);
    tier.invalidate(['a']);
    const third = readOf(tier, ['a'], ['new']);
    first();
    second();
    expect(tier.lookup('a')).toBeUndefined();
    third();
    expect(tier.lookup('a')).toBe('new');
  });

  it('a flush keeps every read in flight out, and a node flush drops only what that node fed', () => {
    const tier = new LocalTier(settings());
    readOf(tier, ['a'], ['1'], 'n:1')();
    readOf(tier, ['b'], ['2'], 'n:2')();
    const inFlight = readOf(tier, ['c'], ['3'], 'n:2');
    expect(tier.flush('node-removed', 'n:1')).toBe(1);
    inFlight();
    expect([tier.lookup('a'), tier.lookup('b'), tier.lookup('c')]).toEqual([
      undefined,
      '2',
      undefined,
    ]);
    expect(tier.flush('failover')).toBe(1);
    expect(tier.stats().flushes).toMatchObject({ 'node-removed': 1, failover: 1, clear: 0 });
  });

  it('refresh: a change returns the keys looked up since they were stored; a key nobody looks up gets REFRESH_CREDIT refreshes, then none', () => {
    const tier = new LocalTier(settings());
    readOf(tier, ['hot', 'cold'], ['1', '1'])();
    expect(tier.lookup('hot')).toBe('1');
    expect(tier.invalidate(['hot', 'cold', 'absent'], true)).toEqual(['hot']);
    // The refreshes of 'hot' that follow, each answered, none looked up.
    for (let i = 0; i < REFRESH_CREDIT - 1; i++) {
      readOf(tier, ['hot'], ['2'])();
      expect(tier.invalidate(['hot'], true)).toEqual(['hot']);
    }
    readOf(tier, ['hot'], ['3'])();
    expect(tier.invalidate(['hot'], true)).toEqual([]);
    expect(tier.stats().refreshes).toBe(REFRESH_CREDIT);
    // A lookup earns the credit back.
    readOf(tier, ['hot'], ['4'])();
    expect(tier.lookup('hot')).toBe('4');
    expect(tier.invalidate(['hot'], true)).toEqual(['hot']);
  });

  it('refresh: a change while a refresh is in flight asks for another, within the credit; own writes and flushes ask for none', () => {
    const tier = new LocalTier(settings());
    readOf(tier, ['k'], ['1'])();
    tier.lookup('k');
    expect(tier.invalidate(['k'], true)).toEqual(['k']);
    const first = readOf(tier, ['k'], ['2']);
    expect(tier.invalidate(['k'], true)).toEqual(['k']); // the other replica's report
    first(); // displaced: not kept
    expect(tier.lookup('k')).toBeUndefined();
    const second = readOf(tier, ['k'], ['3']);
    expect(tier.invalidate(['k'], true)).toEqual([]); // credit spent
    second();
    expect(tier.lookup('k')).toBeUndefined();

    readOf(tier, ['w'], ['1'])();
    tier.lookup('w');
    expect(tier.invalidate(['w'])).toEqual([]); // this store wrote it
    readOf(tier, ['f'], ['1'])();
    tier.lookup('f');
    expect(tier.invalidate(['f'], true)).toEqual(['f']);
    tier.flush('failover');
    readOf(tier, ['f'], ['2'])(); // kept after the flush, with no credit left from before it
    expect(tier.invalidate(['f'], true)).toEqual([]);
  });

  it('is bounded by maxEntries and maxBytes, least recently used first', () => {
    const tier = new LocalTier(settings({ maxEntries: 2 }));
    readOf(tier, ['a', 'b'], ['1', '2'])();
    tier.lookup('a');
    readOf(tier, ['c'], ['3'])();
    expect([tier.lookup('a'), tier.lookup('b'), tier.lookup('c')]).toEqual(['1', undefined, '3']);
    const small = new LocalTier(settings({ maxBytes: 10 }));
    readOf(small, ['k1', 'k2'], ['1234', '1234'])();
    expect(small.stats().entries).toBe(1);
    expect(small.stats().bytes).toBeLessThanOrEqual(10);
  });
});

describe('entryTtl', () => {
  it('the tier ttl, cut to the server TTL less the time the read took', () => {
    expect(entryTtl(-1, 60_000, 3)).toBe(60_000);
    expect(entryTtl(500, 60_000, 3)).toBe(497);
    expect(entryTtl(90_000, 60_000, 3)).toBe(60_000);
    expect(entryTtl(2, 60_000, 3)).toBe(0);
    expect(entryTtl(-2, 60_000, 0)).toBe(0);
    expect(entryTtl(undefined, 60_000, 0)).toBe(0);
  });
});

describe('keysOf', () => {
  it('keys of an invalidation message, without the client keyPrefix; null for a flush', () => {
    expect(keysOf([Buffer.from('p:ns:a'), Buffer.from('p:ns:b')], 'p:')).toEqual(['ns:a', 'ns:b']);
    expect(keysOf([Buffer.from('ns:a')], '')).toEqual(['ns:a']);
    expect(keysOf(null, '')).toBeNull();
  });
});
