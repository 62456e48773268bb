/** Every {@link SentinelKitErrorCode}, for runtime checks. */
export const SENTINELKIT_ERROR_CODES = Object.freeze([
  'INVALID_OPTION',
  'NO_SENTINEL_REACHABLE',
  'MASTER_NAME_UNKNOWN',
  'MASTER_UNAVAILABLE',
  'NO_REPLICA_AVAILABLE',
  'NOT_CONNECTED',
  'CLIENT_CLOSED',
  'AUTH_FAILED',
  'COMMAND_MAY_HAVE_EXECUTED',
  'NOT_REPLICATED',
  'CONNECTION_FAILED',
  'TIMEOUT',
  'TLS_FAILED',
  'PERMISSION_DENIED',
  'COMMAND_NOT_ALLOWED',
  'WRITE_IN_READ',
  // @sentinelkit/express-session's SessionStoreError (also INVALID_OPTION).
  'INVALID_SESSION_ID',
  'SERIALIZE_FAILED',
  'PARSE_FAILED',
  'SESSION_TOO_LARGE',
  // @sentinelkit/testing's TopologyError (also INVALID_OPTION, TIMEOUT).
  'REDIS_SERVER_NOT_FOUND',
  'CONTAINER_ENGINE_NOT_FOUND',
  'NO_BACKEND',
  'NODE_START_FAILED',
  'NOT_READY',
  'NO_SUCH_NODE',
  'NODE_NOT_RUNNING',
  'STOPPED',
] as const);

/**
 * Stable, machine-readable reason for a {@link SentinelKitError}; branch on this, not on messages.
 * - `INVALID_OPTION`: an option or location string is wrong ({@link SentinelConfigError}).
 * - `NO_SENTINEL_REACHABLE`: no sentinel answered ({@link NoSentinelReachableError}).
 * - `MASTER_NAME_UNKNOWN`: sentinels answered but do not monitor that master name
 *   ({@link MasterNameUnknownError}).
 * - `MASTER_UNAVAILABLE`: no verified master within `failoverTimeout`.
 * - `NO_REPLICA_AVAILABLE`: `readFrom: 'replica-only'` and no healthy replica.
 * - `NOT_CONNECTED`: the client was used before `connect()`.
 * - `CLIENT_CLOSED`: the client was used after `close()`.
 * - `AUTH_FAILED`: a data node or sentinel rejected the credentials.
 * - `COMMAND_MAY_HAVE_EXECUTED`: a non-idempotent command was in flight when the master was lost;
 *   it was not retried and may or may not have been applied.
 * - `NOT_REPLICATED`: a write with `waitReplicas` ran on the master, but fewer replicas than asked
 *   acknowledged it in time; it may not survive a failover.
 * - `CONNECTION_FAILED`: a node could not be reached (refused, reset, unreachable).
 * - `TIMEOUT`: an operation exceeded its time bound.
 * - `TLS_FAILED`: a TLS handshake failed for a reason retrying will not cure (an untrusted or
 *   misnamed certificate, a refused client certificate, TLS to a plain port); the error names the
 *   option to change ({@link ConnectionSetupError}).
 * - `PERMISSION_DENIED`: the ACL user may not run a command sentinelkit needs (`ROLE` at connect;
 *   `WAIT` for a write with `waitReplicas`, which then DID run on the master; a `SENTINEL`
 *   subcommand or `SUBSCRIBE` on a sentinel, reported as an `'error'` event).
 * - `COMMAND_NOT_ALLOWED`: a command that would change or hold a shared connection (`MULTI`
 *   outside `multi()…exec()`, `SELECT`, `SUBSCRIBE`, blocking reads, …) was refused; nothing was sent.
 * - `WRITE_IN_READ`: a write was sent inside `read()`; nothing was written.
 *
 * The other packages' errors extend {@link SentinelKitError} too, so their codes are listed here,
 * in the one union: `INVALID_SESSION_ID`, `SERIALIZE_FAILED`, `PARSE_FAILED`, `SESSION_TOO_LARGE`
 * (`SessionStoreError` of `@sentinelkit/express-session`, which documents them) and
 * `REDIS_SERVER_NOT_FOUND`, `CONTAINER_ENGINE_NOT_FOUND`, `NO_BACKEND`, `NODE_START_FAILED`,
 * `NOT_READY`, `NO_SUCH_NODE`, `NODE_NOT_RUNNING`, `STOPPED` (`TopologyError` of
 * `@sentinelkit/testing`). Both also use `INVALID_OPTION`; `TopologyError` also `TIMEOUT`.
 */
export type SentinelKitErrorCode = (typeof SENTINELKIT_ERROR_CODES)[number];

