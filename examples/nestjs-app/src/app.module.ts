import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { SentinelModule } from '@sentinelkit/nestjs';
import { SentinelCacheModule } from '@sentinelkit/nestjs/cache';
import { SentinelHealthIndicator } from '@sentinelkit/nestjs/health';
import { CounterController } from './counter.controller.js';
import { HealthController } from './health.controller.js';
import { ItemCatalog, ItemsController } from './items.controller.js';
import { MetricsModule } from './metrics.js';

/** Options of {@link AppModule.forRoot}. */
export interface AppModuleOptions {
  /**
   * Location of the Sentinel deployment (`mymaster/host:port,host:port/db`).
   * @default `$SENTINEL_LOCATION`
   */
  location?: string | undefined;
}

/**
 * The example application: a Sentinel client configured through `ConfigService`, Nest's
 * `CacheModule` on it, a Terminus health endpoint, a counter on the client itself, and
 * sentinelkit's OpenTelemetry metrics at `GET /metrics` (Prometheus).
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest's convention for module factories (X.forRoot()).
export class AppModule {
  static forRoot(options: AppModuleOptions = {}): DynamicModule {
    const { location } = options;
    return {
      module: AppModule,
      imports: [
        // First, so the metrics are recorded from the client's connect() on.
        MetricsModule,
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          // Loaded values come before process.env in ConfigService.get().
          load: location === undefined ? [] : [() => ({ SENTINEL_LOCATION: location })],
        }),
        SentinelModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            location: config.getOrThrow<string>('SENTINEL_LOCATION'),
          }),
        }),
        SentinelCacheModule.forRoot({ ttl: 30_000, namespace: 'example', isGlobal: true }),
        TerminusModule,
      ],
      controllers: [ItemsController, CounterController, HealthController],
      providers: [ItemCatalog, SentinelHealthIndicator],
    };
  }
}
