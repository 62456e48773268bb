/**
 * The options of `startClusterTopology`, and their validation into the settings the cluster
 * topology reads. Pure: no I/O.
 */

import type { NodeBackend } from './backends/backend.js';
import type { BackendName } from './backends/select.js';
import type { DataAuth } from './config.js';
import { TopologyError } from './errors.js';

/** Options of {@link startClusterTopology}. */
export interface ClusterTopologyOptions {
  /** Number of masters; the 16384 slots are split evenly between them. @default 3 */
  masters?: number;
  /** Replicas of each master. @default 1 */
  replicasPerMaster?: number;
  /**
   * `cluster-node-timeout`: how long a master may not answer before the others flag it failed
   * and one of its replicas takes over. Redis' default is 15000; low here so failovers in
   * tests take about a second or two. @default 1000
   */
  nodeTimeoutMs?: number;
  /**
   * `cluster-require-full-coverage`: with `true` (Redis' default) every node refuses every
   * command (`CLUSTERDOWN`) while a slot has no master, i.e. from the moment a failed master is
   * flagged until its replica is promoted; with `false` only the failed slots are refused.
   * @default true
   */
  requireFullCoverage?: boolean;
  /** Password of every node (`requirepass`, or the ACL user's password with `username`). */
  password?: string;
  /** ACL user on every node; the default user is then switched off. Requires `password`. */
  username?: string;
  /** How long to wait for the cluster to become ready. @default 30000 */
  readyTimeoutMs?: number;
  /**
   * How nodes are started: `'process'` (local `redis-server` processes), `'container'` (each
   * node in a container on the host network), `'auto'`, or any {@link NodeBackend} that
   * gives loopback addresses. @default `$SENTINELKIT_BACKEND`, else 'auto'
   */
  backend?: BackendName | NodeBackend;
  /** Path to `redis-server` for the process backend. @default found on PATH or `$SENTINELKIT_REDIS_SERVER` */
  redisServer?: string;
  /** Image of the container backend. @default `$SENTINELKIT_REDIS_IMAGE`, else 'redis:7' */
  image?: string;
}

/** The options, checked and with their defaults applied. */
export interface ClusterSettings {
  masterCount: number;
  replicasPerMaster: number;
  nodeTimeoutMs: number;
  requireFullCoverage: boolean;
  readyTimeoutMs: number;
  dataAuth: DataAuth;
}

function integer(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid option "${name}": expected an integer ${range}, got ${value}`,
    );
  }
  return value;
}

/** Checks `options` (a typed `INVALID_OPTION` error naming the option) and applies defaults. */
export function resolveClusterOptions(options: ClusterTopologyOptions): ClusterSettings {
  // Each master needs a range of slots; more than a few dozen nodes is no test topology.
  const masterCount = integer('masters', options.masters ?? 3, 1, 64);
  const replicasPerMaster = integer('replicasPerMaster', options.replicasPerMaster ?? 1, 0, 8);
  const nodeTimeoutMs = integer('nodeTimeoutMs', options.nodeTimeoutMs ?? 1000, 100);
  const readyTimeoutMs = integer('readyTimeoutMs', options.readyTimeoutMs ?? 30_000, 1);
  const requireFullCoverage = options.requireFullCoverage ?? true;
  if (typeof requireFullCoverage !== 'boolean') {
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid option "requireFullCoverage": expected true or false, got ${JSON.stringify(requireFullCoverage)}`,
    );
  }
  if (options.username !== undefined && options.password === undefined) {
    throw new TopologyError(
      'INVALID_OPTION',
      'Invalid option "username": an ACL user needs a "password" too',
    );
  }
  return {
    masterCount,
    replicasPerMaster,
    nodeTimeoutMs,
    requireFullCoverage,
    readyTimeoutMs,
    dataAuth: { username: options.username, password: options.password },
  };
}
