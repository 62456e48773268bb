import { isIPv6 } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { SentinelConfigError } from './errors.js';
import { DEFAULT_SENTINEL_PORT, parseLocation } from './location.js';
import type { TlsForNode } from './node-tls.js';
import {
  adviceForRedisOption,
  resolveRedisOptions,
  type SafeRedisOptions,
} from './redis-options.js';
import {
  formatAddress,
  type NatMap,
  type NodeAddress,
  READ_FROM_VALUES,
  type ReadFrom,
} from './types.js';
import {
  describeValue,
  didYouMean,
  integer,
  invalid,
  kindOf,
  NAME_PATTERN,
  plainObject,
} from './validate.js';

/** A sentinel to ask, as given in options. */
export interface SentinelAddressOption {
  /** Host name or IP address; IPv6 with or without brackets. */
  host: string;
  /**
   * Sentinel port.
   * @default 26379
   */
  port?: number | undefined;
}

/** A bound on how far behind the master a replica may be and still serve reads. */
export interface ReplicationLagBound {
  /**
   * Most replication-offset bytes a replica may trail the master by.
   * @default undefined (no bound)
   */
  bytes?: number | undefined;
  /**
   * Most seconds since the replica last acknowledged the master, when that is known.
   * @default undefined (no bound)
   */
  seconds?: number | undefined;
}

/**
 * Options of a sentinelkit client. Every field except `masterName` and `sentinels` is optional,
 * and `undefined` means "not given" (so `password: process.env.REDIS_PASSWORD` type-checks under
 * `exactOptionalPropertyTypes`).
 */
export interface SentinelClientOptions {
  /**
   * Name of the master group, as in `sentinel monitor <name>`: letters, digits, `.`, `_`, `-`.
   * @default undefined (required)
   */
  masterName: string;
  /**
   * Sentinels to ask for the master and replicas; at least one.
   * @default undefined (required)
   */
  sentinels: readonly SentinelAddressOption[];
  /**
   * Database index selected on every data-node connection.
   * @default 0
   */
  db?: number | undefined;
  /**
   * Username for the data nodes (master and replicas), not for the sentinels.
   * @default undefined
   */
  username?: string | undefined;
  /**
   * Password for the data nodes (master and replicas), not for the sentinels.
   * @default undefined
   */
  password?: string | undefined;
  /**
   * Username for the sentinels.
   * @default undefined
   */
  sentinelUsername?: string | undefined;
  /**
   * Password for the sentinels. Sentinels get no password unless this is set.
   * @default undefined
   */
  sentinelPassword?: string | undefined;
  /**
   * TLS to the data nodes: `true`, Node TLS options, or a function of the address Sentinel
   * announces for each node (`{ host, port }`) returning that node's TLS options (e.g. its own
   * `servername`). An announced hostname is the node's `servername` unless one is set.
   * @default false
   */
  tls?: boolean | ConnectionOptions | TlsForNode | undefined;
  /**
   * TLS to the sentinels: `true`, or Node TLS options.
   * @default false
   */
  sentinelTls?: boolean | ConnectionOptions | undefined;
  /**
   * Maps the addresses Sentinel announces (`"host:port"`) to addresses this process can reach.
   * @default undefined (addresses used as announced)
   */
  natMap?: NatMap | undefined;
  /**
   * Milliseconds to establish a data-node connection.
   * @default 2000
   */
  connectTimeout?: number | undefined;
  /**
   * Milliseconds for each attempt to query one sentinel before trying the next.
   * @default 500
   */
  sentinelTimeout?: number | undefined;
  /**
   * Milliseconds a command may wait for its reply; then it fails with `Command timed out`
   * (checked a few times per timeout rather than with a timer per command, so up to a tenth
   * later).
   * @default 5000
   */
  commandTimeout?: number | undefined;
  /**
   * Prefix added to every key.
   * @default ''
   */
  keyPrefix?: string | undefined;
  /**
   * Where reads go; see {@link ReadFrom}.
   * @default 'replica'
   */
  readFrom?: ReadFrom | undefined;
  /**
   * Replicas further behind than this are not used for reads.
   * @default undefined (no bound)
   */
  maxReplicationLag?: ReplicationLagBound | undefined;
  /**
   * Milliseconds commands wait for a verified master (during a failover) before failing with
   * `MASTER_UNAVAILABLE`.
   * @default 10000
   */
  failoverTimeout?: number | undefined;
  /**
   * Milliseconds between topology refreshes from Sentinel.
   * @default 1000
   */
  sentinelPollInterval?: number | undefined;
  /**
   * Replicas that must acknowledge each write (`WAIT`) before it resolves, for every `write()`
   * that does not set its own; see `WriteOptions.waitReplicas`. 0 does not wait.
   * @default 0
   */
  waitReplicas?: number | undefined;
  /**
   * Milliseconds `WAIT` may take, for writes that do not set their own; kept under `commandTimeout`.
   * @default 1000
   */
  waitTimeout?: number | undefined;
  /**
   * Random source in [0, 1) for choosing replicas and sentinels; inject one in tests.
   * @default Math.random
   */
  random?: () => number | undefined;
  /**
   * Clock in epoch milliseconds, read for deadlines, failover timings and event times; inject a
   * fake one in tests. Timers still run on the real clock.
   * @default Date.now
   */
  clock?: () => number | undefined;
  /**
   * ioredis options passed to every data-node connection; see {@link SafeRedisOptions}.
   * @default {}
   */
  redisOptions?: SafeRedisOptions | undefined;
}

