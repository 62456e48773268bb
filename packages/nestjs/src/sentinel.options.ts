import {
  isRoutedClient,
  type RoutedClient,
  type SentinelClientOptions,
  SentinelConfigError,
} from '@sentinelkit/core';
import { describeValue, didYouMean, OPTION_NAMES } from '@sentinelkit/core/internal';
import { DEFAULT_SENTINEL_CLIENT_NAME } from './sentinel.constants.js';

/** What every form of {@link SentinelModuleOptions} accepts besides the client's source. */
export interface SentinelModuleCommonOptions {
  /**
   * Connect during bootstrap, and fail it with the core's typed error (`NO_SENTINEL_REACHABLE`,
   * `MASTER_NAME_UNKNOWN`, `AUTH_FAILED`, `MASTER_UNAVAILABLE`) when the client cannot connect
   * within its `connectTimeout`. With `false` the application starts at once and the client
   * connects in the background, trying again every `retryDelay` until it is connected or the
   * application closes; until then its commands reject with `NOT_CONNECTED`.
   * @default true
   */
  failFast?: boolean | undefined;
  /**
   * Milliseconds between two connection attempts in the background (`failFast: false`).
   * @default 1000
   */
  retryDelay?: number | undefined;
}

/** The client comes from a location string, with core options on top of it. */
export interface SentinelLocationModuleOptions extends SentinelModuleCommonOptions {
  /**
   * Where the deployment is: `mymaster/host:port,host:port/db` or
   * `redis+sentinel://[user:password@]host:port,…/mymaster/db`.
   */
  location: string;
  /**
   * Core client options laid over the location (`password`, `commandTimeout`, `readFrom`, …).
   * @default {}
   */
  options?: Partial<SentinelClientOptions> | undefined;
  client?: never;
}

/** The client comes from a core options object. */
export interface SentinelOptionsModuleOptions extends SentinelModuleCommonOptions {
  location?: never;
  /** Core client options: `masterName`, `sentinels` and any other option of `@sentinelkit/core`. */
  options: SentinelClientOptions;
  client?: never;
}

/** The module uses a client you created; it connects it but never closes it. */
export interface SentinelExistingClientModuleOptions extends SentinelModuleCommonOptions {
  location?: never;
  options?: never;
  /** A client from `createSentinelClient()`; `app.close()` leaves it open: close it yourself. */
  client: RoutedClient;
}

/**
 * Options of one Sentinel client of the module, as `SentinelModule.forRoot()` takes them (with
 * `name` and `isGlobal` beside them) and as a `forRootAsync()` factory returns them.
 */
export type SentinelModuleOptions =
  | SentinelLocationModuleOptions
  | SentinelOptionsModuleOptions
  | SentinelExistingClientModuleOptions;

/** Options of `forRoot()`/`forRootAsync()` that shape the module rather than the client. */
export interface SentinelModuleExtras {
  /**
   * Name of the client, for several clients in one application: inject it with
   * `@InjectSentinel(name)` or `getSentinelClientToken(name)`.
   * @default 'default'
   */
  name?: string | undefined;
  /**
   * Make the client injectable in every module, without importing `SentinelModule` there (as
   * `TypeOrmModule` and `MongooseModule` do with their connections). With `false` only modules
   * that import this `SentinelModule.forRoot()` see it.
   * @default true
   */
  isGlobal?: boolean | undefined;
}

/** Defaults of the module's own options, in one place. */
export const DEFAULT_MODULE_OPTIONS = Object.freeze({
  name: DEFAULT_SENTINEL_CLIENT_NAME,
  isGlobal: true,
  failFast: true,
  retryDelay: 1000,
} as const);

/**
 * Every option the module itself knows (besides the core client options inside `options`), in
 * documentation order; the options table of docs/nestjs.md is checked against it.
 */
export const MODULE_OPTION_NAMES = Object.freeze([
  'location',
  'options',
  'client',
  'name',
  'isGlobal',
  'failFast',
  'retryDelay',
] as const);

/** {@link SentinelModuleOptions} after validation, with defaults applied. */
export interface ResolvedSentinelModuleOptions {
  /** The location string or options object to create a client from; `undefined` with `client`. */
  readonly source: string | SentinelClientOptions | undefined;
  /** Options laid over a location string. */
  readonly overrides: Partial<SentinelClientOptions> | undefined;
  /** The user's client, which the module never closes. */
  readonly client: RoutedClient | undefined;
  readonly failFast: boolean;
  readonly retryDelay: number;
}

