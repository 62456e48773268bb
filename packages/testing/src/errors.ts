/** Machine-readable reasons a topology could not be started or driven. */
export type TopologyErrorCode =
  | 'REDIS_SERVER_NOT_FOUND'
  | 'CONTAINER_ENGINE_NOT_FOUND'
  | 'NO_BACKEND'
  | 'INVALID_OPTION'
  | 'NODE_START_FAILED'
  | 'NOT_READY'
  | 'TIMEOUT'
  | 'NO_SUCH_NODE'
  | 'NODE_NOT_RUNNING'
  | 'STOPPED';

/** The one error type thrown by `@sentinelkit/testing`. */
export class TopologyError extends Error {
  /** Stable code to branch on; the message is for humans. */
  readonly code: TopologyErrorCode;

  constructor(code: TopologyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return 'TopologyError';
  }
}
