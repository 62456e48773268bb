import { isRoutedClient } from '@sentinelkit/core';
import { Keyv } from 'keyv';
import type { ClientSource } from './backend.js';
import { SentinelKeyvStore } from './keyv-store.js';
import { type CreateKeyvOptions, resolveCreateKeyvOptions } from './options.js';

/**
 * A Keyv instance on a {@link SentinelKeyvStore}, ready for `createCache({ stores: [keyv] })`
 * (cache-manager 7) and `CacheModule.register({ stores: [keyv] })` (NestJS). The namespace is
 * Keyv's, applied once (`namespace:key`), so wrapping the store again never doubles it.
 *
 * Does no I/O: the first operation connects (or `await keyv.store.connect()` to fail fast).
 * `throwOnErrors` applies to the store and to Keyv alike, so failed reads reject too.
 *
 * @param source - A location string (`mymaster/host:port,…/db` or `redis+sentinel://…`), core
 *   options, or a client to share (a `SentinelClient`, or any `RoutedClient`) (never closed by `keyv.disconnect()`).
 * @param options - Store options plus Keyv's `namespace` (default `'keyv'`) and `ttl` (ms).
 *   Invalid ones throw `SentinelConfigError` (`INVALID_OPTION`) naming the option.
 */
export function createKeyv<Value = unknown>(
  source: ClientSource,
  options?: CreateKeyvOptions,
): Keyv<Value> {
  const {
    store: settings,
    namespace,
    ttl,
  } = resolveCreateKeyvOptions(options, isRoutedClient(source));
  // Every store option goes to the store as given (it resolves them again, the same way): a
  // list of them copied here dropped readTimeout and writeTimeout once.
  const { namespace: _namespace, ttl: _ttl, ...storeOptions } = options ?? {};
  const store = new SentinelKeyvStore(source, storeOptions);
  return new Keyv<Value>({
    store,
    // Keyv's default namespace ('keyv') unless one is given; '' for none.
    ...(namespace === undefined ? {} : { namespace }),
    ...(ttl === undefined ? {} : { ttl }),
    throwOnErrors: settings.throwOnErrors,
  });
}
