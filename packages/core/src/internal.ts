/**
 * `@sentinelkit/core/internal`: the core's own building blocks, for the other sentinelkit
 * packages (the CLI, the stores, the Nest module) to parse Sentinel's answers, open connections,
 * read their failures and validate options exactly as the client does, instead of keeping copies
 * that drift. Not a stable API: outside semver, it may change in any release. Applications use
 * `@sentinelkit/core` (docs/core.md, "Public API and @sentinelkit/core/internal").
 *
 * Only functions, constants and types: no class whose identity matters (`instanceof`), since the
 * CommonJS build of this entry carries its own copy of what it imports.
 *
 * @module
 */

// Cluster building blocks: the cluster's view of its nodes, read routing, keys by node and slot.
export {
  type ClusterNode,
  type ClusterShard,
  parseClusterNodes,
  parseClusterShards,
  readableReplicas,
} from './cluster/health.js';
export {
  groupKeysByNode,
  keyInShardOf,
  keysInEveryShard,
  mergeInOrder,
  mgetInOrder,
  pipelineInOrder,
  type SetEntry,
  setEach,
  setEntry,
  slotOf,
  unlinkInSlots,
  unlinkPerSlot,
} from './cluster/keys.js';
export { chooseReadNode } from './cluster/routing.js';
// For other implementations of the contract (@sentinelkit/testing's SingleNodeClient), with lend,
// refusalError and commandKind below: the same routing of call(), refusals and guarded views.
export { refusalOf } from './command-policy.js';
export {
  type ConnectionErrorContext,
  classifyConnectionError,
  closedBeforeReplyHint,
} from './connection-errors.js';
export {
  closeNow,
  type DataNodeOptions,
  dataNodeOptions,
  sentinelOptions,
} from './connections.js';
export { publishStoreLookup, storeLookupsObserved } from './diagnostics.js';
export { redactSecrets } from './errors.js';
export { lend, refusalError } from './lent.js';
export {
  canOpenNodeConnections,
  openNodeConnection,
} from './node-connections.js';
export { DEFAULT_OPTIONS, OPTION_NAMES, secretsOf } from './options.js';
export {
  applyNatMap,
  type FilteredReplicas,
  type FilterReplicasOptions,
  filterReplicas,
  type MasterReference,
  parseReplicaList,
  parseSentinelInfo,
  type ReplicaCandidate,
  type ReplicaRejectReason,
  toReplicaCandidate,
  withMasterView,
} from './replicas.js';
export { parseReplicationInfo, parseRole, type ReplicationInfo, type RoleInfo } from './role.js';
export { commandKind } from './routing.js';
export { escapeGlob, type ScanStep, scanMaster, scanNode, scanStep } from './scan.js';
export { parseSentinelEvent, type SentinelEvent } from './sentinel-events.js';
export { TickBatch, type TickBatchOptions, TickGate } from './tick-batch.js';
export { READ_FROM_VALUES } from './types.js';
export { describeValue, didYouMean, kindOf } from './validate.js';
