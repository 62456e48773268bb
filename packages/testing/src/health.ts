/**
 * What each sentinel says about the deployment, and the pure decision of
 * whether that amounts to a healthy topology. Kept free of I/O so the rule can
 * be read (and tested) on its own.
 */

import {
  filterReplicas,
  parseSentinelInfo,
  type ReplicaCandidate,
  toReplicaCandidate,
} from '@sentinelkit/core/internal';

export interface Address {
  host: string;
  port: number;
}

/**
 * One replica as a sentinel lists it in `SENTINEL replicas`: the core's own reading of the entry
 * (`toReplicaCandidate`), so readiness and the client see the same replica.
 */
export type SentinelReplicaView = ReplicaCandidate;

/** One sentinel's answers, or the error it gave. */
export type SentinelView =
  | {
      sentinel: string;
      master: Address | null;
      replicas: SentinelReplicaView[];
      /** Other sentinels this one sees and does not consider down. */
      peersUp: number;
    }
  | { sentinel: string; error: string };

export interface HealthExpectation {
  /** Data nodes that are running (not killed, not frozen). */
  runningDataNodes: readonly Address[];
  /** Number of sentinels that are running. */
  runningSentinels: number;
}

export type HealthVerdict = { healthy: true; master: Address } | { healthy: false; reason: string };

const key = (a: Address) => `${a.host}:${a.port}`;

/** Turns a `SENTINEL replicas`/`sentinels` entry into a record (the core's parser). */
export const flatToRecord = parseSentinelInfo;

/** A `SENTINEL replicas` entry as the core reads it (an entry with no address lists nothing). */
export function toReplicaView(reply: unknown): SentinelReplicaView {
  return (
    toReplicaCandidate(parseSentinelInfo(reply)) ?? {
      host: '',
      port: 0,
      flags: [],
      masterLinkStatus: undefined,
      masterHost: undefined,
      masterPort: undefined,
      replOffset: undefined,
    }
  );
}

/**
 * Healthy means: every running sentinel answers and names the same running
 * master; lists every other running data node as a replica that is up, has a
 * working link and follows that master; and sees every other running sentinel.
 */
export function assessHealth(
  views: readonly SentinelView[],
  expect: HealthExpectation,
): HealthVerdict {
  let master: Address | undefined;
  const running = new Set(expect.runningDataNodes.map(key));
  for (const view of views) {
    if ('error' in view) return { healthy: false, reason: `${view.sentinel}: ${view.error}` };
    if (!view.master) return { healthy: false, reason: `${view.sentinel} knows no master` };
    if (master && key(master) !== key(view.master)) {
      return {
        healthy: false,
        reason: `sentinels disagree on the master (${key(master)} vs ${key(view.master)})`,
      };
    }
    master = view.master;
    if (!running.has(key(master))) {
      return {
        healthy: false,
        reason: `${view.sentinel} names ${key(master)}, which is not running`,
      };
    }
    for (const node of expect.runningDataNodes) {
      if (key(node) === key(master)) continue;
      const replica = view.replicas.find((r) => key(r) === key(node));
      if (!replica)
        return { healthy: false, reason: `${view.sentinel} does not list replica ${key(node)}` };
      // The client's rule (core filterReplicas: not down, linked, following this master), and
      // Sentinel done converting it (flag `slave`): then a client reads from it at once.
      const refusal = filterReplicas([replica], master).rejected[0]?.reason;
      if (
        refusal === 'down' ||
        refusal === 'disconnected' ||
        refusal === 'is-master' ||
        !replica.flags.includes('slave')
      ) {
        return {
          healthy: false,
          reason: `${view.sentinel} flags ${key(node)} as ${replica.flags.join(',')}`,
        };
      }
      if (refusal === 'link-down') {
        return {
          healthy: false,
          reason: `${key(node)} link to master is ${replica.masterLinkStatus ?? ''}`,
        };
      }
      if (refusal !== undefined) {
        return {
          healthy: false,
          reason: `${key(node)} still follows ${replica.masterHost}:${replica.masterPort}`,
        };
      }
    }
    if (view.peersUp < expect.runningSentinels - 1) {
      return {
        healthy: false,
        reason: `${view.sentinel} sees ${view.peersUp} of ${expect.runningSentinels - 1} other sentinels`,
      };
    }
  }
  if (!master) return { healthy: false, reason: 'no sentinel is running' };
  return { healthy: true, master };
}
