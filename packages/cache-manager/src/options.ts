import { type ReadFrom, type SentinelClientOptions, SentinelConfigError } from '@sentinelkit/core';
import {
  describeValue,
  didYouMean,
  OPTION_NAMES,
  READ_FROM_VALUES,
} from '@sentinelkit/core/internal';

/** Options shared by {@link SentinelKeyvStore} and {@link SentinelLegacyStore}. */
export interface StoreOptions {
  /**
   * Make operations reject with the error instead of emitting it. By default a failed operation
   * emits `'error'` (on the store, and so on its Keyv instance) and answers like an empty cache: a
   * miss, `false`, nothing deleted. With `true` it rejects and emits nothing itself (Keyv emits
   * errors of writes on its own); `createKeyv` sets Keyv's `throwOnErrors` to the same value so
   * that failed reads reject too.
   * @default false
   */
  throwOnErrors?: boolean | undefined;
  /**
   * Let `clear()` (`reset()` on the legacy store) run when the store has no namespace. It then
   * deletes every key of the database, with `SCAN` + `UNLINK` on the master (never `FLUSHDB`).
   * Without it, such a `clear()` fails with an `INVALID_OPTION` error naming this option.
   * @default false
   */
  clearWithoutNamespace?: boolean | undefined;
  /**
   * `COUNT` hint of each `SCAN` step of `clear()` and of the iterator: about this many keys are
   * looked at, and at most that many deleted with one `UNLINK`, per round trip.
   * @default 1000
   */
  scanCount?: number | undefined;
  /**
   * Where reads (`get`, `getMany`, `has`, `hasMany`, `ttl`) go. `'master'` gives read-your-writes;
   * `'replica-only'` never reads the master.
   * @default the client's `readFrom` (`'replica'`: a random healthy replica, the master when none)
   */
  readFrom?: ReadFrom | undefined;
  /**
   * Replicas that must acknowledge each write (`WAIT`) before it resolves. A value equal to the
   * number of replicas gives read-your-writes on replicas, at one more round trip per write.
   * @default the client's `waitReplicas` (0: do not wait)
   */
  waitReplicas?: number | undefined;
  /**
   * Milliseconds each read (`get`, `getMany`, `has`, `hasMany`, `ttl`) may take in all —
   * connecting, waiting for a node, the command — before it gives up: it then emits `'error'` (a
   * `TIMEOUT` `SentinelKitError`) and misses (or rejects, with `throwOnErrors`). A cache should
   * miss fast when Redis is down rather than hold every request for the client's
   * `failoverTimeout` (10 s). During a failover reads go to the replicas by default, so this
   * rarely cuts them short; with `readFrom: 'master'` they wait for the new master, and a budget
   * shorter than the failover makes them miss. `0`: no budget of its own (the client's timeouts apply).
   * @default 1000
   */
  readTimeout?: number;
  /**
   * As `readTimeout`, for writes (`set`, `delete`, …; not `clear()`, which takes as long as the
   * namespace is large). By default writes wait for a new master through a failover (up to the
   * client's `failoverTimeout`) so that none is lost; set it (e.g. `1000`) to fail fast instead,
   * at the cost of failed writes during every failover. A write still waiting for a master when
   * its budget runs out is dropped, never sent late.
   * @default 0 (no budget of its own)
   */
  writeTimeout?: number;
  /**
   * Options of the core client the store creates when it is given a location (string or options
   * object), on top of that location: `password`, `commandTimeout`, `failoverTimeout`, …. Not
   * allowed with a `SentinelClient`: configure that client instead.
   * @default {}
   */
  clientOptions?: Partial<SentinelClientOptions> | undefined;
}

/**
 * The local tier of {@link SentinelKeyvStore} (`localCache`): values this process read, kept in
 * memory and dropped when Redis says the key changed (`CLIENT TRACKING`, see
 * docs/cache-manager.md#local-tier).
 */
