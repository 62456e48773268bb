/**
 * What to do with an operation a node failed: the failover rules of `write()` and `read()` as
 * pure functions of the error and what the caller knows, so that each rule has a unit test and
 * the operation runner (operations.ts) only carries decisions out.
 */
import { WriteConnectionFailedError, WriteNotSentError } from './durable.js';
import {
  isConnectionFailure,
  isReadonlyError,
  isRetryableReadError,
  isTimeout,
} from './failures.js';

/**
 * What the failure says about the node it came from:
 * - `keep`: nothing (the command's own error, or a write left behind before it was sent);
 * - `drop-readonly`: it answered `READONLY`, so it was demoted: stop using it as master;
 * - `drop-connection-lost`: its connection broke: stop using it now (its 'close' may come later);
 * - `suspect`: a command timed out: it may be hung, a PING decides (see master.ts);
 * - `leave-rotation`: a replica failed a read: it serves none until verified again.
 */
export type NodeVerdict =
  | 'keep'
  | 'drop-readonly'
  | 'drop-connection-lost'
  | 'suspect'
  | 'leave-rotation';

/**
 * What becomes of the operation:
 * - `rerun`: run it again (on the master of then, or another node for a read);
 * - `reject-may-have-executed`: `COMMAND_MAY_HAVE_EXECUTED` (it may have run, it may not);
 * - `reject-unavailable`: `MASTER_UNAVAILABLE` (no master answered within `failoverTimeout`);
 * - `reject-write-in-read`: `WRITE_IN_READ` (the callback of a read wrote);
 * - `rethrow`: the caller gets the error as it is.
 */
export type FailureOutcome =
  | 'rerun'
  | 'reject-may-have-executed'
  | 'reject-unavailable'
  | 'reject-write-in-read'
  | 'rethrow';

export interface FailureDecision {
  outcome: FailureOutcome;
  node: NodeVerdict;
  /** For a rerun after `READONLY`: the one retry it allows is used. */
  readonlyRetried?: true;
}

/** What the runner knows about a write when the master fails it. */
export interface WriteFailureContext {
  /** The caller said the write may run twice (`WriteOptions.idempotent`). */
  idempotent: boolean;
  /** This write was already run again once after a `READONLY`. */
  readonlyRetried: boolean;
  /** Milliseconds since the write was called. */
  elapsed: number;
  /** The client's `failoverTimeout`. */
  failoverTimeout: number;
}

/** The node's verdict for a failure that says the reply never came. */
function connectionVerdict(error: unknown): NodeVerdict {
  return isTimeout(error) ? 'suspect' : 'drop-connection-lost';
}

/**
 * A write the master failed:
 * - never sent (the master was left before it went out): nothing ran, so it is run again on the
 *   new master, idempotent or not;
 * - never sent because its connection could not be opened (the node dropped or refused it, as
 *   a node Sentinel reconfigures does): the node is left and the write run again, idempotent or
 *   not, while `failoverTimeout` lasts;
 * - `READONLY`: the node was demoted and refused it, nothing ran: one retry on the real master;
 * - no reply (connection lost, timeout): it may have run. An idempotent write is run again while
 *   `failoverTimeout` lasts; any other rejects with `COMMAND_MAY_HAVE_EXECUTED`;
 * - anything else (a Redis error reply, the callback's own error) is the caller's.
 */
export function decideWriteFailure(error: unknown, context: WriteFailureContext): FailureDecision {
  if (error instanceof WriteNotSentError) return { outcome: 'rerun', node: 'keep' };
  if (error instanceof WriteConnectionFailedError) {
    // Nothing ran, so idempotent or not it may run on the master of then; the node dropped or
    // refused our connection, so it is left (and verified again) rather than dialled in a loop.
    return context.elapsed >= context.failoverTimeout
      ? { outcome: 'reject-unavailable', node: 'drop-connection-lost' }
      : { outcome: 'rerun', node: 'drop-connection-lost' };
  }
  if (isReadonlyError(error)) {
    return context.readonlyRetried
      ? { outcome: 'rethrow', node: 'drop-readonly' }
      : { outcome: 'rerun', node: 'drop-readonly', readonlyRetried: true };
  }
  if (!isConnectionFailure(error)) return { outcome: 'rethrow', node: 'keep' };
  const node = connectionVerdict(error);
  if (!context.idempotent) return { outcome: 'reject-may-have-executed', node };
  if (context.elapsed >= context.failoverTimeout) return { outcome: 'reject-unavailable', node };
  return { outcome: 'rerun', node };
}

/**
 * A read a replica failed: `READONLY` means the callback wrote (the caller's mistake: the replica
 * stays); a failure of the node (no reply, `LOADING`, `MASTERDOWN`, `TRYAGAIN`) runs it once more
 * elsewhere, and the replica leaves the rotation; anything else is the caller's.
 */
export function decideReplicaReadFailure(error: unknown): FailureDecision {
  if (isReadonlyError(error)) return { outcome: 'reject-write-in-read', node: 'keep' };
  if (!isRetryableReadError(error)) return { outcome: 'rethrow', node: 'keep' };
  return { outcome: 'rerun', node: 'leave-rotation' };
}

/**
 * A read the master failed: reads are safe to repeat, so a failure of the node runs it once more
 * (`mayRetry`) on whichever node is master then; what the failure says about the master is acted
 * on as for a write. A read whose connection broke after writes had moved to another master
 * (`replaced`: the client closes the old master's connection when it switches) failed because of
 * the switch, not of a node: it runs on the new master, its one retry used or not (each such run
 * needs another switch, so it cannot loop).
 */
export function decideMasterReadFailure(
  error: unknown,
  mayRetry: boolean,
  replaced = false,
): FailureDecision {
  if (replaced && isConnectionFailure(error)) return { outcome: 'rerun', node: 'keep' };
  if (!mayRetry || !isRetryableReadError(error)) return { outcome: 'rethrow', node: 'keep' };
  if (isReadonlyError(error)) return { outcome: 'rerun', node: 'drop-readonly' };
  if (isConnectionFailure(error)) return { outcome: 'rerun', node: connectionVerdict(error) };
  return { outcome: 'rerun', node: 'keep' };
}
