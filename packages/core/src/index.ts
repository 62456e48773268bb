/**
 * `@sentinelkit/core`: what an application needs to use Redis Sentinel through the core client,
 * and what the stores and the Nest module take (the `RoutedClient` contract). Follows semver.
 * The building blocks the other sentinelkit packages share (parsers, option names, validation
 * helpers, SCAN helpers) are in `@sentinelkit/core/internal`, outside semver: see docs/core.md,
 * "Public API and @sentinelkit/core/internal".
 *
 * @module
 */
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
export { ClusterClient, createClusterClient, isClusterClient } from './cluster/client.js';
export type { ClusterLocationOptions } from './cluster/location.js';
export {
  DEFAULT_CLUSTER_PORT,
  isClusterLocation,
  parseClusterLocation,
} from './cluster/location.js';
export type { ClusterClientOptions, ResolvedClusterClientOptions } from './cluster/options.js';
export { resolveClusterOptions } from './cluster/options.js';
export type {
  ConnectionSetupErrorInit,
  ConnectionSide,
  PermanentConnectionProblem,
} from './connection-errors.js';
export { ConnectionSetupError } from './connection-errors.js';
export type {
  RoutedClient,
  RoutedClientEvents,
  RoutedClientStats,
  RoutedTopology,
  ShardView,
} from './contract.js';
export { isRoutedClient } from './contract.js';
export type { ClientLocation } from './create-client.js';
export { createClient, isClusterSource } from './create-client.js';
export type {
  ObservedClient,
  ObservedTarget,
  OperationMessage,
  OperationNode,
  StoreLookupMessage,
  TopologyMessage,
} from './diagnostics.js';
export { SENTINELKIT_CHANNELS } from './diagnostics.js';
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
export { resolveOptions } from './options.js';
export type { RedisConnection, RoutedConnection } from './redis-connection.js';
export type { SafeRedisOptions } from './redis-options.js';
export { SAFE_REDIS_OPTION_KEYS } from './redis-options.js';
export type { NatMap, NodeAddress, ReadFrom } from './types.js';
export { formatAddress } from './types.js';
