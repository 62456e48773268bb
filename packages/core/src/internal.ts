/**
 * `@sentinelkit/core/internal`: the core's own building blocks, for the other sentinelkit
 * packages (the CLI) to open connections and read their failures exactly as the client does,
 * instead of keeping copies that drift. Not a stable API: it may change in any release.
 *
 * @module
 */
export {
  type ConnectionErrorContext,
  type ConnectionSide,
  classifyConnectionError,
  closedBeforeReplyHint,
  type PermanentConnectionProblem,
} from './connection-errors.js';
export {
  closeNow,
  type DataNodeOptions,
  dataNodeOptions,
  sentinelOptions,
} from './connections.js';
export { withMasterView } from './replicas.js';
export { TickBatch, type TickBatchOptions, TickGate } from './tick-batch.js';
