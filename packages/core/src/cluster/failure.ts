/**
 * What the cluster client does with an operation that failed, as pure functions of the error
 * and what the caller said, so each rule has a unit test. ioredis' `Cluster` already follows
 * MOVED/ASK and retries CLUSTERDOWN, TRYAGAIN and a closed connection for a while
 * (`retryDelayOnFailover` × `maxRedirections`, about 1.6 s); what it gives up on lands here.
 *
 * A command that was written to a node whose connection then closed is never sent again by
 * ioredis: client.ts has each node fail it with {@link SENT_BEFORE_CLOSE} (sent-commands.ts),
 * which ioredis does not retry. So, as under Sentinel, a write whose reply was lost runs again
 * only if the caller said it is idempotent, and one never sent runs again whatever it is.
 */
import { isConnectionFailure, isRetryableReadError } from '../failures.js';

const REPLY_CODE = /^([A-Z]+)\b/;
const LAST_ERROR = 'Last error: ';

/**
 * ioredis' message for a command it never wrote to a socket: failed from a connection's offline
 * queue when it closed, or sent to a connection already ended. ioredis' `Cluster` runs such a
 * command again after `retryDelayOnFailover`, and so may the client.
 */
export const CONNECTION_CLOSED = 'Connection is closed.';

/**
 * The message of a command its node's connection had written when it closed: the command may
 * have run. ioredis' `Cluster` retries only {@link CONNECTION_CLOSED}, so it leaves these to the
 * client's rules (as {@link isConnectionFailure}, which matches it).
 */
export const SENT_BEFORE_CLOSE =
  'Connection is closed (the command was sent, its reply lost: it may have run).';

// Replies saying the node ran nothing: the slot has no master now, is moving, or lives elsewhere.
const NOT_RUN_CODES = new Set(['CLUSTERDOWN', 'TRYAGAIN', 'MASTERDOWN', 'MOVED', 'ASK']);

/** ioredis gave up following a slot (its own retries ran out while the slot had no master). */
export function isRedirectionsExhausted(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('Too many Cluster redirections');
}

/**
 * Nothing ran: the cluster refused it (CLUSTERDOWN, TRYAGAIN, …), or it was never written
 * ({@link CONNECTION_CLOSED}), or ioredis' retries ran out on such failures. ioredis counts only
 * unrun attempts as redirections (a written command that lost its reply is not retried), but the
 * last attempt may itself have been sent (its reply lost, or timed out): its error decides.
 */
export function isNotRun(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  let message = error.message;
  if (isRedirectionsExhausted(error)) {
    const at = message.indexOf(LAST_ERROR);
    // "Last error: Error: Connection is closed." / "… ReplyError: CLUSTERDOWN …"
    message = at < 0 ? '' : message.slice(at + LAST_ERROR.length).replace(/^\w*Error: /, '');
  }
  if (message === CONNECTION_CLOSED) return true;
  return NOT_RUN_CODES.has(REPLY_CODE.exec(message)?.[1] ?? '');
}

/** A pipeline's commands left unanswered when its connection closed: sent, so they may have run. */
function isAbortedByClose(error: unknown): boolean {
  return error instanceof Error && error.message === 'Command aborted due to connection close';
}

/** The failure is the slot's master being gone or unreachable, not the command's own error. */
export function isSlotUnavailable(error: unknown): boolean {
  return (
    isConnectionFailure(error) ||
    isAbortedByClose(error) ||
    isRedirectionsExhausted(error) ||
    isNotRun(error)
  );
}

/**
 * - `rerun`: wait a moment for the cluster to promote a replica, then run it again;
 * - `reject-may-have-executed`: it may have run (`COMMAND_MAY_HAVE_EXECUTED`);
 * - `reject-unavailable`: the slot had no master within `failoverTimeout` (`MASTER_UNAVAILABLE`);
 * - `rethrow`: the error is the caller's.
 */
export type ClusterWriteOutcome =
  | 'rerun'
  | 'reject-may-have-executed'
  | 'reject-unavailable'
  | 'rethrow';

export interface ClusterWriteContext {
  idempotent: boolean;
  /** Milliseconds since the operation was called. */
  elapsed: number;
  failoverTimeout: number;
}

/**
 * A write the slot's master failed. One that never ran (refused: CLUSTERDOWN, TRYAGAIN; never
 * written: the connection closed first) is run again whatever the write; one whose reply was
 * lost (sent, then the connection closed or the command timed out) only if idempotent, since it
 * may have run: any other rejects with `COMMAND_MAY_HAVE_EXECUTED`, as under Sentinel.
 */
export function decideClusterWrite(
  error: unknown,
  context: ClusterWriteContext,
): ClusterWriteOutcome {
  if (!isSlotUnavailable(error)) return 'rethrow';
  if (!isNotRun(error) && !context.idempotent) return 'reject-may-have-executed';
  if (context.elapsed >= context.failoverTimeout) return 'reject-unavailable';
  return 'rerun';
}

/**
 * A read that failed: run once more, elsewhere, when a node failed it (no reply, `LOADING`,
 * `MASTERDOWN`, `TRYAGAIN`, ioredis' retries run out); the node that served it, if a replica,
 * leaves the rotation until the cluster's view says it is healthy again.
 */
export function shouldRetryRead(error: unknown, attempt: number): boolean {
  return attempt === 0 && (isRetryableReadError(error) || isSlotUnavailable(error));
}