/** {@link SentinelClientOptions} with every default applied; produced by {@link resolveOptions}. */
export interface ResolvedSentinelClientOptions {
  /** Name of the master group. */
  readonly masterName: string;
  /** Sentinels, ports filled in, IPv6 hosts without brackets. */
  readonly sentinels: readonly Readonly<NodeAddress>[];
  /** Database index. */
  readonly db: number;
  /** Username for the data nodes. */
  readonly username: string | undefined;
  /** Password for the data nodes. */
  readonly password: string | undefined;
  /** Username for the sentinels. */
  readonly sentinelUsername: string | undefined;
  /** Password for the sentinels. */
  readonly sentinelPassword: string | undefined;
  /** TLS options for the data nodes (`true` became `{}`), a function of each node's address, or `false`. */
  readonly tls: ConnectionOptions | TlsForNode | false;
  /** TLS options for the sentinels (`true` became `{}`), or `false`. */
  readonly sentinelTls: ConnectionOptions | false;
  /** Address translation, if any. */
  readonly natMap: NatMap | undefined;
  /** Milliseconds to establish a data-node connection. */
  readonly connectTimeout: number;
  /** Milliseconds per sentinel query attempt. */
  readonly sentinelTimeout: number;
  /** Milliseconds a command may wait for its reply. */
  readonly commandTimeout: number;
  /** Prefix added to every key. */
  readonly keyPrefix: string;
  /** Where reads go. */
  readonly readFrom: ReadFrom;
  /** Replication lag bound, or `undefined` for none. */
  readonly maxReplicationLag: Readonly<ReplicationLagBound> | undefined;
  /** Milliseconds commands wait for a verified master. */
  readonly failoverTimeout: number;
  /** Milliseconds between topology refreshes. */
  readonly sentinelPollInterval: number;
  /** Replicas that must acknowledge each write; 0 for none. */
  readonly waitReplicas: number;
  /** Milliseconds `WAIT` may take. */
  readonly waitTimeout: number;
  /** Random source in [0, 1). */
  readonly random: () => number;
  /** Clock in epoch milliseconds. */
  readonly clock: () => number;
  /** ioredis pass-through options. */
  readonly redisOptions: Readonly<SafeRedisOptions>;
}

/** The defaults of every optional field, applied by {@link resolveOptions} and nowhere else. */
export const DEFAULT_OPTIONS = Object.freeze({
  db: 0,
  tls: false,
  sentinelTls: false,
  connectTimeout: 2000,
  sentinelTimeout: 500,
  commandTimeout: 5000,
  keyPrefix: '',
  readFrom: 'replica',
  failoverTimeout: 10_000,
  sentinelPollInterval: 1000,
  waitReplicas: 0,
  waitTimeout: 1000,
} as const);

/**
 * Every field of {@link SentinelClientOptions}, in documentation order. Keys outside it are
 * rejected by {@link resolveOptions}; the docs' options table is checked against it.
 */