export interface LocalCacheOptions {
  /**
   * Most entries held; the least recently used go first.
   * @default 10000
   */
  maxEntries?: number | undefined;
  /**
   * Most bytes held (UTF-8 bytes of keys and values); the least recently used go first.
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number | undefined;
  /**
   * Milliseconds an entry may stay at most, even without an invalidation (it never outlives the
   * key's own TTL on the server either). A safety net, not the way entries are kept fresh.
   * @default 60000
   */
  ttl?: number | undefined;
  /**
   * Milliseconds between `PING`s of each node's invalidation connection: a `PING` still
   * unanswered at the next one (a hung node sends no invalidation) drops what that node fed.
   * @default 1000
   */
  pingInterval?: number | undefined;
  /**
   * When another process changes a key this process has been reading from the tier, read the new
   * value at once (batched per tick, on the node the store reads from), so that the next lookup
   * hits instead of paying a round trip. Only keys looked up since they were stored are read
   * again (a key nobody reads is just dropped); each costs one read per change per process, as
   * its next lookup would have. `false`: an invalidation only drops the entry.
   * @default true
   */
  refresh?: boolean | undefined;
}

/** Options of {@link SentinelKeyvStore} and {@link createKeyv}: every store's, and the local tier. */
export interface KeyvStoreOptions extends StoreOptions {
  /**
   * An in-process tier in front of Redis for `get` and `getMany`, kept honest by Redis: `true` for
   * the defaults, or {@link LocalCacheOptions}. Off by default (`false`). Needs a
   * `SentinelClient` (a location, core options, or one you pass).
   * @default false
   */
  localCache?: boolean | LocalCacheOptions | undefined;
}

/** {@link LocalCacheOptions} after validation, with defaults resolved. */
export interface ResolvedLocalCacheOptions {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly ttl: number;
  readonly pingInterval: number;
  readonly refresh: boolean;
}

/** Options of {@link SentinelLegacyStore}, the cache-manager 5 store. */
export interface LegacyStoreOptions extends StoreOptions {
  /**
   * Prefix of every key, followed by `:`. `reset()` deletes only keys with this prefix. `''` for
   * no prefix (then `reset()` needs `clearWithoutNamespace`).
   * @default 'cache'
   */
  namespace?: string | undefined;
  /**
   * Milliseconds a value lives when `set`/`mset` get no TTL; `0` for no expiry.
   * @default 0
   */
  ttl?: number | undefined;
  /**
   * Values this returns `false` for are not stored: `set` fails with an `INVALID_OPTION` error
   * naming `isCacheable` (emitted, or thrown with `throwOnErrors`).
   * @default (value) => value !== undefined
   */
  isCacheable?: ((value: unknown) => boolean) | undefined;
}

/** Options of {@link createKeyv}: the store's options and the Keyv instance's. */
export interface CreateKeyvOptions extends KeyvStoreOptions {
  /**
   * Keyv namespace: keys are stored as `namespace:key`, and `clear()` deletes only those. `''`
   * for none (then `clear()` needs `clearWithoutNamespace`).
   * @default 'keyv' (Keyv's own default)
   */
  namespace?: string | undefined;
  /**
   * Default time to live of Keyv entries, in milliseconds; `0` or none for no expiry.
   * @default undefined (no expiry)
   */
  ttl?: number | undefined;
}

/** {@link StoreOptions} after validation, with defaults resolved. */
export interface ResolvedStoreOptions {
  readonly throwOnErrors: boolean;
  readonly clearWithoutNamespace: boolean;
  readonly scanCount: number;
  readonly readFrom: ReadFrom | undefined;
  readonly waitReplicas: number | undefined;
  readonly readTimeout: number;
  readonly writeTimeout: number;
  readonly clientOptions: Partial<SentinelClientOptions> | undefined;
  /** The local tier's settings; `undefined` when it is off (always on the legacy store). */
  readonly localCache: ResolvedLocalCacheOptions | undefined;
}

/** {@link LegacyStoreOptions} after validation, with defaults resolved. */
export interface ResolvedLegacyStoreOptions extends ResolvedStoreOptions {
  readonly namespace: string;
  readonly ttl: number;
  readonly isCacheable: (value: unknown) => boolean;
}

/** Defaults of the store options, in one place. */
export const DEFAULT_STORE_OPTIONS = Object.freeze({
  throwOnErrors: false,
  clearWithoutNamespace: false,
  scanCount: 1000,
  readTimeout: 1000,
  writeTimeout: 0,
  legacyNamespace: 'cache',
  legacyTtl: 0,
});