/** Options accepted by every sentinelkit error constructor. */
export interface SentinelKitErrorOptions {
  /** The underlying error, exposed as the standard `cause` property. */
  cause?: unknown;
}

/**
 * Marks sentinelkit errors. `Symbol.for` gives every copy of the package (its ESM and CommonJS
 * builds, or two versions in one app) the same symbol, so the guard recognises their errors where
 * `instanceof` cannot, without trusting any object that merely has a matching `code`.
 */
const BRAND: unique symbol = Symbol.for('@sentinelkit/core.SentinelKitError') as never;

/**
 * The one base class of every error sentinelkit throws or emits, the other packages' included
 * (`SessionStoreError`, `TopologyError`).
 */
export class SentinelKitError extends Error {
  /** Stable code to branch on; the message is for humans. */
  readonly code: SentinelKitErrorCode;

  /**
   * @param code - Machine-readable reason.
   * @param message - Human-readable explanation; must already be free of secrets.
   * @param options - `cause`: the underlying error.
   */
  constructor(code: SentinelKitErrorCode, message: string, options?: SentinelKitErrorOptions) {
    super(message, options === undefined ? undefined : causeOf(options));
    this.code = code;
  }

  // A literal rather than `this.constructor.name`, which minifiers rename.
  override get name(): string {
    return 'SentinelKitError';
  }
}
// On the prototype, not each instance: invisible to JSON, Object.keys and assertions on fields.
Object.defineProperty(SentinelKitError.prototype, BRAND, { value: true });

/**
 * The error class each code comes with, for the codes that have one; other codes come with a
 * {@link SentinelKitError} whose `code` is that code. Used by {@link isSentinelKitError} to narrow.
 */
export interface SentinelKitErrorClasses {
  /**
   * The core's are {@link SentinelConfigError}s (`option`, `expected`); a store's or a topology's
   * invalid option is their package's error, with the option named in its message only.
   */
  INVALID_OPTION:
    | SentinelConfigError
    | (SentinelKitError & {
        readonly code: 'INVALID_OPTION';
        readonly option?: undefined;
        readonly expected?: undefined;
      });
  NO_SENTINEL_REACHABLE: NoSentinelReachableError;
  MASTER_NAME_UNKNOWN: MasterNameUnknownError;
}

/**
 * The error a code comes with: `SentinelKitErrorOf<'NO_SENTINEL_REACHABLE'>` is a
 * {@link NoSentinelReachableError}, `SentinelKitErrorOf<'TIMEOUT'>` a `SentinelKitError` whose
 * `code` is `'TIMEOUT'`. Given a union of codes, a union that narrows again on `code`.
 */
export type SentinelKitErrorOf<C extends SentinelKitErrorCode = SentinelKitErrorCode> =
  C extends keyof SentinelKitErrorClasses
    ? SentinelKitErrorClasses[C]
    : SentinelKitError & { readonly code: C };

/**
 * True for a sentinelkit error (optionally with the given code), narrowed to that code's type:
 * `isSentinelKitError(e, 'NO_SENTINEL_REACHABLE')` gives `e.failures`. An object is one when it is
 * an instance of {@link SentinelKitError} (any subclass: a `SessionStoreError`, a `TopologyError`)
 * or of another copy of it (the ESM and CommonJS builds both loaded, or two versions of the core
 * in one app), recognised by a brand `Symbol.for` shares between copies; a plain `Error` with a
 * matching `code` is not.
 */
export function isSentinelKitError<C extends SentinelKitErrorCode = SentinelKitErrorCode>(
  value: unknown,
  code?: C,
): value is SentinelKitErrorOf<C> {
  if (!(value instanceof SentinelKitError || (value instanceof Error && BRAND in value))) {
    return false;
  }
  const actual = (value as { code?: unknown }).code;
  return (
    (SENTINELKIT_ERROR_CODES as readonly unknown[]).includes(actual) &&
    (code === undefined || actual === code)
  );
}

/** What {@link SentinelConfigError} needs to build its message. */
export interface SentinelConfigErrorInit extends SentinelKitErrorOptions {
  /** Option name or path to change, e.g. `'sentinels[1].port'` or `'location.port'`. */
  option: string;
  /** The expected format, phrased to follow "expected", e.g. `'an integer 1-65535'`. */
  expected: string;
  /** What was received, already quoted and redacted; omitted when the option was missing. */
  received?: string;
  /** A sentence appended to the message, e.g. the full location format. */
  hint?: string;
  /** The option was required but not given; the message then starts with "required". */
  missing?: boolean;
}

