export type {
  ClusterHealthDetails,
  ClusterInfo,
  ClusterShardDetails,
  SlotRange,
} from './cluster-state.js';
export {
  assessCluster,
  parseClusterInfo,
  parseClusterSlots,
  whyClusterClientIsDown,
} from './cluster-state.js';
export type { SentinelHealthDetails, SentinelHealthState } from './health-state.js';
export { assessTopology } from './health-state.js';
export type { SentinelHealthCheckOptions } from './sentinel.health.js';
export { DEFAULT_HEALTH_CHECK_OPTIONS, SentinelHealthIndicator } from './sentinel.health.js';
