// Options of the cluster client: the location's fields, the NAT map and the timings, checked
// with the same validators (and the same errors) as the Sentinel client's options.
import type { ConnectionOptions } from 'node:tls';
import { SentinelConfigError } from '../errors.js';
import {
  clockSource,
  host,
  keyPrefix,
  ms,
  natMap,
  randomSource,
  readFrom,
  text,
  tls,
  withoutUndefined,
} from '../options.js';
import {
  adviceForRedisOption,
  resolveRedisOptions,
  type SafeRedisOptions,
} from '../redis-options.js';
import { formatAddress, type NatMap, type NodeAddress, type ReadFrom } from '../types.js';
import { didYouMean, integer, plainObject } from '../validate.js';
import { DEFAULT_CLUSTER_PORT, parseClusterLocation } from './location.js';

/** Options of {@link createClusterClient}; a cluster location string gives the first five. */
export interface ClusterClientOptions {
  /** Seed nodes: any nodes of the cluster (`{ host, port? }`, port 6379 by default). */
  nodes: readonly { host: string; port?: number | undefined }[];
  /** Username for every node. @default undefined */
  username?: string | undefined;
  /** Password for every node. @default undefined */
  password?: string | undefined;
  /** TLS to every node: `true` or Node TLS options. @default false */
  tls?: boolean | ConnectionOptions | undefined;
  /** Where reads go; see {@link ReadFrom}. @default 'replica' */
  readFrom?: ReadFrom | undefined;
  /**
   * Maps the addresses the nodes announce (`"host:port"`) to addresses this process can reach.
   * @default undefined (addresses used as announced)
   */
  natMap?: NatMap | undefined;
  /** Milliseconds to establish a node connection. @default 2000 */
  connectTimeout?: number | undefined;
  /** Milliseconds a command may wait for its reply. @default 5000 */
  commandTimeout?: number | undefined;
  /** Prefix added to every key. @default '' */
  keyPrefix?: string | undefined;
  /**
   * Milliseconds an operation on a slot without a reachable master waits for the cluster to
   * promote one before failing with `MASTER_UNAVAILABLE`. @default 10000
   */
  failoverTimeout?: number | undefined;
  /** Milliseconds between reads of the cluster's own view of its nodes. @default 1000 */
  healthPollInterval?: number | undefined;
  /**
   * Milliseconds a master may leave a command unanswered before the client suspects it hung
   * (or a lost connection to it): it then reads the cluster's view every `failoverPollInterval`
   * to move to the promoted replica as soon as the cluster promotes one. Suspicion alone stops
   * nothing: a slow command only makes the client poll faster until it answers. @default 500
   */
  stallTimeout?: number | undefined;
  /** Milliseconds between reads of the cluster's view while a master is suspect. @default 50 */
  failoverPollInterval?: number | undefined;
  /** Random source in [0, 1) for choosing replicas. @default Math.random */
  random?: (() => number) | undefined;
  /** Clock in epoch milliseconds, for deadlines. @default Date.now */
  clock?: (() => number) | undefined;
  /** ioredis options passed to every node connection; see {@link SafeRedisOptions}. @default {} */
  redisOptions?: SafeRedisOptions | undefined;
}

/** {@link ClusterClientOptions} with every default applied. */
export interface ResolvedClusterClientOptions {
  readonly nodes: readonly Readonly<NodeAddress>[];
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: ConnectionOptions | false;
  readonly readFrom: ReadFrom;
  readonly natMap: NatMap | undefined;
  readonly connectTimeout: number;
  readonly commandTimeout: number;
  readonly keyPrefix: string;
  readonly failoverTimeout: number;
  readonly healthPollInterval: number;
  readonly stallTimeout: number;
  readonly failoverPollInterval: number;
  readonly random: () => number;
  readonly clock: () => number;
  readonly redisOptions: Readonly<SafeRedisOptions>;
}

/** Every field of {@link ClusterClientOptions}, in documentation order. */
export const CLUSTER_OPTION_NAMES = Object.freeze([
  'nodes',
  'username',
  'password',
  'tls',
  'readFrom',
  'natMap',
  'connectTimeout',
  'commandTimeout',
  'keyPrefix',
  'failoverTimeout',
  'healthPollInterval',
  'stallTimeout',
  'failoverPollInterval',
  'random',
  'clock',
  'redisOptions',
] as const satisfies readonly (keyof ClusterClientOptions)[]);

export const DEFAULT_CLUSTER_OPTIONS = Object.freeze({
  connectTimeout: 2000,
  commandTimeout: 5000,
  keyPrefix: '',
  readFrom: 'replica',
  failoverTimeout: 10_000,
  healthPollInterval: 1000,
  stallTimeout: 500,
  failoverPollInterval: 50,
} as const);