export const OPTION_NAMES = Object.freeze([
  'masterName',
  'sentinels',
  'db',
  'username',
  'password',
  'sentinelUsername',
  'sentinelPassword',
  'tls',
  'sentinelTls',
  'natMap',
  'connectTimeout',
  'sentinelTimeout',
  'commandTimeout',
  'keyPrefix',
  'readFrom',
  'maxReplicationLag',
  'failoverTimeout',
  'sentinelPollInterval',
  'waitReplicas',
  'waitTimeout',
  'random',
  'clock',
  'redisOptions',
] as const satisfies readonly (keyof SentinelClientOptions)[]);

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Builds the resolved options of a client: parses `locationOrOptions` when it is a location
 * string, lays `overrides` on top (fields set to `undefined` do not override; `redisOptions` merge
 * key by key), applies {@link DEFAULT_OPTIONS}, and validates every field. Throws
 * {@link SentinelConfigError} naming the first invalid option. The result is frozen.
 */
export function resolveOptions(
  locationOrOptions: string | SentinelClientOptions,
  overrides?: Partial<SentinelClientOptions>,
): ResolvedSentinelClientOptions {
  const base =
    typeof locationOrOptions === 'string' ? parseLocation(locationOrOptions) : locationOrOptions;
  const first = plainObject('options', base, 'a location string or an options object');
  const second = plainObject('overrides', overrides ?? {}, 'an options object');
  const o: Record<string, unknown> = { ...withoutUndefined(first), ...withoutUndefined(second) };
  if (first.redisOptions !== undefined && second.redisOptions !== undefined) {
    o.redisOptions = { ...(first.redisOptions as object), ...(second.redisOptions as object) };
  }
  for (const key of Object.keys(o)) checkKnown(key);

  return Object.freeze({
    masterName: masterName(o.masterName),
    sentinels: sentinels(o.sentinels),
    db: integer(
      'db',
      o.db ?? DEFAULT_OPTIONS.db,
      0,
      Number.MAX_SAFE_INTEGER,
      'a non-negative integer',
    ),
    username: text('username', o.username, false),
    password: text('password', o.password, true),
    sentinelUsername: text('sentinelUsername', o.sentinelUsername, false),
    sentinelPassword: text('sentinelPassword', o.sentinelPassword, true),
    tls:
      typeof o.tls === 'function'
        ? (o.tls as TlsForNode)
        : tls('tls', o.tls ?? DEFAULT_OPTIONS.tls),
    sentinelTls: tls('sentinelTls', o.sentinelTls ?? DEFAULT_OPTIONS.sentinelTls),
    natMap: natMap(o.natMap),
    connectTimeout: ms('connectTimeout', o.connectTimeout ?? DEFAULT_OPTIONS.connectTimeout),
    sentinelTimeout: ms('sentinelTimeout', o.sentinelTimeout ?? DEFAULT_OPTIONS.sentinelTimeout),
    commandTimeout: ms('commandTimeout', o.commandTimeout ?? DEFAULT_OPTIONS.commandTimeout),
    keyPrefix: keyPrefix(o.keyPrefix ?? DEFAULT_OPTIONS.keyPrefix),
    readFrom: readFrom(o.readFrom ?? DEFAULT_OPTIONS.readFrom),
    maxReplicationLag: lagBound(o.maxReplicationLag),
    failoverTimeout: ms('failoverTimeout', o.failoverTimeout ?? DEFAULT_OPTIONS.failoverTimeout),
    sentinelPollInterval: ms(
      'sentinelPollInterval',
      o.sentinelPollInterval ?? DEFAULT_OPTIONS.sentinelPollInterval,
    ),
    waitReplicas: integer(
      'waitReplicas',
      o.waitReplicas ?? DEFAULT_OPTIONS.waitReplicas,
      0,
      1000,
      'a number of replicas, 0 or more',
    ),
    waitTimeout: ms('waitTimeout', o.waitTimeout ?? DEFAULT_OPTIONS.waitTimeout),
    random: randomSource(o.random ?? Math.random),
    clock: clockSource(o.clock ?? Date.now),
    redisOptions: resolveRedisOptions(o.redisOptions ?? {}),
  });
}

