export type {
  BackendNode,
  NodeAddressing,
  NodeBackend,
  NodeKind,
  NodeSpec,
} from './backends/backend.js';
export type { ContainerBackendOptions, ContainerNetwork } from './backends/container.js';
export {
  CONTAINER_LABEL,
  containerEngineAvailable,
  createContainerBackend,
  REDIS_IMAGE_ENV,
} from './backends/container.js';
export type { ProcessBackendOptions } from './backends/process.js';
export { createProcessBackend } from './backends/process.js';
export type { BackendName } from './backends/select.js';
export { BACKEND_ENV } from './backends/select.js';
export type {
  ConnectableClient,
  ConnectedTopology,
  ReplicaRotationView,
  TopologyWatchable,
} from './client-waits.js';
export {
  callsByRole,
  commandCount,
  nextTopologyEvent,
  onMaster,
  onNode,
  replicasInRotation,
  resetStats,
  startConnectedTopology,
  untilOnReplicas,
  untilReplicaCount,
} from './client-waits.js';
export type {
  ClusterConnectionOptions,
  ClusterFailoverEvent,
  ClusterNodeDescription,
  ClusterShard,
  ClusterTopologyOptions,
  ShardTarget,
  SlotRange,
} from './cluster-topology.js';
export { CLUSTER_SLOTS, ClusterTopology, startClusterTopology } from './cluster-topology.js';
export type { TopologyErrorCode, TopologyErrorOf } from './errors.js';
export { isTopologyError, TOPOLOGY_ERROR_CODES, TopologyError } from './errors.js';
export type {
  FakeAction,
  FakeHandler,
  FakeRedis,
  FakeReply,
  FakeSentinelScript,
} from './fake-redis.js';
export { startFakeRedis, startFakeSentinel } from './fake-redis.js';
export type { Address } from './health.js';
export { findRedisServer, REDIS_SERVER_ENV, requireRedisServer } from './redis-binary.js';
export type { SingleNodeClientOptions, StandaloneClientOptions } from './standalone.js';
export { SingleNodeClient, startStandaloneClient } from './standalone.js';
export type {
  TimelineMarker,
  TimelineMarkerKind,
  TimelineOptions,
  TimelinePanel,
  TimelinePanelData,
} from './timeline.js';
export { bucketCounts, readTimelineSvg, renderTimelineSvg } from './timeline.js';
export type {
  NodeTlsFiles,
  TopologyCertificates,
  TopologyTlsMaterial,
  TopologyTlsOptions,
} from './tls.js';
export { makeCertificates, nodeHostname } from './tls.js';
export type {
  NodeState,
  ReleaseReplication,
  SentinelEvent,
  SentinelTopologyOptions,
  SwitchEvent,
  TopologyConnectionOptions,
} from './topology.js';
export { SentinelTopology, startSentinelTopology, TopologyNode } from './topology.js';
