import type { RedisOptions } from 'ioredis';
import { SentinelConfigError } from './errors.js';
import { invalid, plainObject } from './validate.js';

/** ioredis options that sentinelkit passes through to every data-node connection unchanged. */
export const SAFE_REDIS_OPTION_KEYS = Object.freeze([
  'autoPipeliningIgnoredCommands',
  'blockingTimeout',
  'blockingTimeoutGrace',
  'clientInfoTag',
  'connectionName',
  'disableClientInfo',
  'enableAutoPipelining',
  'enableReadyCheck',
  'family',
  'keepAlive',
  'maxLoadingRetryTime',
  'noDelay',
  'showFriendlyErrorStack',
  'stringNumbers',
] as const);

/**
 * The ioredis options that are safe to pass through. Everything else (addresses, credentials,
 * db, TLS, retry and offline-queue behaviour, timeouts, protocol) sentinelkit sets itself.
 */
export type SafeRedisOptions = Pick<RedisOptions, (typeof SAFE_REDIS_OPTION_KEYS)[number]>;

/** How each pass-through option is checked at run time. */
const CHECKS = {
  autoPipeliningIgnoredCommands: (v) => Array.isArray(v) && v.every((c) => typeof c === 'string'),
  blockingTimeout: Number.isFinite,
  blockingTimeoutGrace: (v) => Number.isFinite(v) && (v as number) >= 0,
  clientInfoTag: (v) => typeof v === 'string',
  connectionName: (v) => typeof v === 'string',
  disableClientInfo: (v) => typeof v === 'boolean',
  enableAutoPipelining: (v) => typeof v === 'boolean',
  enableReadyCheck: (v) => typeof v === 'boolean',
  family: (v) => v === 0 || v === 4 || v === 6,
  keepAlive: (v) => Number.isFinite(v) && (v as number) >= 0,
  maxLoadingRetryTime: (v) => Number.isFinite(v) && (v as number) >= 0,
  noDelay: (v) => typeof v === 'boolean',
  showFriendlyErrorStack: (v) => typeof v === 'boolean',
  stringNumbers: (v) => typeof v === 'boolean',
} satisfies Record<keyof SafeRedisOptions, (value: unknown) => boolean>;

/** ioredis options sentinelkit sets on its own connections, with no user-facing equivalent. */
const MANAGED: readonly string[] = [
  'Connector',
  'autoResendUnfulfilledCommands',
  'autoResubscribe',
  'commandQueue',
  'disconnectTimeout',
  'enableOfflineQueue',
  'failoverDetector',
  'himportFieldsets',
  'lazyConnect',
  'maxRetriesPerRequest',
  'monitor',
  'offlineQueue',
  'protocol',
  'readOnly',
  'reconnectOnError',
  'replyMapping',
  'retryStrategy',
  'scripts',
  'sentinelMaxConnections',
  'sentinelReconnectStrategy',
  'sentinelRetryStrategy',
  'socketTimeout',
  'updateSentinels',
];

const MANAGED_ADVICE =
  'sentinelkit sets this itself on every connection to follow failovers; see "failoverTimeout" and "commandTimeout"';

const FOUND_BY_SENTINEL = 'The master is found through Sentinel: use "sentinels" and "masterName"';

/** ioredis options with a sentinelkit counterpart under another name. */
const RENAMED: Readonly<Record<string, string>> = {
  name: 'Use "masterName"',
  role: 'Use "readFrom"',
  preferredSlaves: 'Use "readFrom" and "maxReplicationLag"',
  host: FOUND_BY_SENTINEL,
  port: FOUND_BY_SENTINEL,
  path: FOUND_BY_SENTINEL,
  sentinelCommandTimeout: 'Use "sentinelTimeout"',
  sentinelTLS: 'Use "sentinelTls"',
  enableTLSForSentinelMode: 'Use "sentinelTls"',
};

/** ioredis options that are top-level sentinelkit options under the same name. */
const SAME_NAME = [
  'sentinels',
  'username',
  'password',
  'sentinelUsername',
  'sentinelPassword',
  'db',
  'tls',
  'natMap',
  'keyPrefix',
  'commandTimeout',
  'connectTimeout',
];

/**
 * Advice for an ioredis option name given at the top level of sentinelkit options, or
 * `undefined` when it is not an ioredis option.
 */
export function adviceForRedisOption(key: string): string | undefined {
  if (Object.hasOwn(CHECKS, key)) return 'Pass it inside "redisOptions"';
  if (Object.hasOwn(RENAMED, key)) return RENAMED[key];
  return MANAGED.includes(key) ? MANAGED_ADVICE : undefined;
}

/** Validates `redisOptions`: only {@link SAFE_REDIS_OPTION_KEYS}, each of the right type. */
export function resolveRedisOptions(value: unknown): Readonly<SafeRedisOptions> {
  const options = plainObject('redisOptions', value, 'an object of ioredis options');
  for (const [key, option] of Object.entries(options)) {
    const check: ((value: unknown) => boolean) | undefined = Object.hasOwn(CHECKS, key)
      ? CHECKS[key as keyof typeof CHECKS]
      : undefined;
    if (check === undefined) {
      throw new SentinelConfigError({
        option: `redisOptions.${key}`,
        expected: `only the pass-through options ${SAFE_REDIS_OPTION_KEYS.join(', ')}`,
        received: JSON.stringify(key),
        hint: SAME_NAME.includes(key)
          ? `Use the top-level "${key}" option`
          : (adviceForRedisOption(key) ?? 'It is not a known ioredis option'),
      });
    }
    if (option !== undefined && !check(option)) {
      invalid(`redisOptions.${key}`, 'the type ioredis documents for it', option);
    }
  }
  return Object.freeze({ ...options }) as SafeRedisOptions;
}
