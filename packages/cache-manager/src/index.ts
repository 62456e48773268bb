export type { ClientSource, StoreEvents } from './backend.js';
export { createKeyv } from './create-keyv.js';
export type { SentinelKeyvStoreEntry, SentinelKeyvStoreOpts } from './keyv-store.js';
export { SentinelKeyvStore } from './keyv-store.js';
export { createLegacyStore, SentinelLegacyStore } from './legacy-store.js';
export type { CreateKeyvOptions, LegacyStoreOptions, StoreOptions } from './options.js';
export { DEFAULT_STORE_OPTIONS } from './options.js';
