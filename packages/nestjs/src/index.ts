export { DEFAULT_SENTINEL_CLIENT_NAME, getSentinelClientToken } from './sentinel.constants.js';
export { InjectSentinel } from './sentinel.decorators.js';
export type { SentinelModuleAsyncOptions, SentinelOptionsFactory } from './sentinel.module.js';
export { SentinelModule } from './sentinel.module.js';
export type {
  SentinelExistingClientModuleOptions,
  SentinelLocationModuleOptions,
  SentinelModuleCommonOptions,
  SentinelModuleExtras,
  SentinelModuleOptions,
  SentinelOptionsModuleOptions,
} from './sentinel.options.js';
export { DEFAULT_MODULE_OPTIONS, MODULE_OPTION_NAMES } from './sentinel.options.js';
