export type { BackendNode, NodeBackend, NodeKind, NodeSpec } from './backends/backend.js';
export type { ProcessBackendOptions } from './backends/process.js';
export { createProcessBackend } from './backends/process.js';
export type { TopologyErrorCode } from './errors.js';
export { TopologyError } from './errors.js';
export type { Address } from './health.js';
export { findRedisServer, REDIS_SERVER_ENV, requireRedisServer } from './redis-binary.js';
export type {
  NodeState,
  SentinelEvent,
  SentinelTopologyOptions,
  SwitchEvent,
  TopologyConnectionOptions,
} from './topology.js';
export { SentinelTopology, startSentinelTopology, TopologyNode } from './topology.js';
