export type {
  ClientStats,
  ClientStatus,
  NodeView,
  ReadOptions,
  ServedBy,
  TopologySnapshot,
  WriteOptions,
} from './client.js';
export { createSentinelClient, SentinelClient } from './client.js';
export type {
  ConnectionErrorContext,
  ConnectionSetupErrorInit,
  ConnectionSide,
  PermanentConnectionProblem,
} from './connection-errors.js';
export { ConnectionSetupError, classifyConnectionError } from './connection-errors.js';
export type {
  RoutedClient,
  RoutedClientEvents,
  RoutedClientStats,
  RoutedTopology,
  ShardView,
} from './contract.js';
export { isRoutedClient } from './contract.js';
export type {
  MasterNameUnknownErrorInit,
  NoSentinelReachableErrorInit,
  SentinelConfigErrorInit,
  SentinelFailure,
  SentinelKitErrorClasses,
  SentinelKitErrorCode,
  SentinelKitErrorOf,
  SentinelKitErrorOptions,
} from './errors.js';
export {
  isSentinelKitError,
  MasterNameUnknownError,
  NoSentinelReachableError,
  redactSecrets,
  SENTINELKIT_ERROR_CODES,
  SentinelConfigError,
  SentinelKitError,
} from './errors.js';
export type {
  FailoverTimings,
  MasterChangeReason,
  MasterLostReason,
  ReplicaRemoveReason,
  SentinelClientEvents,
  TopologyEvent,
} from './events.js';
export type { FormatLocationOptions, LocationLike, LocationOptions } from './location.js';
export {
  DEFAULT_SENTINEL_PORT,
  formatLocation,
  MAX_LOCATION_LENGTH,
  parseLocation,
  redactLocation,
} from './location.js';
export type { TlsForNode } from './node-tls.js';
export { tlsForNode } from './node-tls.js';
export type {
  ReplicationLagBound,
  ResolvedSentinelClientOptions,
  SentinelAddressOption,
  SentinelClientOptions,
} from './options.js';
export { DEFAULT_OPTIONS, OPTION_NAMES, redactOptions, resolveOptions } from './options.js';
export type { RedisConnection } from './redis-connection.js';
export type { SafeRedisOptions } from './redis-options.js';
export { SAFE_REDIS_OPTION_KEYS } from './redis-options.js';
export type {
  FilteredReplicas,
  FilterReplicasOptions,
  MasterReference,
  ReplicaCandidate,
  ReplicaRejectReason,
} from './replicas.js';
export {
  applyNatMap,
  filterReplicas,
  parseReplicaList,
  parseSentinelInfo,
  pickRandom,
  toReplicaCandidate,
} from './replicas.js';
export type { ReplicationInfo, RoleInfo } from './role.js';
export { parseReplicationInfo, parseRole } from './role.js';
export type { CommandKind, ReadTarget } from './routing.js';
export { chooseReadTarget, commandKind } from './routing.js';
export type { NatMap, NodeAddress, ReadFrom } from './types.js';
export { formatAddress, READ_FROM_VALUES } from './types.js';
