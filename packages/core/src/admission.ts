import type { RoleInfo } from './role.js';
import type { NodeAddress } from './types.js';

/**
 * Whether a replica may join the read rotation.
 *
 * Sentinel's view of a replica (`master-link-status: ok`) and the replica's own `ROLE` link
 * state (`connected`) both say "in sync" the moment a full resync has loaded the master's
 * snapshot, while everything the master acknowledged since that snapshot is still on its way
 * (a master thawed after a failover was seen answering `null` for keys acknowledged 186 ms
 * earlier). So a replica must also show, by its own replication offset, that it has applied
 * the master's stream up to a recent master offset.
 */
export type Admission =
  /** It follows the master and has caught up: it may serve reads. */
  | { verdict: 'admit' }
  /** It follows the master, link up, but has not applied the stream up to the target yet. */
  | { verdict: 'catching-up'; behindBytes: number }
  /** It is not (or no longer) a usable replica of that master: do not wait for it. */
  | { verdict: 'refuse'; why: string };

/**
 * Decides on a replica from its `ROLE` reply.
 *
 * @param replica - The replica's parsed `ROLE` reply.
 * @param master - The master it must follow, as Sentinel announces it.
 * @param targetOffset - The master's replication offset the replica must have reached: taken
 *   from the master's `ROLE` at the same moment (an idle master) or at the previous check (a
 *   master being written to), so that an admitted replica lags by at most one check.
 */
export function admitReplica(
  replica: RoleInfo | undefined,
  master: NodeAddress,
  targetOffset: number,
): Admission {
  if (replica?.role !== 'replica') {
    return { verdict: 'refuse', why: `reports role ${replica?.role ?? 'unknown'}` };
  }
  if (replica.masterHost !== master.host || replica.masterPort !== master.port) {
    return {
      verdict: 'refuse',
      why: `replicates from ${replica.masterHost}:${replica.masterPort}`,
    };
  }
  // 'connect', 'connecting', 'handshake', 'sync' (a full resync loading): not a copy yet.
  if (replica.linkState !== 'connected') {
    return { verdict: 'refuse', why: `its link to the master is ${replica.linkState}` };
  }
  if (replica.replOffset < targetOffset) {
    return { verdict: 'catching-up', behindBytes: targetOffset - replica.replOffset };
  }
  return { verdict: 'admit' };
}
