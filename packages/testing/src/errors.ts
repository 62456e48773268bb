import { SentinelKitError, type SentinelKitErrorCode } from '@sentinelkit/core';

/** Every {@link TopologyErrorCode}, for runtime checks (and the one list of them). */
export const TOPOLOGY_ERROR_CODES = Object.freeze([
  'REDIS_SERVER_NOT_FOUND',
  'CONTAINER_ENGINE_NOT_FOUND',
  'NO_BACKEND',
  'INVALID_OPTION',
  'NODE_START_FAILED',
  'NOT_READY',
  'TIMEOUT',
  'NO_SUCH_NODE',
  'NODE_NOT_RUNNING',
  'STOPPED',
] as const satisfies readonly SentinelKitErrorCode[]);

/** Machine-readable reasons a topology could not be started or driven. */
export type TopologyErrorCode = (typeof TOPOLOGY_ERROR_CODES)[number];

/** Marks topology errors across copies of the package (`Symbol.for` is shared by all). */
const BRAND: unique symbol = Symbol.for('@sentinelkit/testing.TopologyError') as never;

/**
 * The one error type thrown by `@sentinelkit/testing`. A `SentinelKitError` like every error of
 * sentinelkit: `isSentinelKitError(e)` is true for it too.
 */
export class TopologyError extends SentinelKitError {
  /** Stable code to branch on; the message is for humans. */
  declare readonly code: TopologyErrorCode;

  constructor(code: TopologyErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }

  override get name(): string {
    return 'TopologyError';
  }
}
Object.defineProperty(TopologyError.prototype, BRAND, { value: true });

/** A {@link TopologyError} whose `code` is `C`. */
export type TopologyErrorOf<C extends TopologyErrorCode = TopologyErrorCode> = TopologyError & {
  readonly code: C;
};

/**
 * True for a {@link TopologyError} (optionally with the given code), narrowed to that code: an
 * instance of the class or of another copy of it (ESM and CommonJS builds both loaded), recognised
 * by a brand; a plain `Error` with a matching `code` is not one.
 */
export function isTopologyError<C extends TopologyErrorCode = TopologyErrorCode>(
  value: unknown,
  code?: C,
): value is TopologyErrorOf<C> {
  if (!(value instanceof TopologyError || (value instanceof Error && BRAND in value))) return false;
  const actual = (value as { code?: unknown }).code;
  return (
    (TOPOLOGY_ERROR_CODES as readonly unknown[]).includes(actual) &&
    (code === undefined || actual === code)
  );
}
