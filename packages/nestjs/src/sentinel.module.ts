import { type ConfigurableModuleAsyncOptions, Module } from '@nestjs/common';
import { ConfigurableModuleClass } from './sentinel.module-definition.js';
import type { SentinelModuleExtras, SentinelModuleOptions } from './sentinel.options.js';

/** A class `forRootAsync({ useClass })` or `forRootAsync({ useExisting })` can point at. */
export interface SentinelOptionsFactory {
  /** Returns the options of the client, as `forRoot()` takes them (without `name`/`isGlobal`). */
  createSentinelOptions(): SentinelModuleOptions | Promise<SentinelModuleOptions>;
}

/** What `SentinelModule.forRootAsync()` takes. */
export interface SentinelModuleAsyncOptions
  extends ConfigurableModuleAsyncOptions<SentinelModuleOptions, 'createSentinelOptions'>,
    SentinelModuleExtras {}

/**
 * Registers a Redis Sentinel client (`@sentinelkit/core`) in a Nest application: connected at
 * bootstrap, injectable with `@InjectSentinel(name?)`, closed by `app.close()`.
 *
 * - `SentinelModule.forRoot({ location | options | client, name?, isGlobal?, failFast?,
 *   retryDelay? })`: a client from a location string, core options, or a client you created.
 * - `SentinelModule.forRootAsync({ imports?, inject?, useFactory | useClass | useExisting, name?,
 *   isGlobal? })`: options from a factory, a class or an existing provider implementing
 *   {@link SentinelOptionsFactory}. `name` and `isGlobal` go here, not in the factory's result.
 *
 * ```ts
 * @Module({ imports: [SentinelModule.forRoot({ location: 'mymaster/10.0.0.1:26379,10.0.0.2:26379' })] })
 * export class AppModule {}
 * ```
 */
@Module({})
export class SentinelModule extends ConfigurableModuleClass {}
