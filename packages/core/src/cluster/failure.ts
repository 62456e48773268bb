/**
 * What the cluster client does with an operation that failed, as pure functions of the error
 * and what the caller said, so each rule has a unit test. ioredis' `Cluster` already follows
 * MOVED/ASK and retries a closed connection or CLUSTERDOWN for a while (`retryDelayOnFailover`
 * × `maxRedirections`, about 1.6 s); what it gives up on lands here.
 */
import { isConnectionFailure, isRetryableReadError } from '../failures.js';

const REPLY_CODE = /^([A-Z]+)\b/;

/** ioredis gave up following a slot (its own retries ran out while the slot had no master). */
export function isRedirectionsExhausted(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('Too many Cluster redirections');
}

/** The cluster refused before running anything: the slot has no master now, or is moving. */
export function isNotRunRefusal(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = REPLY_CODE.exec(error.message)?.[1];
  return code === 'CLUSTERDOWN' || code === 'TRYAGAIN' || code === 'MASTERDOWN';
}

/** The failure is the slot's master being gone or unreachable, not the command's own error. */
export function isSlotUnavailable(error: unknown): boolean {
  return isConnectionFailure(error) || isRedirectionsExhausted(error) || isNotRunRefusal(error);
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
 * A write the slot's master failed. A refusal that says nothing ran (CLUSTERDOWN, TRYAGAIN) is
 * run again whatever the write; a lost reply (connection closed, timeout, ioredis' retries run
 * out on a closed connection) only for an idempotent write, since the write may have run.
 */
export function decideClusterWrite(
  error: unknown,
  context: ClusterWriteContext,
): ClusterWriteOutcome {
  if (!isSlotUnavailable(error)) return 'rethrow';
  const notRun = isNotRunRefusal(error);
  if (!notRun && !context.idempotent) return 'reject-may-have-executed';
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
