import { ConfigurableModuleBuilder, type DynamicModule, type Provider } from '@nestjs/common';
import { SentinelConnection } from './sentinel.connection.js';
import {
  getSentinelClientToken,
  SENTINEL_CONNECTION,
  SENTINEL_MODULE_OPTIONS,
} from './sentinel.constants.js';
import {
  DEFAULT_MODULE_OPTIONS,
  resolveClientName,
  type SentinelModuleExtras,
  type SentinelModuleOptions,
} from './sentinel.options.js';

/**
 * Adds the client to a module definition the builder made: a connection provider (private to
 * this module instance, so each `forRoot()` gets its own) and the client under its named token,
 * exported.
 */
function withClient(definition: DynamicModule, extras: SentinelModuleExtras): DynamicModule {
  const name = resolveClientName(extras.name);
  const token = getSentinelClientToken(name);
  const providers: Provider[] = [
    {
      provide: SENTINEL_CONNECTION,
      useFactory: (options: unknown) => SentinelConnection.open(name, options),
      inject: [SENTINEL_MODULE_OPTIONS],
    },
    {
      provide: token,
      useFactory: (connection: SentinelConnection) => connection.client,
      inject: [SENTINEL_CONNECTION],
    },
  ];
  return {
    ...definition,
    global: extras.isGlobal ?? DEFAULT_MODULE_OPTIONS.isGlobal,
    providers: [...(definition.providers ?? []), ...providers],
    exports: [...(definition.exports ?? []), token],
  };
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<SentinelModuleOptions>({
    optionsInjectionToken: SENTINEL_MODULE_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createSentinelOptions')
    .setExtras<SentinelModuleExtras>(
      { name: DEFAULT_MODULE_OPTIONS.name, isGlobal: DEFAULT_MODULE_OPTIONS.isGlobal },
      withClient,
    )
    .build();
