import { createHash } from 'node:crypto';
import { SentinelKitError, type SentinelKitErrorCode } from '@sentinelkit/core';

/** Every {@link SessionStoreErrorCode}, for runtime checks. */
export const SESSION_STORE_ERROR_CODES = Object.freeze([
  'INVALID_OPTION',
  'INVALID_SESSION_ID',
  'SERIALIZE_FAILED',
  'PARSE_FAILED',
  'SESSION_TOO_LARGE',
] as const satisfies readonly SentinelKitErrorCode[]);

/**
 * Why a store call failed before or after Redis was asked; branch on this, not on messages.
 * - `INVALID_OPTION`: a constructor option is wrong (thrown by `new SentinelStore()`).
 * - `INVALID_SESSION_ID`: the session id does not match `sidPattern`; Redis was not asked.
 * - `SERIALIZE_FAILED`: `serializer.stringify` threw (a circular session, a BigInt); nothing
 *   was written.
 * - `PARSE_FAILED`: a stored session could not be parsed by `serializer.parse`.
 * - `SESSION_TOO_LARGE`: the serialized session exceeds `maxSessionBytes`; nothing was written.
 *
 * Errors of Redis and of the Sentinel client (`MASTER_UNAVAILABLE`, …) reach the callback as the
 * core's `SentinelKitError`, unchanged.
 */
export type SessionStoreErrorCode = (typeof SESSION_STORE_ERROR_CODES)[number];

/**
 * Marks session store errors; `Symbol.for` gives every copy of the package (ESM and CommonJS
 * builds) the same symbol, so the guard recognises their errors where `instanceof` cannot.
 */
const BRAND: unique symbol = Symbol.for('@sentinelkit/express-session.SessionStoreError') as never;

/**
 * An error of `@sentinelkit/express-session`, with a stable `code` and an optional `cause`. A
 * `SentinelKitError` like every error of sentinelkit: `isSentinelKitError(e)` is true for it too.
 */
export class SessionStoreError extends SentinelKitError {
  /** Stable code to branch on; the message is for humans. */
  declare readonly code: SessionStoreErrorCode;

  /**
   * @param code - Machine-readable reason.
   * @param message - Human-readable explanation.
   * @param options - `cause`: the underlying error.
   */
  constructor(code: SessionStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }

  // A literal rather than `this.constructor.name`, which minifiers rename.
  override get name(): string {
    return 'SessionStoreError';
  }
}
Object.defineProperty(SessionStoreError.prototype, BRAND, { value: true });

/** A {@link SessionStoreError} whose `code` is `C`. */
export type SessionStoreErrorOf<C extends SessionStoreErrorCode = SessionStoreErrorCode> =
  SessionStoreError & { readonly code: C };

/**
 * True for a {@link SessionStoreError} (optionally with the given code), narrowed to that code:
 * an instance of the class or of another copy of it (the ESM and CommonJS builds both loaded),
 * recognised by a brand; a plain `Error` with a matching `name` or `code` is not one.
 */
export function isSessionStoreError<C extends SessionStoreErrorCode = SessionStoreErrorCode>(
  value: unknown,
  code?: C,
): value is SessionStoreErrorOf<C> {
  if (!(value instanceof SessionStoreError || (value instanceof Error && BRAND in value))) {
    return false;
  }
  const actual = (value as { code?: unknown }).code;
  return (
    (SESSION_STORE_ERROR_CODES as readonly unknown[]).includes(actual) &&
    (code === undefined || actual === code)
  );
}

/**
 * A session id as error messages may show it. The id is a bearer credential
 * (whoever has it is logged in), and messages end up in logs: show its first 4
 * characters, its length and the start of its SHA-256, enough to tell ids apart
 * and to find the same one in another log line, never enough to use it.
 */
export function describeSessionId(sid: string): string {
  const hash = createHash('sha256').update(sid).digest('hex').slice(0, 8);
  return `"${sid.slice(0, 4)}…" (${sid.length} characters, sha256 ${hash})`;
}
