// The module's wiring on a second implementation of the contract: @sentinelkit/testing's
// SingleNodeClient over one real redis-server (no Sentinel, no replica). The module's source is
// the same as on SentinelClient: it uses the RoutedClient contract only. (Induced failures, a
// failing connect() or PING, stay on module.test.ts's stand-in.)
import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { type SingleNodeClient, startStandaloneClient } from '@sentinelkit/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { SentinelHealthIndicator } from '../src/health/index.js';
import {
  getSentinelClientToken,
  InjectSentinel,
  SentinelModule,
  type SentinelModuleOptions,
  type SentinelOptionsFactory,
} from '../src/index.js';

const clients: SingleNodeClient[] = [];

async function standalone(): Promise<SingleNodeClient> {
  const client = await startStandaloneClient();
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

@Controller()
class NamesController {
  constructor(
    @InjectSentinel() readonly main: unknown,
    @InjectSentinel('other') readonly other: unknown,
  ) {}
}

describe('forRoot / forRootAsync in a Nest container, on SingleNodeClients', () => {
  it('injects each named client where it is asked for, connected before the app starts', async () => {
    const main = await standalone();
    const other = await standalone();
    const ref = await Test.createTestingModule({
      imports: [
        SentinelModule.forRoot({ client: main }),
        SentinelModule.forRoot({ client: other, name: 'other' }),
      ],
      controllers: [NamesController],
    }).compile();
    const controller = ref.get(NamesController);
    expect(controller.main).toBe(main);
    expect(controller.other).toBe(other);
    expect(main.status).toBe('ready');
    expect(other.status).toBe('ready');
    expect(await main.call('PING')).toBe('PONG');
    await ref.close();
    // Clients passed in belong to the caller: never closed by the module.
    expect(main.status).toBe('ready');
    expect(other.status).toBe('ready');
  });

  it('forRootAsync: useFactory with inject, useClass and useExisting', async () => {
    const byFactory = await standalone();
    const byClass = await standalone();
    const existing = await standalone();

    @Injectable()
    class ByClass implements SentinelOptionsFactory {
      constructor(@Inject(ConfigService) private readonly config: ConfigService) {}
      createSentinelOptions(): SentinelModuleOptions {
        expect(this.config.get('which')).toBe('cls');
        return { client: byClass };
      }
    }

    @Injectable()
    class Existing implements SentinelOptionsFactory {
      createSentinelOptions(): SentinelModuleOptions {
        return { client: existing };
      }
    }

    @Module({ providers: [Existing], exports: [Existing] })
    class ExistingModule {}

    const config = ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ which: 'cls' })] });
    const ref = await Test.createTestingModule({
      imports: [
        SentinelModule.forRootAsync({
          imports: [config],
          inject: [ConfigService],
          useFactory: async (c: ConfigService) => {
            expect(c.get('which')).toBe('cls');
            return { client: byFactory };
          },
        }),
        SentinelModule.forRootAsync({ name: 'cls', imports: [config], useClass: ByClass }),
        SentinelModule.forRootAsync({
          name: 'existing',
          imports: [ExistingModule],
          useExisting: Existing,
        }),
      ],
    }).compile();
    expect(ref.get(getSentinelClientToken())).toBe(byFactory);
    expect(ref.get(getSentinelClientToken('cls'))).toBe(byClass);
    expect(ref.get(getSentinelClientToken('existing'))).toBe(existing);
    for (const client of [byFactory, byClass, existing]) expect(client.status).toBe('ready');
    await ref.close();
  });
});

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly sentinel: SentinelHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.sentinel.isHealthy('redis')]);
  }
}

describe('SentinelHealthIndicator on a SingleNodeClient', () => {
  it('degraded with a master and no replica; down once the client is closed', async () => {
    const client = await standalone();
    const ref = await Test.createTestingModule({
      imports: [SentinelModule.forRoot({ client }), TerminusModule],
      controllers: [HealthController],
      providers: [SentinelHealthIndicator],
    }).compile();
    const app = ref.createNestApplication({ logger: false });
    await app.init();
    const http = () => request(app.getHttpServer()).get('/health');

    const degraded = await http().expect(200);
    expect(degraded.body).toMatchObject({
      status: 'degraded',
      info: {
        redis: {
          status: 'degraded',
          master: `127.0.0.1:${client.address.port}`,
          replicas: [],
        },
      },
    });

    await client.close();
    const down = await http().expect(503);
    expect(down.body.error.redis).toMatchObject({ status: 'down', master: null });
    await app.close();
  });
});
