import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

export { AppModule, type AppModuleOptions } from './app.module.js';
export { CounterController } from './counter.controller.js';
export { HealthController } from './health.controller.js';
export { type Item, ItemCatalog, ItemsController } from './items.controller.js';
export { Metrics, MetricsController, MetricsModule } from './metrics.js';

/**
 * Creates the application (not listening yet) on the Sentinel deployment at `location`, or at
 * `$SENTINEL_LOCATION` without one. The Sentinel client connects during creation: a deployment
 * that cannot be reached fails it with the core's typed error.
 */
export function createApp(
  location?: string,
  options: NestApplicationOptions = {},
): Promise<INestApplication> {
  return NestFactory.create(AppModule.forRoot({ location }), options);
}
