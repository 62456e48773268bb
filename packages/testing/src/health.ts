/**
 * What each sentinel says about the deployment, and the pure decision of
 * whether that amounts to a healthy topology. Kept free of I/O so the rule can
 * be read (and tested) on its own.
 */

export interface Address {
  host: string;
  port: number;
}

/** One replica as a sentinel lists it in `SENTINEL replicas`. */
export interface SentinelReplicaView extends Address {
  flags: string[];
  masterLinkStatus: string;
  masterHost: string;
  masterPort: number;
}

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

const DOWN_FLAGS = ['s_down', 'o_down', 'disconnected'];

const key = (a: Address) => `${a.host}:${a.port}`;

/** Turns a flat `[k1, v1, k2, v2, …]` Sentinel reply into a record. */
export function flatToRecord(reply: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  if (!Array.isArray(reply)) return record;
  for (let i = 0; i + 1 < reply.length; i += 2) record[String(reply[i])] = String(reply[i + 1]);
  return record;
}

export function toReplicaView(reply: unknown): SentinelReplicaView {
  const r = flatToRecord(reply);
  return {
    host: r.ip ?? '',
    port: Number(r.port),
    flags: (r.flags ?? '').split(','),
    masterLinkStatus: r['master-link-status'] ?? '',
    masterHost: r['master-host'] ?? '',
    masterPort: Number(r['master-port']),
  };
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
      const bad = replica.flags.filter((f) => DOWN_FLAGS.includes(f));
      if (bad.length > 0 || !replica.flags.includes('slave')) {
        return {
          healthy: false,
          reason: `${view.sentinel} flags ${key(node)} as ${replica.flags.join(',')}`,
        };
      }
      if (replica.masterLinkStatus !== 'ok') {
        return {
          healthy: false,
          reason: `${key(node)} link to master is ${replica.masterLinkStatus}`,
        };
      }
      if (`${replica.masterHost}:${replica.masterPort}` !== key(master)) {
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