/** Defaults of the local tier (`localCache: true`). */
export const DEFAULT_LOCAL_CACHE_OPTIONS: ResolvedLocalCacheOptions = Object.freeze({
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
  ttl: 60_000,
  pingInterval: 1000,
  refresh: true,
});
const LOCAL_CACHE_OPTION_NAMES = Object.freeze([
  'maxEntries',
  'maxBytes',
  'ttl',
  'pingInterval',
  'refresh',
] as const);

/** Options every store takes. */
export const STORE_OPTION_NAMES = Object.freeze([
  'throwOnErrors',
  'clearWithoutNamespace',
  'scanCount',
  'readFrom',
  'waitReplicas',
  'readTimeout',
  'writeTimeout',
  'clientOptions',
] as const);
/** Options of the Keyv store. */
export const KEYV_STORE_OPTION_NAMES = Object.freeze([
  ...STORE_OPTION_NAMES,
  'localCache',
] as const);
/** Options of the legacy store. */
export const LEGACY_OPTION_NAMES = Object.freeze([
  ...STORE_OPTION_NAMES,
  'namespace',
  'ttl',
  'isCacheable',
] as const);
// Keyv options createKeyv does not take: a Keyv made by hand around the store takes them.
const KEYV_ONLY_OPTIONS: readonly string[] = [
  'serialize',
  'deserialize',
  'compression',
  'useKeyPrefix',
  'emitErrors',
  'stats',
  'store',
];
/** Options of createKeyv. */
export const KEYV_OPTION_NAMES = Object.freeze([
  ...KEYV_STORE_OPTION_NAMES,
  'namespace',
  'ttl',
] as const);

/** Validates the options of {@link SentinelKeyvStore}; throws `INVALID_OPTION` naming the option. */
export function resolveStoreOptions(
  options: KeyvStoreOptions | undefined,
  clientGiven: boolean,
): ResolvedStoreOptions {
  const o = record(options);
  checkKnown(o, KEYV_STORE_OPTION_NAMES);
  return Object.freeze({ ...common(o, clientGiven), localCache: localCache(o.localCache) });
}

/** Validates the options of {@link SentinelLegacyStore}. */
export function resolveLegacyStoreOptions(
  options: LegacyStoreOptions | undefined,
  clientGiven: boolean,
): ResolvedLegacyStoreOptions {
  const o = record(options);
  checkKnown(o, LEGACY_OPTION_NAMES);
  const isCacheable = o.isCacheable ?? defaultIsCacheable;
  if (typeof isCacheable !== 'function') {
    invalid('isCacheable', 'a function (value) => boolean', isCacheable);
  }
  return Object.freeze({
    ...common(o, clientGiven),
    localCache: undefined,
    namespace: namespace(o.namespace ?? DEFAULT_STORE_OPTIONS.legacyNamespace),
    ttl: ttl(o.ttl ?? DEFAULT_STORE_OPTIONS.legacyTtl),
    isCacheable: isCacheable as (value: unknown) => boolean,
  });
}

/** Validates the options of {@link createKeyv}: the store's, plus Keyv's `namespace` and `ttl`. */
export function resolveCreateKeyvOptions(
  options: CreateKeyvOptions | undefined,
  clientGiven: boolean,
): { store: ResolvedStoreOptions; namespace: string | undefined; ttl: number | undefined } {
  const o = record(options);
  checkKnown(o, KEYV_OPTION_NAMES);
  return {
    store: Object.freeze({ ...common(o, clientGiven), localCache: localCache(o.localCache) }),
    namespace: o.namespace === undefined ? undefined : namespace(o.namespace),
    ttl: o.ttl === undefined ? undefined : ttl(o.ttl),
  };
}

function defaultIsCacheable(value: unknown): boolean {
  return value !== undefined;
}

