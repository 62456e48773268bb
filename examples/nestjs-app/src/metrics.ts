import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  Req,
  Res,
} from '@nestjs/common';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { instrumentSentinelKit } from '@sentinelkit/core/opentelemetry';

/**
 * sentinelkit's OpenTelemetry metrics (docs/observability.md) for Prometheus: a meter provider
 * whose reader is the Prometheus exporter, without its own HTTP server; `GET /metrics` serves
 * what it collects. Installed before the Sentinel client connects, stopped at shutdown.
 */
@Injectable()
export class Metrics implements OnApplicationShutdown {
  readonly exporter = new PrometheusExporter({ preventServerStart: true });
  readonly #provider = new MeterProvider({ readers: [this.exporter] });
  readonly #instrumentation = instrumentSentinelKit({ meterProvider: this.#provider });

  async onApplicationShutdown(): Promise<void> {
    this.#instrumentation.uninstall();
    await this.#provider.shutdown();
  }
}

@Controller('metrics')
export class MetricsController {
  constructor(@Inject(Metrics) private readonly metrics: Metrics) {}

  /** Prometheus' text format: db_client_operation_duration_seconds, sentinelkit_failovers_total, … */
  @Get()
  serve(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    this.metrics.exporter.getMetricsRequestHandler(request, response);
  }
}

@Module({ providers: [Metrics], controllers: [MetricsController], exports: [Metrics] })
export class MetricsModule {}