/**
 * The resolved options of a cluster client: `locationOrOptions` parsed when it is a location
 * string, `overrides` on top, defaults applied, every field checked ({@link SentinelConfigError}
 * naming the first invalid option, secrets never echoed). The result is frozen.
 */
export function resolveClusterOptions(
  locationOrOptions: string | ClusterClientOptions,
  overrides?: Partial<ClusterClientOptions>,
): ResolvedClusterClientOptions {
  const base =
    typeof locationOrOptions === 'string'
      ? parseClusterLocation(locationOrOptions)
      : locationOrOptions;
  const first = plainObject('options', base, 'a cluster location string or an options object');
  const second = plainObject('overrides', overrides ?? {}, 'an options object');
  const o: Record<string, unknown> = { ...withoutUndefined(first), ...withoutUndefined(second) };
  if (first.redisOptions !== undefined && second.redisOptions !== undefined) {
    o.redisOptions = { ...(first.redisOptions as object), ...(second.redisOptions as object) };
  }
  for (const key of Object.keys(o)) checkKnown(key);
  const d = DEFAULT_CLUSTER_OPTIONS;
  return Object.freeze({
    nodes: seedNodes(o.nodes),
    username: text('username', o.username, false),
    password: text('password', o.password, true),
    tls: tls('tls', o.tls ?? false),
    readFrom: readFrom(o.readFrom ?? d.readFrom),
    natMap: natMap(o.natMap),
    connectTimeout: ms('connectTimeout', o.connectTimeout ?? d.connectTimeout),
    commandTimeout: ms('commandTimeout', o.commandTimeout ?? d.commandTimeout),
    keyPrefix: keyPrefix(o.keyPrefix ?? d.keyPrefix),
    failoverTimeout: ms('failoverTimeout', o.failoverTimeout ?? d.failoverTimeout),
    healthPollInterval: ms('healthPollInterval', o.healthPollInterval ?? d.healthPollInterval),
    stallTimeout: ms('stallTimeout', o.stallTimeout ?? d.stallTimeout),
    failoverPollInterval: ms(
      'failoverPollInterval',
      o.failoverPollInterval ?? d.failoverPollInterval,
    ),
    random: randomSource(o.random ?? Math.random),
    clock: clockSource(o.clock ?? Date.now),
    redisOptions: resolveRedisOptions(o.redisOptions ?? {}),
  });
}

/** Every secret string of the options, to scrub messages built from other errors. */
export function clusterSecretsOf(options: ResolvedClusterClientOptions): (string | undefined)[] {
  const t = options.tls;
  const tlsSecrets =
    t === false
      ? []
      : [t.key, t.pfx, t.passphrase].filter((value): value is string => typeof value === 'string');
  return [options.password, ...tlsSecrets];
}

function checkKnown(key: string): void {
  if ((CLUSTER_OPTION_NAMES as readonly string[]).includes(key)) return;
  const hint =
    key === 'sentinels' || key === 'masterName'
      ? 'A cluster has no sentinels or master name: give its seed nodes as "nodes"'
      : (adviceForRedisOption(key) ?? didYouMean(key, CLUSTER_OPTION_NAMES));
  throw new SentinelConfigError({
    option: key,
    expected: `one of the cluster options ${CLUSTER_OPTION_NAMES.join(', ')}`,
    received: 'an unknown option',
    ...(hint === undefined ? {} : { hint }),
  });
}

function seedNodes(value: unknown): readonly Readonly<NodeAddress>[] {
  const expected = 'a non-empty array of { host, port? }';
  if (value === undefined) {
    throw new SentinelConfigError({ option: 'nodes', expected, missing: true });
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new SentinelConfigError({ option: 'nodes', expected, received: describeList(value) });
  }
  const seen = new Set<string>();
  const nodes: Readonly<NodeAddress>[] = [];
  value.forEach((item: unknown, i) => {
    const entry = plainObject(`nodes[${i}]`, item, 'an object { host, port? }');
    const address = Object.freeze({
      host: host(`nodes[${i}].host`, entry.host),
      port: integer(`nodes[${i}].port`, entry.port ?? DEFAULT_CLUSTER_PORT, 1, 65535),
    });
    // A seed given twice is harmless: kept once.
    if (!seen.has(formatAddress(address))) nodes.push(address);
    seen.add(formatAddress(address));
  });
  return Object.freeze(nodes);
}

function describeList(value: unknown): string {
  return Array.isArray(value) ? 'an empty array' : typeof value;
}
