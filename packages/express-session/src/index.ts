export type { SessionStoreErrorCode, SessionStoreErrorOf } from './errors.js';
export { isSessionStoreError, SESSION_STORE_ERROR_CODES, SessionStoreError } from './errors.js';
export type {
  ResolvedSentinelStoreOptions,
  SentinelStoreOptions,
  SessionReadFrom,
  SessionSerializer,
} from './options.js';
export { DEFAULT_STORE_OPTIONS, resolveStoreOptions, sessionTtlSeconds } from './options.js';
export type { SessionStoreStats, StoreCallback, StoredSession } from './store.js';
export { escapeGlob, SentinelStore } from './store.js';
