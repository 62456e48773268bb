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
  /** A read on it failed (no answer in time, `LOADING`, `MASTERDOWN`); it returns once verified again. */
  | 'read-failed'
  /** It did not pass the `ROLE` check (wrong role, other master, not in sync, no answer). */
  | 'role-check-failed'
  /** The client is closing. */
  | 'closed';

/** Why the client moved writes to a (new) master. */
export type MasterChangeReason =
  /** First discovery in `connect()`. */
  | 'discovered'
  /** A sentinel published `+switch-master` for our master name. */
  | 'switch-master'
  /** A periodic Sentinel poll named a newer master (higher config epoch). */
  | 'poll'
  /** The master was lost; Sentinel was asked again and named this one. */
  | 'reconnect';

/** Why the client stopped sending commands to its master. */
export type MasterLostReason =
  /** The connection closed (the node died or restarted). */
  | 'connection-lost'
  /** It did not answer a PING in time after Sentinel flagged it down or a command timed out. */
  | 'unresponsive'
  /** It answered a write with `READONLY`: it was demoted. */
  | 'readonly';

/** What happened between losing a master (or hearing of a failover) and using the new one. */
export interface FailoverTimings {
  /** Epoch ms when the client stopped using the old master, if it noticed before the switch. */
  lostAt: number | undefined;
  /** Epoch ms when the first sentinel's `+switch-master` arrived, if one did. */
  announcedAt: number | undefined;
  /** Epoch ms when writes started going to the new master. */
  switchedAt: number;
  /** Operations that waited for a master during the failover. */
  queued: number;
  /** Operations sent to the old master and run again on the new one (idempotent writes, reads). */
  retried: number;
  /** Operations rejected (non-idempotent writes in flight, waits past `failoverTimeout`). */
  rejected: number;
}

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
      /** Failover timings and counts; `undefined` on first discovery. */
      timings: FailoverTimings | undefined;
    }
  | {
      type: 'MASTER_LOST';
      /** The master the client stopped using. */
      previous: NodeAddress;
      reason: MasterLostReason;
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
