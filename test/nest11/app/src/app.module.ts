// A NestJS 11 application as users write one: CommonJS, constructor injection by type (decorator
// metadata), ConfigModule, two Sentinel clients, the cache and a Terminus health check.
import { CACHE_MANAGER, CacheInterceptor, CacheKey, CacheTTL } from '@nestjs/cache-manager';
import {
  Body,
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Param,
  Put,
  UseInterceptors,
} from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import type { SentinelClient } from '@sentinelkit/core';
import { InjectSentinel, SentinelModule } from '@sentinelkit/nestjs';
import { SentinelCacheModule } from '@sentinelkit/nestjs/cache';
import { SentinelHealthIndicator } from '@sentinelkit/nestjs/health';
import type { Cache } from 'cache-manager';

/** How many times each handler ran: a cached response does not get here. */
@Injectable()
export class HandlerCalls {
  readonly counts: Record<string, number> = {};
  hit(name: string): number {
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    return this.counts[name];
  }
}

@Controller()
export class AppController {
  constructor(
    private readonly calls: HandlerCalls,
    @InjectSentinel() private readonly sentinel: SentinelClient,
    @InjectSentinel('sessions') private readonly sessions: SentinelClient,
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
  ) {}

  @Get('cached/:id')
  @UseInterceptors(CacheInterceptor)
  cached(@Param('id') id: string) {
    return { id, call: this.calls.hit(`cached/${id}`) };
  }

  @Get('report')
  @UseInterceptors(CacheInterceptor)
  @CacheKey('report')
  @CacheTTL(30_000)
  report() {
    return { call: this.calls.hit('report') };
  }

  @Get('calls')
  handlerCalls() {
    return this.calls.counts;
  }

  @Put('items/:client/:id')
  async put(
    @Param('client') client: string,
    @Param('id') id: string,
    @Body() body: { value: string },
  ) {
    const target = client === 'sessions' ? this.sessions : this.sentinel;
    await target.write((master) => master.set(`item:${id}`, body.value), { idempotent: true });
    return { ok: true };
  }

  @Get('through-cache/:id')
  async throughCache(@Param('id') id: string) {
    await this.cache.set(`through:${id}`, { id }, 60_000);
    return { value: await this.cache.get(`through:${id}`) };
  }
}

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly sentinel: SentinelHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.sentinel.isHealthy('redis'),
      () => this.sentinel.isHealthy('sessions', { client: 'sessions' }),
    ]);
  }
}

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      load: [() => ({ REDIS_SENTINEL_URL: process.env.LOCATION })],
    }),
    SentinelModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        location: config.getOrThrow<string>('REDIS_SENTINEL_URL'),
      }),
    }),
    SentinelModule.forRootAsync({
      name: 'sessions',
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        location: config.getOrThrow<string>('REDIS_SENTINEL_URL'),
        options: { db: 1 },
      }),
    }),
    SentinelCacheModule.forRoot({ ttl: 60_000, namespace: 'app11', isGlobal: true }),
    TerminusModule,
  ],
  controllers: [AppController, HealthController],
  providers: [HandlerCalls, SentinelHealthIndicator],
})
export class AppModule {}
