// Checked by the type checker (`pnpm typecheck`): the stores fit the interfaces the host libraries
// declare, and every public type is importable.
import type { SentinelClient } from '@sentinelkit/core';
import { type Cache, createCache } from 'cache-manager';
import type { Store as CacheManager5Store } from 'cache-manager-v5';
import type { Keyv, KeyvStoreAdapter } from 'keyv';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type ClientSource,
  type CreateKeyvOptions,
  createKeyv,
  createLegacyStore,
  DEFAULT_STORE_OPTIONS,
  type KeyvStoreOptions,
  type LegacyStoreOptions,
  type SentinelKeyvStore,
  type SentinelKeyvStoreEntry,
  type SentinelKeyvStoreOpts,
  type SentinelLegacyStore,
  type StoreEvents,
  type StoreOptions,
} from '../src/index.js';

describe('public types', () => {
  it('SentinelKeyvStore is a Keyv 5 storage adapter (what @nestjs/cache-manager accepts)', () => {
    expectTypeOf<SentinelKeyvStore>().toExtend<KeyvStoreAdapter>();
    expectTypeOf<SentinelKeyvStore['opts']>().toEqualTypeOf<SentinelKeyvStoreOpts>();
    expectTypeOf<SentinelKeyvStore['setMany']>()
      .parameter(0)
      .toEqualTypeOf<SentinelKeyvStoreEntry[]>();
  });

  it('createKeyv returns a Keyv that cache-manager 7 takes as a store', () => {
    expectTypeOf(createKeyv).returns.toEqualTypeOf<Keyv<unknown>>();
    expectTypeOf(createKeyv<{ id: number }>).returns.toEqualTypeOf<Keyv<{ id: number }>>();
    expectTypeOf(createCache).parameter(0).toExtend<{ stores?: Keyv[] } | undefined>();
    expectTypeOf<ReturnType<typeof createCache>>().toEqualTypeOf<Cache>();
  });

  it('SentinelLegacyStore is a cache-manager 5 Store', () => {
    expectTypeOf<SentinelLegacyStore>().toExtend<CacheManager5Store>();
    expectTypeOf(createLegacyStore).returns.toEqualTypeOf<SentinelLegacyStore>();
  });

  it('stores take a location, core options or a client', () => {
    expectTypeOf<string>().toExtend<ClientSource>();
    expectTypeOf<SentinelClient>().toExtend<ClientSource>();
    expectTypeOf<{ masterName: string; sentinels: { host: string }[] }>().toExtend<ClientSource>();
    expectTypeOf<ConstructorParameters<typeof SentinelKeyvStore>[1]>().toEqualTypeOf<
      KeyvStoreOptions | undefined
    >();
    // The Keyv store's options are the common ones plus its local tier.
    expectTypeOf<KeyvStoreOptions>().toExtend<StoreOptions>();
    expectTypeOf<ConstructorParameters<typeof SentinelLegacyStore>[1]>().toEqualTypeOf<
      LegacyStoreOptions | undefined
    >();
    expectTypeOf(createKeyv).parameter(1).toEqualTypeOf<CreateKeyvOptions | undefined>();
    expectTypeOf<CreateKeyvOptions>().toExtend<StoreOptions>();
    expectTypeOf<StoreEvents['error']>().toEqualTypeOf<[error: Error]>();
    expectTypeOf(DEFAULT_STORE_OPTIONS).toHaveProperty('scanCount');
  });
});
