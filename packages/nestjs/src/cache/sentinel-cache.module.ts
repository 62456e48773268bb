import { CacheModule } from '@nestjs/cache-manager';
import type { DynamicModule, FactoryProvider, ModuleMetadata } from '@nestjs/common';
import { type CreateKeyvOptions, createKeyv } from '@sentinelkit/cache-manager';
import type { RoutedClient } from '@sentinelkit/core';
import { getSentinelClientToken } from '../sentinel.constants.js';
import { resolveClientName } from '../sentinel.options.js';

/**
 * The cache's options: the store's (`@sentinelkit/cache-manager`) and cache-manager's. All times
 * are milliseconds, as in Nest 12's `CacheModule`.
 */
export interface SentinelCacheOptions extends Omit<CreateKeyvOptions, 'clientOptions'> {
  /**
   * Default time to live of cached values, in milliseconds (`@CacheTTL()` and
   * `cache.set(key, value, ttl)` override it); `0` or none for no expiry.
   * @default undefined (no expiry)
   */
  ttl?: number;
  /**
   * cache-manager's `refreshThreshold`: milliseconds of remaining life under which `wrap()`
   * refreshes a value in the background.
   * @default undefined (no background refresh)
   */
  refreshThreshold?: number;
}

/** Options of {@link SentinelCacheModule.forRoot}: the cache's, and where it gets the client. */
export interface SentinelCacheModuleOptions extends SentinelCacheOptions {
  /**
   * Name of the `SentinelModule` client the cache uses.
   * @default 'default'
   */
  client?: string;
  /**
   * Register the `CacheModule` globally, so `CACHE_MANAGER` and `CacheInterceptor` work in every
   * module (Nest's `CacheModule` option of the same name).
   * @default false
   */
  isGlobal?: boolean;
  /**
   * Modules the cache needs: the `SentinelModule.forRoot()` that registers the client, when that
   * one is registered with `isGlobal: false`.
   * @default []
   */
  imports?: ModuleMetadata['imports'];
}

/** Options of {@link SentinelCacheModule.forRootAsync}. */
export interface SentinelCacheModuleAsyncOptions
  extends Pick<SentinelCacheModuleOptions, 'client' | 'isGlobal' | 'imports'> {
  /** Returns the cache's options; receives the providers named in `inject`. */
  useFactory: (...args: never[]) => SentinelCacheOptions | Promise<SentinelCacheOptions>;
  /**
   * Providers handed to `useFactory`, in order (a `ConfigService`, say).
   * @default []
   */
  inject?: FactoryProvider['inject'];
}

/**
 * Nest's own `CacheModule` on a Sentinel client in one step: `forRoot()` returns
 * `CacheModule.registerAsync()` with a store of `@sentinelkit/cache-manager` on the client of
 * `SentinelModule`, so `CacheInterceptor`, `@CacheKey()`, `@CacheTTL()` and `CACHE_MANAGER` work
 * unchanged: reads go to replicas, writes and `clear()` to the master, and a failover is invisible
 * to the cache. The store shares the client: `app.close()` disconnects the cache and then
 * `SentinelModule` closes the client, once.
 *
 * ```ts
 * imports: [
 *   SentinelModule.forRoot({ location: process.env.REDIS_SENTINEL_URL! }),
 *   SentinelCacheModule.forRoot({ ttl: 60_000, namespace: 'app', isGlobal: true }),
 * ]
 * ```
 */
// biome-ignore lint/complexity/noStaticOnlyClass: Nest's convention for module factories (X.forRoot()).
export class SentinelCacheModule {
  /** `CacheModule.registerAsync()` on the client named `client`, with these cache options. */
  static forRoot(options: SentinelCacheModuleOptions = {}): DynamicModule {
    const { client, isGlobal, imports, ...cache } = options;
    return SentinelCacheModule.forRootAsync({
      ...(client === undefined ? {} : { client }),
      ...(isGlobal === undefined ? {} : { isGlobal }),
      ...(imports === undefined ? {} : { imports }),
      useFactory: () => cache,
    });
  }

  /** `CacheModule.registerAsync()` on the client named `client`, with options from a factory. */
  static forRootAsync(options: SentinelCacheModuleAsyncOptions): DynamicModule {
    const name = resolveClientName(options.client, 'client');
    const { useFactory } = options;
    return CacheModule.registerAsync({
      isGlobal: options.isGlobal ?? false,
      imports: options.imports ?? [],
      inject: [getSentinelClientToken(name), ...(options.inject ?? [])],
      useFactory: async (client: RoutedClient, ...args: unknown[]) => {
        const { refreshThreshold, ...store } = await useFactory(...(args as never[]));
        // The Keyv instance carries the namespace, so CacheModule does not add a second one.
        const keyv = createKeyv(client, store);
        return {
          stores: [keyv],
          ...(store.ttl === undefined ? {} : { ttl: store.ttl }),
          ...(refreshThreshold === undefined ? {} : { refreshThreshold }),
        };
      },
    });
  }
}