/** `localCache`: off (`undefined`), or its settings with defaults. */
function localCache(value: unknown): ResolvedLocalCacheOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return DEFAULT_LOCAL_CACHE_OPTIONS;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(
      'localCache',
      'true, false or { maxEntries, maxBytes, ttl, pingInterval, refresh }',
      value,
    );
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if ((LOCAL_CACHE_OPTION_NAMES as readonly string[]).includes(key)) continue;
    const hint = didYouMean(key, LOCAL_CACHE_OPTION_NAMES);
    throw new SentinelConfigError({
      option: `localCache.${key}`,
      expected: `one of the options ${LOCAL_CACHE_OPTION_NAMES.join(', ')}`,
      received: 'an unknown option',
      ...(hint === undefined ? {} : { hint }),
    });
  }
  const d = DEFAULT_LOCAL_CACHE_OPTIONS;
  return Object.freeze({
    maxEntries: integer('localCache.maxEntries', o.maxEntries ?? d.maxEntries, 1, 100_000_000),
    maxBytes: integer('localCache.maxBytes', o.maxBytes ?? d.maxBytes, 1, 2 ** 48),
    ttl: integer('localCache.ttl', o.ttl ?? d.ttl, 1, 2 ** 31 - 1),
    pingInterval: integer('localCache.pingInterval', o.pingInterval ?? d.pingInterval, 10, 60_000),
    refresh: flag('localCache.refresh', o.refresh ?? d.refresh),
  });
}

function common(
  o: Record<string, unknown>,
  clientGiven: boolean,
): Omit<ResolvedStoreOptions, 'localCache'> {
  if (o.clientOptions !== undefined) {
    if (clientGiven) {
      throw new SentinelConfigError({
        option: 'clientOptions',
        expected: 'no clientOptions when a SentinelClient is given',
        received: 'an object',
        hint: 'Configure that client when you create it, or pass a location instead of a client',
      });
    }
    if (typeof o.clientOptions !== 'object' || o.clientOptions === null) {
      invalid('clientOptions', 'an options object of @sentinelkit/core', o.clientOptions);
    }
  }
  return Object.freeze({
    throwOnErrors: flag('throwOnErrors', o.throwOnErrors ?? DEFAULT_STORE_OPTIONS.throwOnErrors),
    clearWithoutNamespace: flag(
      'clearWithoutNamespace',
      o.clearWithoutNamespace ?? DEFAULT_STORE_OPTIONS.clearWithoutNamespace,
    ),
    scanCount: integer('scanCount', o.scanCount ?? DEFAULT_STORE_OPTIONS.scanCount, 1, 1_000_000),
    readFrom: o.readFrom === undefined ? undefined : readFrom(o.readFrom),
    waitReplicas:
      o.waitReplicas === undefined ? undefined : integer('waitReplicas', o.waitReplicas, 0, 1000),
    readTimeout: integer(
      'readTimeout',
      o.readTimeout ?? DEFAULT_STORE_OPTIONS.readTimeout,
      0,
      2 ** 31 - 1,
    ),
    writeTimeout: integer(
      'writeTimeout',
      o.writeTimeout ?? DEFAULT_STORE_OPTIONS.writeTimeout,
      0,
      2 ** 31 - 1,
    ),
    clientOptions: o.clientOptions as Partial<SentinelClientOptions> | undefined,
  });
}

function record(options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    invalid('options', 'an options object', options);
  }
  return options as Record<string, unknown>;
}

function checkKnown(o: Record<string, unknown>, names: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (names.includes(key)) continue;
    const hint = (OPTION_NAMES as readonly string[]).includes(key)
      ? `"${key}" is an option of the core client: put it in clientOptions, or set it on the SentinelClient you pass`
      : KEYV_ONLY_OPTIONS.includes(key)
        ? `"${key}" is a Keyv option: create the Keyv yourself with new Keyv({ store, ${key} })`
        : didYouMean(key, names);
    throw new SentinelConfigError({
      option: key,
      expected: `one of the options ${names.join(', ')}`,
      received: 'an unknown option',
      ...(hint === undefined ? {} : { hint }),
    });
  }
}

function flag(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') invalid(option, 'true or false', value);
  return value;
}

function integer(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(option, `an integer ${min}-${max}`, value);
  }
  return value;
}

function ttl(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    invalid('ttl', 'a number of milliseconds, 0 or more (0: no expiry)', value);
  }
  return value;
}

function namespace(value: unknown): string {
  if (typeof value !== 'string') invalid('namespace', "a string ('' for none)", value);
  return value;
}

function readFrom(value: unknown): ReadFrom {
  if (!(READ_FROM_VALUES as readonly unknown[]).includes(value)) {
    invalid('readFrom', READ_FROM_VALUES.map((v) => `'${v}'`).join(', '), value);
  }
  return value as ReadFrom;
}

function invalid(option: string, expected: string, value: unknown): never {
  throw new SentinelConfigError({ option, expected, received: describeValue(value) });
}
