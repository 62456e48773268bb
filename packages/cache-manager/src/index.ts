export type { ClientSource, LocalFlush, StoreEvents } from './backend.js';
export { createKeyv } from './create-keyv.js';
export type {
  SentinelKeyvStoreEntry,
  SentinelKeyvStoreOpts,
  SentinelKeyvStoreStats,
} from './keyv-store.js';
export { SentinelKeyvStore } from './keyv-store.js';
export { createLegacyStore, SentinelLegacyStore } from './legacy-store.js';
export type { LocalCacheStats, LocalFlushCause } from './local-tier.js';
export type {
  CreateKeyvOptions,
  KeyvStoreOptions,
  LegacyStoreOptions,
  LocalCacheOptions,
  StoreOptions,
} from './options.js';
export { DEFAULT_LOCAL_CACHE_OPTIONS, DEFAULT_STORE_OPTIONS } from './options.js';
