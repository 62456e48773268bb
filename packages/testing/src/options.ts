/**
 * The options of `startSentinelTopology`, and their validation into the settings
 * every other part of the topology reads. Pure: no I/O.
 */

import type { NodeBackend } from './backends/backend.js';
import type { ContainerNetwork } from './backends/container.js';
import type { BackendName } from './backends/select.js';
import { type DataAuth, SENTINEL_ADMIN_USER } from './config.js';
import { TopologyError } from './errors.js';
import type { TopologyTlsOptions } from './tls.js';

/** Options of {@link startSentinelTopology}. */
export interface SentinelTopologyOptions {
  /** Number of replicas. @default 2 */
  replicas?: number;
  /** Number of sentinels. @default 3 */
  sentinels?: number;
  /** Sentinels that must agree the master is down. @default a majority of `sentinels` */
  quorum?: number;
  /** Name Sentinel monitors the master under. @default 'mymaster' */
  masterName?: string;
  /** Sentinel's `down-after-milliseconds`. @default 1000 */
  downAfterMs?: number;
  /** Sentinel's `failover-timeout`. @default 3000 */
  failoverTimeoutMs?: number;
  /** Password of the data nodes (`requirepass`, or the ACL user's password with `username`). */
  password?: string;
  /** ACL user on the data nodes; the default user is then switched off. Requires `password`. */
  username?: string;
  /** Password clients need to talk to the sentinels (separate from the data nodes'). */
  sentinelPassword?: string;
  /**
   * ACL user clients log in to the sentinels as (Redis 6.2+ sentinels), with `sentinelPassword`;
   * the sentinels' default user is then switched off. The sentinels talk to each other, and the
   * topology's own connections to them, as a separate admin user, so `sentinelUserRules` may
   * take permissions away without breaking Sentinel or the topology. Requires `sentinelPassword`.
   */
  sentinelUsername?: string;
  /**
   * ACL rules of `sentinelUsername`, e.g. `['+@all', '&*', '-sentinel|replicas']` for a user
   * that may not list replicas, or `['+@all', '-subscribe']` for one that may not subscribe.
   * @default ['+@all', '&*']
   */
  sentinelUserRules?: string[];
  /** How long to wait for the topology to become healthy. @default 20000 */
  readyTimeoutMs?: number;
  /**
   * How nodes are started: `'process'` runs local `redis-server` processes,
   * `'container'` runs each node in a container (testcontainers), `'auto'` picks
   * processes when `redis-server` is found and containers when a container
   * engine answers; or pass any {@link NodeBackend}.
   * @default `$SENTINELKIT_BACKEND`, else 'auto'
   */
  backend?: BackendName | NodeBackend;
  /** Path to `redis-server` for the process backend. @default found on PATH or `$SENTINELKIT_REDIS_SERVER` */
  redisServer?: string;
  /**
   * Image of the container backend, with `redis-server` 7 on its `PATH`.
   * @default `$SENTINELKIT_REDIS_IMAGE`, else 'redis:7'
   */
  image?: string;
  /**
   * Network of the container backend: `'host'` (nodes on 127.0.0.1, as
   * processes), `'bridge'` (nodes announce their names; use the topology's
   * `connectionOptions.natMap`), or `'auto'` (`'host'` on a Linux engine).
   * @default 'auto'
   */
  containerNetwork?: ContainerNetwork;
  /**
   * TLS-only nodes: a CA, node and client certificates are made in the work
   * directory (needs `openssl`); data nodes and sentinels listen on TLS only
   * and talk to each other over TLS. Clients get the CA and a client
   * certificate from the topology's `tls` and `connectionOptions`.
   * `true` means `{ clientCertificates: 'optional' }`. @default false
   */
  tls?: boolean | TopologyTlsOptions;
}

/** The options, checked and with their defaults applied. */
export interface TopologySettings {
  replicaCount: number;
  sentinelCount: number;
  quorum: number;
  masterName: string;
  downAfterMs: number;
  failoverTimeoutMs: number;
  readyTimeoutMs: number;
  dataAuth: DataAuth;
  sentinelPassword: string | undefined;
  sentinelUser: { name: string; rules: readonly string[] } | undefined;
  tls: Required<TopologyTlsOptions> | undefined;
}

function positiveInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid option "${name}": expected an integer >= ${min}, got ${value}`,
    );
  }
  return value;
}

/** Checks `options` (a typed `INVALID_OPTION` error naming the option) and applies defaults. */
export function resolveTopologyOptions(options: SentinelTopologyOptions): TopologySettings {
  const replicaCount = positiveInteger('replicas', options.replicas ?? 2, 0);
  const sentinelCount = positiveInteger('sentinels', options.sentinels ?? 3, 1);
  const quorum = positiveInteger('quorum', options.quorum ?? Math.floor(sentinelCount / 2) + 1, 1);
  if (quorum > sentinelCount) {
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid option "quorum": ${quorum} is more than the ${sentinelCount} sentinels`,
    );
  }
  const masterName = options.masterName ?? 'mymaster';
  if (!/^[A-Za-z0-9._-]+$/.test(masterName)) {
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid option "masterName": expected letters, digits, '.', '_' or '-', got ${JSON.stringify(masterName)}`,
    );
  }
  if (options.username !== undefined && options.password === undefined) {
    throw new TopologyError(
      'INVALID_OPTION',
      'Invalid option "username": an ACL user needs a "password" too',
    );
  }
  const sentinelUser = resolveSentinelUser(options);
  const downAfterMs = positiveInteger('downAfterMs', options.downAfterMs ?? 1000, 1);
  const failoverTimeoutMs = positiveInteger(
    'failoverTimeoutMs',
    options.failoverTimeoutMs ?? 3000,
    1,
  );
  const readyTimeoutMs = positiveInteger('readyTimeoutMs', options.readyTimeoutMs ?? 20_000, 1);
  return {
    replicaCount,
    sentinelCount,
    quorum,
    masterName,
    downAfterMs,
    failoverTimeoutMs,
    readyTimeoutMs,
    tls: topologyTlsOptions(options.tls),
    dataAuth: { username: options.username, password: options.password },
    sentinelPassword: options.sentinelPassword,
    sentinelUser,
  };
}

const DEFAULT_SENTINEL_USER_RULES = ['+@all', '&*'];

function resolveSentinelUser(options: SentinelTopologyOptions): TopologySettings['sentinelUser'] {
  const { sentinelUsername: name, sentinelUserRules: rules } = options;
  if (name === undefined) {
    if (rules !== undefined) {
      throw new TopologyError(
        'INVALID_OPTION',
        'Invalid option "sentinelUserRules": it applies to "sentinelUsername", which is not set',
      );
    }
    return undefined;
  }
  if (options.sentinelPassword === undefined) {
    throw new TopologyError(
      'INVALID_OPTION',
      'Invalid option "sentinelUsername": a sentinel ACL user needs a "sentinelPassword" too',
    );
  }
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name === SENTINEL_ADMIN_USER || name === 'default') {
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid option "sentinelUsername": expected letters, digits, '.', '_' or '-', other than 'default' and '${SENTINEL_ADMIN_USER}', got ${JSON.stringify(name)}`,
    );
  }
  if (
    rules !== undefined &&
    (!Array.isArray(rules) || !rules.every((r) => typeof r === 'string' && /^\S+$/.test(r)))
  ) {
    throw new TopologyError(
      'INVALID_OPTION',
      "Invalid option \"sentinelUserRules\": expected an array of ACL rules without spaces, e.g. ['+@all', '-subscribe']",
    );
  }
  return { name, rules: [...(rules ?? DEFAULT_SENTINEL_USER_RULES)] };
}

function topologyTlsOptions(
  value: SentinelTopologyOptions['tls'],
): Required<TopologyTlsOptions> | undefined {
  if (value === undefined || value === false) return undefined;
  const options = value === true ? {} : value;
  const clientCertificates = options.clientCertificates ?? 'optional';
  if (clientCertificates !== 'required' && clientCertificates !== 'optional') {
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid option "tls.clientCertificates": expected 'required' or 'optional', got ${JSON.stringify(clientCertificates)}`,
    );
  }
  return { clientCertificates, hostnameCertificates: options.hostnameCertificates === true };
}
