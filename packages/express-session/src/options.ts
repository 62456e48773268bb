import { isRoutedClient, type RoutedClient } from '@sentinelkit/core';
import { describeValue } from '@sentinelkit/core/internal';
import type { SessionData } from 'express-session';
import { SessionStoreError } from './errors.js';

/** Turns a session into the string stored in Redis and back (connect-redis' `serializer`). */
export interface SessionSerializer {
  /** Parses a stored string; may return a promise. */
  parse(text: string): SessionData | Promise<SessionData>;
  /** Serializes a session; a throw (a circular session, say) fails the write with `SERIALIZE_FAILED`. */
  stringify(session: SessionData): string;
}

/** Where {@link SentinelStore.get} reads sessions from. */
export type SessionReadFrom = 'replica' | 'master';

/** Options of {@link SentinelStore}. The first six mean exactly what they mean in connect-redis. */
export interface SentinelStoreOptions {
  /**
   * A `SentinelClient` from `@sentinelkit/core`, or any `RoutedClient`. The store never connects or closes it: call
   * `client.connect()` before serving requests and `client.close()` at shutdown.
   */
  client: RoutedClient;
  /**
   * Prefix of every session key (`<prefix><sid>`). `all`, `ids`, `length` and `clear` touch only
   * keys that start with it.
   * @default 'sess:'
   */
  prefix?: string | undefined;
  /**
   * Seconds a session lives when its cookie has no `expires`; or a function of the session
   * returning the seconds (it then wins over the cookie, as in connect-redis). 0 or less deletes.
   * @default 86400
   */
  ttl?: (number | ((session: SessionData) => number)) | undefined;
  /**
   * Store sessions without an expiry (`touch` then does nothing). A cookie that already expired
   * still deletes the session.
   * @default false
   */
  disableTTL?: boolean | undefined;
  /**
   * `touch` does nothing: sessions expire `ttl` after their last `set`.
   * @default false
   */
  disableTouch?: boolean | undefined;
  /**
   * How sessions are turned into strings and back.
   * @default JSON
   */
  serializer?: SessionSerializer | undefined;
  /**
   * `COUNT` hint of each `SCAN` in `all`, `ids`, `length` and `clear`.
   * @default 100
   */
  scanCount?: number | undefined;
  /**
   * `'replica'`: sessions are read from replicas under the read-your-writes rule (see
   * docs/express-session.md). `'master'`: every read goes to the master and writes do not wait
   * for replicas. Every process sharing a `prefix` must use the same value.
   * @default 'replica'
   */
  readFrom?: SessionReadFrom | undefined;
  /**
   * Skip a `touch` that would move the session's expiry by less than this many seconds (like
   * connect-mongo's `touchAfter`). 0 touches on every request.
   * @default 0
   */
  touchAfter?: number | undefined;
  /**
   * A replica serves sessions only while it holds the heartbeat key, written on the master (as
   * the store is used) with this many milliseconds to live: a replica further behind than this
   * sends its reads to the master, and a write that some replica did not acknowledge waits at
   * most this (plus `maxClockSkew`). Only with `readFrom: 'replica'`.
   * @default 1000
   */
  maxReplicaLag?: number | undefined;
  /**
   * Milliseconds the first `WAIT` after a write may take for every replica in rotation to
   * acknowledge it. Only with `readFrom: 'replica'`.
   * @default 100
   */
  waitTimeout?: number | undefined;
  /**
   * Milliseconds the clocks of the Redis servers may disagree by (a key's expiry is set by the
   * master's clock and enforced by each replica's); added to what a write waits for when a
   * replica did not acknowledge it.
   * @default 250
   */
  maxClockSkew?: number | undefined;
  /**
   * Largest serialized session, in bytes (UTF-8). A larger one fails `set` with
   * `SESSION_TOO_LARGE` and nothing is written.
   * @default 1048576 (1 MiB)
   */
  maxSessionBytes?: number | undefined;
  /**
   * Session ids accepted; any other fails the call with `INVALID_SESSION_ID` before Redis is
   * asked. The default accepts 1–256 characters of `A–Z a–z 0–9 - _ . ~ + / = : @`, which covers
   * express-session's generator (base64url), UUIDs and base64.
   * @default /^[A-Za-z0-9\-_.~+/=:@]{1,256}$/
   */
  sidPattern?: RegExp | undefined;
  /**
   * The heartbeat key (see `maxReplicaLag`). Stores of every prefix may share it; it must not
   * start with `prefix`.
   * @default 'sentinelkit:heartbeat'
   */
  heartbeatKey?: string | undefined;
}

