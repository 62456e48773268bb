export type {
  SentinelCacheModuleAsyncOptions,
  SentinelCacheModuleOptions,
  SentinelCacheOptions,
} from './sentinel-cache.module.js';
export { SentinelCacheModule } from './sentinel-cache.module.js';