/** An option or location string is invalid (code `INVALID_OPTION`). */
export class SentinelConfigError extends SentinelKitError {
  declare readonly code: 'INVALID_OPTION';
  /** Option name or path to change, e.g. `'sentinels[1].port'` or `'location'`. */
  readonly option: string;
  /** Description of the expected format. */
  readonly expected: string;

  /** @param init - Option path, expectation, and the redacted received value. */
  constructor(init: SentinelConfigErrorInit) {
    const missing = init.missing ? 'required; ' : '';
    const received = init.received === undefined ? '' : `, got ${init.received}`;
    const hint = init.hint === undefined ? '' : `. ${init.hint}`;
    super(
      'INVALID_OPTION',
      `Invalid option "${init.option}": ${missing}expected ${init.expected}${received}${hint}`,
      causeOf(init),
    );
    this.option = init.option;
    this.expected = init.expected;
  }

  override get name(): string {
    return 'SentinelConfigError';
  }
}

/** One sentinel that could not be queried, as reported by {@link NoSentinelReachableError}. */
export interface SentinelFailure {
  /** The sentinel's address, `host:port`. */
  sentinel: string;
  /** Why it failed: an error message with secrets redacted. */
  error: string;
}

/** What {@link NoSentinelReachableError} needs. */
export interface NoSentinelReachableErrorInit extends SentinelKitErrorOptions {
  /** Each sentinel tried and why it failed, in the order tried. */
  failures: readonly SentinelFailure[];
  /** Secrets scrubbed from every failure message, as a last line of defence. */
  secrets?: readonly (string | undefined)[];
}

/** No sentinel answered (code `NO_SENTINEL_REACHABLE`). */
export class NoSentinelReachableError extends SentinelKitError {
  declare readonly code: 'NO_SENTINEL_REACHABLE';
  /** Each sentinel tried and why it failed (secrets redacted), in the order tried. */
  readonly failures: readonly SentinelFailure[];

  /** @param init - The failures, `secrets` to scrub from them, and the `cause`. */
  constructor(init: NoSentinelReachableErrorInit) {
    const secrets = init.secrets ?? [];
    const failures = Object.freeze(
      init.failures.map((f) => Object.freeze({ ...f, error: redactSecrets(f.error, secrets) })),
    );
    const list = failures.map((f) => `${f.sentinel} (${f.error})`).join('; ');
    super(
      'NO_SENTINEL_REACHABLE',
      `No sentinel reachable: ${list || 'no sentinels were tried'}. ` +
        'Check the "sentinels" option and that those addresses are reachable from this process',
      causeOf(init),
    );
    this.failures = failures;
  }

  override get name(): string {
    return 'NoSentinelReachableError';
  }
}

/** What {@link MasterNameUnknownError} needs. */
export interface MasterNameUnknownErrorInit extends SentinelKitErrorOptions {
  /** The master name that was asked for. */
  masterName: string;
  /** The sentinels that answered without knowing it, each `host:port`. */
  sentinels: readonly string[];
}

/** Sentinels answered but none monitors the master name (code `MASTER_NAME_UNKNOWN`). */
export class MasterNameUnknownError extends SentinelKitError {
  declare readonly code: 'MASTER_NAME_UNKNOWN';
  /** The master name that was asked for. */
  readonly masterName: string;
  /** The sentinels asked, each `host:port`. */
  readonly sentinels: readonly string[];

  /** @param init - The master name, the sentinels that did not know it, and the `cause`. */
  constructor(init: MasterNameUnknownErrorInit) {
    super(
      'MASTER_NAME_UNKNOWN',
      `Sentinels ${init.sentinels.join(', ')} do not monitor a master named "${init.masterName}". ` +
        'Check the "masterName" option against `sentinel monitor <name>` in sentinel.conf',
      causeOf(init),
    );
    this.masterName = init.masterName;
    this.sentinels = Object.freeze([...init.sentinels]);
  }

  override get name(): string {
    return 'MasterNameUnknownError';
  }
}

// Passing `{ cause: undefined }` would still create an own `cause` property.
function causeOf(init: SentinelKitErrorOptions): SentinelKitErrorOptions | undefined {
  return 'cause' in init ? { cause: init.cause } : undefined;
}

/**
 * Replaces every occurrence of each non-empty secret in `text` with `***`, including its
 * percent-encoded form (secrets often travel inside URLs). Use it on any message built from an
 * underlying error before it reaches a sentinelkit error, an event or a log.
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    needles.add(secret);
    needles.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret that contains another is masked whole.
  let result = text;
  for (const needle of [...needles].sort((a, b) => b.length - a.length)) {
    result = result.split(needle).join('***');
  }
  return result;
}
