import type { NodeAddress } from './types.js';

/** Why a replica left the read rotation. */
export type ReplicaRemoveReason =
  /** Sentinel flags it `s_down`/`o_down`. */
  | 'down'
  /** Sentinel flags it `disconnected`. */
  | 'disconnected'
  /** Its link to the master is not `ok`. */
  | 'link-down'
  /** It replicates from another node than the current master. */
  | 'follows-other-master'
  /** It is further behind than `maxReplicationLag`. */
  | 'lagging'
  /** Sentinel no longer lists it. */
  | 'gone'
  /** It became the master. */
  | 'promoted'
  /** Our connection to it closed. */
  | 'connection-lost'
  /** It did not pass the `ROLE` check (wrong role, other master, not in sync, no answer). */
  | 'role-check-failed'
  /** The client is closing. */
  | 'closed';

/** Why the client moved writes to a (new) master. */
export type MasterChangeReason =
  /** First discovery in `connect()`. */
  | 'discovered'
  /** A periodic Sentinel poll named a different master. */
  | 'poll'
  /** The connection to the master was lost; Sentinel was asked again. */
  | 'reconnect';

/** A change of the topology the client routes to, emitted as `'topology-change'`. */
export type TopologyEvent =
  | {
      type: 'MASTER_CHANGE';
      /** The master before, `undefined` on first discovery. */
      previous: NodeAddress | undefined;
      /** The verified master writes now go to (after the NAT map). */
      current: NodeAddress;
      reason: MasterChangeReason;
      /** Epoch ms when the client started using the new master. */
      switchedAt: number;
    }
  | { type: 'REPLICA_ADD'; replica: NodeAddress }
  | { type: 'REPLICA_REMOVE'; replica: NodeAddress; reason: ReplicaRemoveReason }
  | { type: 'SENTINEL_LIST_CHANGE'; sentinels: NodeAddress[] };

/** Events of a {@link SentinelClient}. */
export interface SentinelClientEvents {
  /** The topology changed (master, replicas in rotation, known sentinels). */
  'topology-change': [event: TopologyEvent];
  /**
   * A background problem (a sentinel unreachable, a node connection error). It
   * never means a command failed: commands report their own errors. Emitted
   * only when someone listens, so an unhandled `'error'` cannot crash the app.
   */
  error: [error: Error];
}
