/**
 * Pure classification of what went wrong with a command, which decides whether
 * it can be retried and where. Redis error replies are matched on their
 * leading code, which is stable across versions.
 */

const REPLY_CODE = /^([A-Z]+)\b/;

function replyCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  return REPLY_CODE.exec(error.message)?.[1];
}

/**
 * The node refused a write because it is a replica now: nothing was executed. Inside a script,
 * Redis before 7 wraps the refusal ("ERR Error running script … -READONLY …"); the script
 * stopped at that write, and a replica refuses every write, so it wrote nothing before it.
 */
export function isReadonlyError(error: unknown): boolean {
  if (replyCode(error) === 'READONLY') return true;
  return error instanceof Error && /^ERR Error running script.*-READONLY\b/s.test(error.message);
}

/**
 * The reply never came: the connection closed or broke, or the command timed
 * out. The command may or may not have run.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const message = error.message;
  return (
    message === 'Command timed out' ||
    message.startsWith('Connection is closed') ||
    message.includes("Stream isn't writeable") ||
    /\b(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/.test(message)
  );
}

/** A command timeout rather than a closed connection. */
export function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Command timed out';
}

/**
 * A read that failed for reasons of the node, not of the command: another
 * node may well answer it. `LOADING` (a replica restarted empty, loading its
 * data), `MASTERDOWN` (a replica with `replica-serve-stale-data no` whose
 * link is down), `TRYAGAIN`, or no reply at all.
 */
export function isRetryableReadError(error: unknown): boolean {
  const code = replyCode(error);
  return (
    code === 'LOADING' ||
    code === 'MASTERDOWN' ||
    code === 'TRYAGAIN' ||
    code === 'READONLY' ||
    isConnectionFailure(error)
  );
}
