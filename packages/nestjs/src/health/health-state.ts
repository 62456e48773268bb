import { formatAddress, type NodeAddress, type RoutedTopology } from '@sentinelkit/core';

/** What the Sentinel health indicator reports. */
export type SentinelHealthState = 'up' | 'degraded' | 'down';

/**
 * The details of the indicator: the client's view of the topology as addresses only. It is
 * built field by field from the snapshot, so it carries no credentials, whatever the client's
 * options hold.
 */
export type SentinelHealthDetails = {
  /** Name of the master group (`sentinel monitor <name>`); a `SentinelClient`'s only. */
  masterName?: string;
  /** The client's state: `'idle'`, `'connecting'`, `'ready'` or `'closed'`. */
  clientStatus: string;
  /** The verified master, `host:port` (the first shard's), or `null` when there is none. */
  master: string | null;
  /** Replicas in the read rotation (verified and healthy), `host:port`. */
  replicas: string[];
  /** Sentinels the client asks, in order, `host:port`; a `SentinelClient`'s only. */
  sentinels?: string[];
  /** Why the state is not `up`. */
  message?: string;
};

/**
 * What the indicator reads of a client's topology: the contract's part, and the Sentinel
 * client's own names (`masterName`, `sentinels`) when it has them, as addresses only.
 */
export type AssessedTopology = RoutedTopology & {
  masterName?: string;
  sentinels?: readonly NodeAddress[];
};

/**
 * The state a topology snapshot shows, before the master is pinged: `down` without a verified
 * master in some shard (or a client that is not ready), `degraded` with fewer than
 * `minReplicas` healthy replicas in some shard, else `up`.
 */
export function assessTopology(
  snapshot: AssessedTopology,
  minReplicas: number,
): { state: SentinelHealthState; details: SentinelHealthDetails } {
  const first = snapshot.shards[0];
  const details: SentinelHealthDetails = {
    ...(snapshot.masterName === undefined ? {} : { masterName: snapshot.masterName }),
    clientStatus: snapshot.status,
    master: first?.master ? formatAddress(first.master.address) : null,
    replicas: snapshot.shards.flatMap((shard) =>
      shard.replicas.map((replica) => formatAddress(replica.address)),
    ),
    ...(snapshot.sentinels === undefined
      ? {}
      : { sentinels: snapshot.sentinels.map(formatAddress) }),
  };
  if (snapshot.status !== 'ready') {
    return { state: 'down', details: { ...details, message: `client is ${snapshot.status}` } };
  }
  if (first === undefined || snapshot.shards.some((shard) => !shard.master)) {
    return { state: 'down', details: { ...details, message: 'no verified master' } };
  }
  const fewest = Math.min(...snapshot.shards.map((shard) => shard.replicas.length));
  if (fewest < minReplicas) {
    const message =
      fewest === 0
        ? 'no healthy replica: reads go to the master'
        : `${fewest} healthy replica(s), fewer than ${minReplicas}`;
    return { state: 'degraded', details: { ...details, message } };
  }
  return { state: 'up', details };
}