/** Every option with its default resolved. */
export interface ResolvedSentinelStoreOptions {
  client: RoutedClient;
  prefix: string;
  ttl: number | ((session: SessionData) => number);
  disableTTL: boolean;
  disableTouch: boolean;
  serializer: SessionSerializer;
  scanCount: number;
  readFrom: SessionReadFrom;
  touchAfter: number;
  maxReplicaLag: number;
  waitTimeout: number;
  maxClockSkew: number;
  maxSessionBytes: number;
  sidPattern: RegExp;
  heartbeatKey: string;
}

/** The default of every option but `client`, in the order of the docs' options table. */
export const DEFAULT_STORE_OPTIONS = Object.freeze({
  prefix: 'sess:',
  ttl: 86_400,
  disableTTL: false,
  disableTouch: false,
  serializer: JSON as SessionSerializer,
  scanCount: 100,
  readFrom: 'replica' as SessionReadFrom,
  touchAfter: 0,
  maxReplicaLag: 1000,
  waitTimeout: 100,
  maxClockSkew: 250,
  maxSessionBytes: 1_048_576,
  sidPattern: /^[A-Za-z0-9\-_.~+/=:@]{1,256}$/,
  heartbeatKey: 'sentinelkit:heartbeat',
});

function invalid(option: string, expected: string, received: unknown): SessionStoreError {
  return new SessionStoreError(
    'INVALID_OPTION',
    `Invalid option "${option}": expected ${expected}, got ${describeValue(received)}`,
  );
}

function integer(
  options: SentinelStoreOptions,
  name: keyof SentinelStoreOptions,
  fallback: number,
  min: number,
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (name === 'scanCount') {
    // connect-redis: `scanCount || 100`, and a numeric string (from an env variable) works there.
    if (value === 0 || value === null || value === '') return fallback;
    const count = numeric(value);
    if (count !== undefined && Number.isInteger(count) && count >= min) return count;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalid(name, `an integer >= ${min}`, value);
  }
  return value;
}

/**
 * A flag as connect-redis reads it (`value || false`) where that is unambiguous: booleans, 0, 1,
 * null. Strings are refused: connect-redis would read `"false"` as true.
 */
function flag(
  options: SentinelStoreOptions,
  name: 'disableTTL' | 'disableTouch',
  fallback: boolean,
): boolean {
  const value: unknown = options[name];
  if (value === undefined || value === null) return fallback;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value !== 'boolean') {
    throw invalid(name, 'true or false (or 1/0; a string is ambiguous: "false" is truthy)', value);
  }
  return value;
}

