import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { SentinelHealthIndicator } from '@sentinelkit/nestjs/health';

/**
 * `GET /health`: 200 `ok` with a master and a healthy replica, 200 `degraded` with a master
 * alone, 503 without a master (see docs/nestjs.md).
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(SentinelHealthIndicator) private readonly sentinel: SentinelHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.sentinel.isHealthy('redis')]);
  }
}
