import { formatAddress, type TopologySnapshot } from '@sentinelkit/core';

/** What the Sentinel health indicator reports. */
export type SentinelHealthState = 'up' | 'degraded' | 'down';

/**
 * The details of the indicator: the client's view of the topology as addresses only. It is
 * built field by field from the snapshot, so it carries no credentials, whatever the client's
 * options hold.
 */
export type SentinelHealthDetails = {
  /** Name of the master group (`sentinel monitor <name>`). */
  masterName: string;
  /** The client's state: `'idle'`, `'connecting'`, `'ready'` or `'closed'`. */
  clientStatus: string;
  /** The verified master, `host:port`, or `null` when there is none. */
  master: string | null;
  /** Replicas in the read rotation (verified and healthy), `host:port`. */
  replicas: string[];
  /** Sentinels the client asks, in order, `host:port`. */
  sentinels: string[];
  /** Why the state is not `up`. */
  message?: string;
};

/**
 * The state a topology snapshot shows, before the master is pinged: `down` without a verified
 * master (or a client that is not ready), `degraded` with fewer than `minReplicas` healthy
 * replicas, else `up`.
 */
export function assessTopology(
  snapshot: TopologySnapshot,
  minReplicas: number,
): { state: SentinelHealthState; details: SentinelHealthDetails } {
  const details: SentinelHealthDetails = {
    masterName: snapshot.masterName,
    clientStatus: snapshot.status,
    master: snapshot.master ? formatAddress(snapshot.master.address) : null,
    replicas: snapshot.replicas.map((replica) => formatAddress(replica.address)),
    sentinels: snapshot.sentinels.map(formatAddress),
  };
  if (snapshot.status !== 'ready') {
    return { state: 'down', details: { ...details, message: `client is ${snapshot.status}` } };
  }
  if (!snapshot.master) {
    return { state: 'down', details: { ...details, message: 'no verified master' } };
  }
  if (details.replicas.length < minReplicas) {
    const message =
      details.replicas.length === 0
        ? 'no healthy replica: reads go to the master'
        : `${details.replicas.length} healthy replica(s), fewer than ${minReplicas}`;
    return { state: 'degraded', details: { ...details, message } };
  }
  return { state: 'up', details };
}