/** A number, or the number a plain decimal string (an env variable, say) spells; else undefined. */
function numeric(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Validates every option and fills in the defaults. Throws {@link SessionStoreError}
 * (`INVALID_OPTION`) naming the option to change.
 */
export function resolveStoreOptions(options: SentinelStoreOptions): ResolvedSentinelStoreOptions {
  if (options === null || typeof options !== 'object') {
    throw invalid('options', 'an object with at least { client }', options);
  }
  const client = options.client;
  if (!isRoutedClient(client)) {
    throw invalid(
      'client',
      'a SentinelClient from @sentinelkit/core (createSentinelClient(...))',
      client === undefined ? undefined : typeof client,
    );
  }
  const prefix = options.prefix ?? DEFAULT_STORE_OPTIONS.prefix;
  if (typeof prefix !== 'string') throw invalid('prefix', 'a string', prefix);
  // connect-redis treats a falsy ttl as "use the default", and passes a numeric string (from an
  // env variable) to Redis as is; so do we, as a number.
  const given = options.ttl || DEFAULT_STORE_OPTIONS.ttl;
  const ttl = typeof given === 'function' ? given : numeric(given);
  if (ttl === undefined || (typeof ttl === 'number' && !Number.isFinite(ttl))) {
    throw invalid(
      'ttl',
      'seconds (a number or a numeric string) or a function of the session',
      given,
    );
  }
  const serializer = options.serializer ?? DEFAULT_STORE_OPTIONS.serializer;
  if (typeof serializer?.parse !== 'function' || typeof serializer?.stringify !== 'function') {
    throw invalid('serializer', 'an object with parse() and stringify()', typeof serializer);
  }
  const readFrom = options.readFrom ?? DEFAULT_STORE_OPTIONS.readFrom;
  if (readFrom !== 'replica' && readFrom !== 'master') {
    throw invalid('readFrom', "'replica' or 'master'", readFrom);
  }
  const touchAfter = options.touchAfter ?? DEFAULT_STORE_OPTIONS.touchAfter;
  if (typeof touchAfter !== 'number' || !Number.isFinite(touchAfter) || touchAfter < 0) {
    throw invalid('touchAfter', 'seconds >= 0', touchAfter);
  }
  const sidPattern = options.sidPattern ?? DEFAULT_STORE_OPTIONS.sidPattern;
  if (!(sidPattern instanceof RegExp)) throw invalid('sidPattern', 'a RegExp', sidPattern);
  if (sidPattern.global || sidPattern.sticky) {
    // test() on a global or sticky RegExp is stateful: ids would pass or fail by turns.
    throw invalid('sidPattern', 'a RegExp without the g or y flag', String(sidPattern));
  }
  const heartbeatKey = options.heartbeatKey ?? DEFAULT_STORE_OPTIONS.heartbeatKey;
  if (typeof heartbeatKey !== 'string' || heartbeatKey === '') {
    throw invalid('heartbeatKey', 'a non-empty string', heartbeatKey);
  }
  if (prefix !== '' && heartbeatKey.startsWith(prefix)) {
    throw invalid(
      'heartbeatKey',
      `a key that does not start with "prefix" (${JSON.stringify(prefix)}), or SCAN would list it as a session`,
      heartbeatKey,
    );
  }
  if (prefix === '') {
    throw invalid('prefix', 'a non-empty string (clear() would delete every key)', prefix);
  }
  return {
    client,
    prefix,
    ttl,
    disableTTL: flag(options, 'disableTTL', DEFAULT_STORE_OPTIONS.disableTTL),
    disableTouch: flag(options, 'disableTouch', DEFAULT_STORE_OPTIONS.disableTouch),
    serializer,
    scanCount: integer(options, 'scanCount', DEFAULT_STORE_OPTIONS.scanCount, 1),
    readFrom,
    touchAfter,
    maxReplicaLag: integer(options, 'maxReplicaLag', DEFAULT_STORE_OPTIONS.maxReplicaLag, 4),
    waitTimeout: integer(options, 'waitTimeout', DEFAULT_STORE_OPTIONS.waitTimeout, 1),
    maxClockSkew: integer(options, 'maxClockSkew', DEFAULT_STORE_OPTIONS.maxClockSkew, 0),
    maxSessionBytes: integer(options, 'maxSessionBytes', DEFAULT_STORE_OPTIONS.maxSessionBytes, 1),
    sidPattern,
    heartbeatKey,
  };
}

/**
 * Seconds a session should live, as connect-redis computes it: `ttl(session)` when `ttl` is a
 * function; else from `cookie.expires` (rounded up); else `ttl`.
 */
export function sessionTtlSeconds(
  session: SessionData,
  ttl: number | ((session: SessionData) => number),
  now: number = Date.now(),
): number {
  if (typeof ttl === 'function') return ttl(session);
  const expires = session?.cookie?.expires;
  if (expires) return Math.ceil((Number(new Date(expires)) - now) / 1000);
  return ttl;
}