/**
 * The secrets among the options, the one list both {@link redactOptions} (for logs, events and
 * `toString()`) and {@link secretsOf} (to scrub messages built from other errors: the core's, the
 * CLI's) are made from: the passwords, and the TLS options that are secrets.
 */
const SECRET_OPTIONS = ['password', 'sentinelPassword'] as const;
const SECRET_TLS_OPTIONS = ['key', 'pfx', 'passphrase'] as const;

/**
 * A copy of resolved options safe for logs, events and `toString()`: passwords and TLS secrets
 * (`key`, `pfx`, `passphrase`) become `***`.
 */
export function redactOptions(
  options: ResolvedSentinelClientOptions,
): ResolvedSentinelClientOptions {
  const masked = Object.fromEntries(
    SECRET_OPTIONS.map((key) => [key, options[key] === undefined ? undefined : '***']),
  );
  return Object.freeze({
    ...options,
    ...masked,
    tls: typeof options.tls === 'function' ? options.tls : redactTls(options.tls),
    sentinelTls: redactTls(options.sentinelTls),
  });
}

/**
 * Every secret string of the options (the same list as {@link redactOptions}), for scrubbing
 * messages built from other errors. TLS options given as a function (per node) are not known
 * here; their key and certificate are binary or PEM text no error repeats.
 */
export function secretsOf(options: ResolvedSentinelClientOptions): (string | undefined)[] {
  const tlsSecrets = (tls: ResolvedSentinelClientOptions['tls']) =>
    typeof tls === 'function' || tls === false
      ? []
      : SECRET_TLS_OPTIONS.map((key) => tls[key]).filter((value) => typeof value === 'string');
  return [
    ...SECRET_OPTIONS.map((key) => options[key]),
    ...tlsSecrets(options.tls),
    ...tlsSecrets(options.sentinelTls),
  ];
}

function redactTls(tls: ConnectionOptions | false): ConnectionOptions | false {
  if (tls === false) return false;
  const copy: ConnectionOptions = { ...tls };
  for (const key of SECRET_TLS_OPTIONS) {
    if (copy[key] !== undefined) copy[key] = '***';
  }
  return Object.freeze(copy);
}

/** @internal Shared with the cluster options (cluster/options.ts). */
export function withoutUndefined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function checkKnown(key: string): void {
  if ((OPTION_NAMES as readonly string[]).includes(key)) return;
  const advice = adviceForRedisOption(key) ?? didYouMean(key, OPTION_NAMES);
  throw new SentinelConfigError({
    option: key,
    expected: `one of the options ${OPTION_NAMES.join(', ')}`,
    received: 'an unknown option',
    ...(advice === undefined ? {} : { hint: advice }),
  });
}

function masterName(value: unknown): string {
  const expected = 'a master name of letters, digits, ".", "_" and "-", as in sentinel.conf';
  if (value === undefined) {
    throw new SentinelConfigError({ option: 'masterName', expected, missing: true });
  }
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    invalid('masterName', expected, value);
  }
  return value;
}

function sentinels(value: unknown): readonly Readonly<NodeAddress>[] {
  const expected = 'a non-empty array of { host, port? }';
  if (value === undefined) {
    throw new SentinelConfigError({ option: 'sentinels', expected, missing: true });
  }
  if (!Array.isArray(value) || value.length === 0) invalid('sentinels', expected, value);
  const seen = new Map<string, number>();
  return Object.freeze(
    value.map((item: unknown, i) => {
      const entry = plainObject(`sentinels[${i}]`, item, 'an object { host, port? }');
      const address = Object.freeze({
        host: host(`sentinels[${i}].host`, entry.host),
        port: integer(`sentinels[${i}].port`, entry.port ?? DEFAULT_SENTINEL_PORT, 1, 65535),
      });
      const key = formatAddress(address);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        invalid(`sentinels[${i}]`, 'each sentinel once', key, `It repeats sentinels[${earlier}]`);
      }
      seen.set(key, i);
      return address;
    }),
  );
}

