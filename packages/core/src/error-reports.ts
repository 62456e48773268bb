import { redactSecrets, SentinelKitError, type SentinelKitErrorCode } from './errors.js';

/**
 * What the client emits as `'error'`: every background problem as a {@link SentinelKitError}
 * with a code and the original kept as `cause`, and each cause once per window instead of once
 * per retry (a failover retries about ten times a second; an app logging `'error'` events must
 * not get a log storm).
 */

const NETWORK =
  /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|ETIMEDOUT|Connection is closed|Stream isn't writeable|socket/i;
const AUTH = /WRONGPASS|NOAUTH|invalid password|invalid username/i;
const PERMISSION = /NOPERM/i;

/** The code an error that is not a {@link SentinelKitError} is reported under. */
export function codeOf(message: string): SentinelKitErrorCode {
  if (AUTH.test(message)) return 'AUTH_FAILED';
  if (PERMISSION.test(message)) return 'PERMISSION_DENIED';
  if (/timed? ?out/i.test(message) && !NETWORK.test(message)) return 'TIMEOUT';
  // Anything else made a node's or sentinel's connection unusable.
  return 'CONNECTION_FAILED';
}

/** `error` as a {@link SentinelKitError}: itself when it is one, else wrapped with a code. */
export function asReportable(
  error: unknown,
  secrets: readonly (string | undefined)[],
): SentinelKitError {
  if (error instanceof SentinelKitError) return error;
  const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
  // The cause keeps the original's kind and errno code, never its (possibly secret) message.
  const cause = new Error(message);
  const errno = (error as { code?: unknown } | undefined)?.code;
  if (typeof errno === 'string') Object.assign(cause, { code: errno });
  return new SentinelKitError(codeOf(message), message, { cause });
}

/** The node an error is about (`host:port` in its message), to group repeats of one cause. */
function causeKey(error: SentinelKitError): string {
  const address = /\[[0-9a-f:.]+\]:\d+|[\w.-]+:\d{1,5}\b/i.exec(error.message);
  return `${error.code} ${address ? address[0] : error.message}`;
}

/** At most this many causes are remembered; the oldest is forgotten first. */
const MAX_CAUSES = 1000;

/**
 * Lets the first error of each cause (code and node) through, then at most one per `windowMs`,
 * whose message says how many were held back since. Pure apart from the clock it is given.
 */
export class ErrorThrottle {
  readonly #seen = new Map<string, { since: number; held: number }>();

  constructor(
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The error to emit, or `undefined` when it repeats a cause reported less than a window ago. */
  admit(error: SentinelKitError): SentinelKitError | undefined {
    const key = causeKey(error);
    const now = this.now();
    const seen = this.#seen.get(key);
    if (seen && now - seen.since < this.windowMs) {
      seen.held++;
      return undefined;
    }
    this.#seen.delete(key);
    this.#seen.set(key, { since: now, held: 0 });
    if (this.#seen.size > MAX_CAUSES) this.#seen.delete(this.#seen.keys().next().value as string);
    if (!seen || seen.held === 0) return error;
    const repeated = new SentinelKitError(
      error.code,
      `${error.message} (and ${seen.held} more like it in the last ${Math.round((now - seen.since) / 1000)} s, not reported)`,
      { cause: error.cause },
    );
    return repeated;
  }
}