const OWN_OPTIONS: readonly string[] = ['location', 'options', 'client', 'failFast', 'retryDelay'];
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Validates what `forRoot()` got or a `forRootAsync()` factory returned. Throws
 * `SentinelConfigError` (`INVALID_OPTION`) naming the option to change.
 */
export function resolveModuleOptions(value: unknown): ResolvedSentinelModuleOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SentinelConfigError({
      option: 'options',
      expected: 'an object with location, options or client',
      received: describeValue(value),
      hint: 'A forRootAsync() factory must return the options object',
    });
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (o[key] === undefined || OWN_OPTIONS.includes(key)) continue;
    throw unknownOption(key);
  }
  const location = o.location;
  const options = o.options;
  const client = o.client;
  if (client !== undefined) {
    if (!isRoutedClient(client)) {
      throw new SentinelConfigError({
        option: 'client',
        expected: 'a SentinelClient from createSentinelClient()',
        received: describeValue(client),
      });
    }
    if (location !== undefined || options !== undefined) {
      throw new SentinelConfigError({
        option: location === undefined ? 'options' : 'location',
        expected: 'nothing beside client',
        received: location === undefined ? 'an object' : 'a location',
        hint: 'Configure the client you pass when you create it, or pass location/options instead of client',
      });
    }
  } else if (location === undefined && options === undefined) {
    throw new SentinelConfigError({
      option: 'location',
      missing: true,
      expected:
        'a location string ("mymaster/host:port,host:port"), an options object (options: { masterName, sentinels }) or a client',
    });
  }
  if (location !== undefined && typeof location !== 'string') {
    throw new SentinelConfigError({
      option: 'location',
      expected: 'a location string: "mymaster/host:port,host:port/db" or "redis+sentinel://…"',
      received: describeValue(location),
      hint: 'Pass an options object as "options" instead',
    });
  }
  if (
    options !== undefined &&
    (typeof options !== 'object' || options === null || Array.isArray(options))
  ) {
    throw new SentinelConfigError({
      option: 'options',
      expected: 'an options object of @sentinelkit/core',
      received: describeValue(options),
    });
  }
  const failFast = o.failFast ?? DEFAULT_MODULE_OPTIONS.failFast;
  if (typeof failFast !== 'boolean') {
    throw new SentinelConfigError({
      option: 'failFast',
      expected: 'true or false',
      received: describeValue(failFast),
    });
  }
  const retryDelay = o.retryDelay ?? DEFAULT_MODULE_OPTIONS.retryDelay;
  if (
    typeof retryDelay !== 'number' ||
    !Number.isInteger(retryDelay) ||
    retryDelay < 1 ||
    retryDelay > MAX_TIMER_MS
  ) {
    throw new SentinelConfigError({
      option: 'retryDelay',
      expected: `a number of milliseconds, an integer 1-${MAX_TIMER_MS}`,
      received: describeValue(retryDelay),
    });
  }
  return Object.freeze({
    source: (location ?? options) as string | SentinelClientOptions | undefined,
    overrides:
      location === undefined ? undefined : (options as Partial<SentinelClientOptions> | undefined),
    client: client as RoutedClient | undefined,
    failFast,
    retryDelay,
  });
}

/** Validates a client name given to `forRoot()`/`forRootAsync()` (or one of the helpers). */
export function resolveClientName(value: unknown, option = 'name'): string {
  const name = value ?? DEFAULT_MODULE_OPTIONS.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw new SentinelConfigError({
      option,
      expected: 'a non-empty string naming the client',
      received: describeValue(name),
    });
  }
  return name;
}

function unknownOption(key: string): SentinelConfigError {
  const core = (OPTION_NAMES as readonly string[]).includes(key);
  const hint = core
    ? `"${key}" is an option of the core client: put it in options ({ location, options: { ${key} } })`
    : key === 'name' || key === 'isGlobal'
      ? `"${key}" goes beside useFactory in forRootAsync({ ${key}, useFactory }), not in what the factory returns`
      : didYouMean(key, OWN_OPTIONS);
  return new SentinelConfigError({
    option: key,
    expected: `one of ${OWN_OPTIONS.join(', ')}`,
    received: 'an unknown option',
    ...(hint === undefined ? {} : { hint }),
  });
}