/** @internal Shared with the cluster options (cluster/options.ts). */
export function host(option: string, value: unknown): string {
  const unbracketed =
    typeof value === 'string' && /^\[.*\]$/.test(value) ? value.slice(1, -1) : value;
  if (typeof unbracketed !== 'string' || !(NAME_PATTERN.test(unbracketed) || isIPv6(unbracketed))) {
    invalid(option, 'a host name, IPv4 or IPv6 address', value);
  }
  return unbracketed;
}

/** @internal Shared with the cluster options (cluster/options.ts). */
export function ms(option: string, value: unknown): number {
  return integer(option, value, 1, MAX_TIMER_MS, 'a positive integer of milliseconds');
}

/** @internal Shared with the cluster options (cluster/options.ts). */
export function text(option: string, value: unknown, secret: boolean): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') {
    // Never echo a value given where a secret belongs: it may be the secret in the wrong type.
    const received = secret ? kindOf(value) : describeValue(value);
    throw new SentinelConfigError({ option, expected: 'a string', received });
  }
  return value;
}

/** @internal Shared with the cluster options (cluster/options.ts). */
export function tls(option: string, value: unknown): ConnectionOptions | false {
  if (value === true) return Object.freeze({});
  if (value === false) return false;
  const object = plainObject(option, value, 'true, false or Node TLS options');
  return Object.freeze({ ...object }) as ConnectionOptions;
}

/** @internal Shared with the cluster options (cluster/options.ts). */
export function natMap(value: unknown): NatMap | undefined {
  if (value === undefined || typeof value === 'function') return value as NatMap | undefined;
  const table = plainObject(
    'natMap',
    value,
    'an object { "host:port": { host, port } } or a function',
  );
  const copy: Record<string, NodeAddress> = {};
  for (const [from, to] of Object.entries(table)) {
    const option = `natMap[${JSON.stringify(from)}]`;
    const target = plainObject(option, to, 'an object { host, port }');
    copy[from] = Object.freeze({
      host: host(`${option}.host`, target.host),
      port: integer(`${option}.port`, target.port, 1, 65535),
    });
  }
  return Object.freeze(copy);
}

/** @internal Shared with the cluster options (cluster/options.ts). */
export function keyPrefix(value: unknown): string {
  if (typeof value !== 'string') invalid('keyPrefix', 'a string', value);
  return value;
}

/** @internal Shared with the cluster options (cluster/options.ts). */
export function readFrom(value: unknown): ReadFrom {
  if (!(READ_FROM_VALUES as readonly unknown[]).includes(value)) {
    const hint = value === 'slave' ? 'Sentinel calls them replicas: use "replica"' : undefined;
    invalid('readFrom', `one of ${READ_FROM_VALUES.map((v) => `"${v}"`).join(', ')}`, value, hint);
  }
  return value as ReadFrom;
}

function lagBound(value: unknown): Readonly<ReplicationLagBound> | undefined {
  if (value === undefined) return undefined;
  const bound = plainObject('maxReplicationLag', value, 'an object { bytes?, seconds? }');
  for (const key of Object.keys(bound)) {
    if (key !== 'bytes' && key !== 'seconds') {
      invalid(`maxReplicationLag.${key}`, 'only "bytes" and "seconds"', key);
    }
  }
  const result: ReplicationLagBound = {};
  if (bound.bytes !== undefined) {
    result.bytes = integer('maxReplicationLag.bytes', bound.bytes, 0, Number.MAX_SAFE_INTEGER);
  }
  if (bound.seconds !== undefined) {
    const s = bound.seconds;
    if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) {
      invalid('maxReplicationLag.seconds', 'a non-negative number', s);
    }
    result.seconds = s;
  }
  return result.bytes === undefined && result.seconds === undefined
    ? undefined
    : Object.freeze(result);
}

/** @internal Shared with the cluster options (cluster/options.ts). */
export function randomSource(value: unknown): () => number {
  if (typeof value !== 'function') {
    invalid('random', 'a function returning a number in [0, 1)', value);
  }
  return value as () => number;
}

/** @internal Shared with the cluster options (cluster/options.ts). */
export function clockSource(value: unknown): () => number {
  if (typeof value !== 'function') {
    invalid('clock', 'a function returning epoch milliseconds (like Date.now)', value);
  }
  return value as () => number;
}
