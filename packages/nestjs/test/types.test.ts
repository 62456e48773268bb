// Every public type of the three entry points, imported and used: a renamed or dropped export
// fails the type check.
import type { DynamicModule } from '@nestjs/common';
import type { SentinelClient } from '@sentinelkit/core';
import { describe, expectTypeOf, it } from 'vitest';
import {
  SentinelCacheModule,
  type SentinelCacheModuleAsyncOptions,
  type SentinelCacheModuleOptions,
  type SentinelCacheOptions,
} from '../src/cache/index.js';
import {
  type SentinelHealthCheckOptions,
  type SentinelHealthDetails,
  SentinelHealthIndicator,
  type SentinelHealthState,
} from '../src/health/index.js';
import {
  getSentinelClientToken,
  InjectSentinel,
  type SentinelExistingClientModuleOptions,
  type SentinelLocationModuleOptions,
  SentinelModule,
  type SentinelModuleAsyncOptions,
  type SentinelModuleCommonOptions,
  type SentinelModuleExtras,
  type SentinelModuleOptions,
  type SentinelOptionsFactory,
  type SentinelOptionsModuleOptions,
} from '../src/index.js';

describe('public types', () => {
  it('module options: one source of the client, plus the common options', () => {
    expectTypeOf<SentinelLocationModuleOptions>().toMatchTypeOf<SentinelModuleOptions>();
    expectTypeOf<SentinelOptionsModuleOptions>().toMatchTypeOf<SentinelModuleOptions>();
    expectTypeOf<SentinelExistingClientModuleOptions>().toMatchTypeOf<SentinelModuleOptions>();
    expectTypeOf<SentinelLocationModuleOptions>().toMatchTypeOf<SentinelModuleCommonOptions>();
    expectTypeOf<SentinelModuleAsyncOptions>().toMatchTypeOf<SentinelModuleExtras>();
    expectTypeOf<SentinelOptionsFactory['createSentinelOptions']>().returns.toEqualTypeOf<
      SentinelModuleOptions | Promise<SentinelModuleOptions>
    >();
    // A location and a client together is a type error, not only a runtime one.
    expectTypeOf<{
      location: string;
      client: SentinelClient;
    }>().not.toMatchTypeOf<SentinelModuleOptions>();
  });

  it('static methods and helpers', () => {
    expectTypeOf(SentinelModule.forRoot).returns.toEqualTypeOf<DynamicModule>();
    expectTypeOf(SentinelModule.forRootAsync).returns.toEqualTypeOf<DynamicModule>();
    expectTypeOf(getSentinelClientToken).returns.toEqualTypeOf<string>();
    expectTypeOf(InjectSentinel).returns.toMatchTypeOf<ParameterDecorator>();
    expectTypeOf(SentinelCacheModule.forRoot)
      .parameter(0)
      .toEqualTypeOf<SentinelCacheModuleOptions | undefined>();
    expectTypeOf(SentinelCacheModule.forRootAsync)
      .parameter(0)
      .toEqualTypeOf<SentinelCacheModuleAsyncOptions>();
    expectTypeOf<SentinelCacheModuleOptions>().toMatchTypeOf<SentinelCacheOptions>();
  });

  it('health', () => {
    expectTypeOf<SentinelHealthState>().toEqualTypeOf<'up' | 'degraded' | 'down'>();
    expectTypeOf<SentinelHealthDetails['master']>().toEqualTypeOf<string | null>();
    expectTypeOf<SentinelHealthIndicator['isHealthy']>()
      .parameter(1)
      .toEqualTypeOf<SentinelHealthCheckOptions | undefined>();
  });
});
