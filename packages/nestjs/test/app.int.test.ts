// Nest 12 applications on a real Sentinel topology (1 master, 2 replicas, 3 sentinels): the
// cache interceptor, reads from replicas, forRootAsync with a config service, named clients, and
// what app.close() does to the clients.
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Controller, Get, type INestApplication, Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import type { SentinelKeyvStore } from '@sentinelkit/cache-manager';
import { createSentinelClient, type SentinelClient } from '@sentinelkit/core';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  getSentinelClientToken,
  InjectSentinel,
  SentinelModule,
  type SentinelModuleOptions,
  type SentinelOptionsFactory,
} from '../src/index.js';
import { appModule, HandlerCalls } from './fixtures/app.js';
import {
  callsByRole,
  onMaster,
  resetStats,
  untilOnReplicas,
  untilReplicaCount,
} from './helpers.js';

let topology: SentinelTopology;
const apps: INestApplication[] = [];

beforeAll(async () => {
  topology = await startSentinelTopology();
});

afterEach(async () => {
  // Each test closes its own app; this catches the ones a failure left open.
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

afterAll(async () => {
  await topology?.stop();
});

/** Compiles `module`, starts the app (not listening: supertest binds an ephemeral port). */
async function start(module: Parameters<typeof Test.createTestingModule>[0]) {
  const ref = await Test.createTestingModule(module).compile();
  const app = ref.createNestApplication({ logger: false });
  await app.init();
  apps.push(app);
  const client = app.get<SentinelClient>(getSentinelClientToken());
  await untilReplicaCount(client, 2);
  return { app, client, http: () => request(app.getHttpServer()) };
}

describe('CacheModule on the Sentinel client', () => {
  it('serves the second request from the cache, read from a replica: the handler runs once', async () => {
    const { app, http } = await start({
      imports: [appModule({ location: topology.location })],
    });
    const calls = app.get(HandlerCalls);

    const first = await http().get('/cached/1').expect(200);
    expect(first.body).toEqual({ id: '1', call: 1 });
    // The interceptor answers before its write reaches the master; wait for the replicas.
    await untilOnReplicas(topology, 'app:/cached/1');

    await resetStats(topology);
    for (let i = 0; i < 10; i++) {
      const again = await http().get('/cached/1').expect(200);
      expect(again.body).toEqual({ id: '1', call: 1 });
    }
    expect(calls.of('cached/1')).toBe(1);

    const gets = await callsByRole(topology, 'get');
    expect(gets.master).toBe(0);
    expect(gets.replicas.reduce((a, b) => a + b, 0)).toBe(10);
    // Spread per request over both replicas, not pinned to one.
    expect(gets.replicas.every((n) => n > 0)).toBe(true);
    await app.close();
  });

  it('@CacheKey and @CacheTTL work unchanged, the TTL in milliseconds', async () => {
    const { app, http } = await start({
      imports: [appModule({ location: topology.location }, { ttl: 5_000 })],
    });
    await http().get('/report').expect(200);
    await untilOnReplicas(topology, 'app:report');
    const pttl = (await onMaster(topology, 'PTTL', 'app:report')) as number;
    // @CacheTTL(30_000) is 30 s, not 30 000 s, and overrides the module's 5 s.
    expect(pttl).toBeGreaterThan(25_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
    await http().get('/report').expect(200);
    expect(app.get(HandlerCalls).of('report')).toBe(1);

    // The module's default TTL applies to a plain CacheInterceptor route.
    await http().get('/cached/ttl').expect(200);
    await untilOnReplicas(topology, 'app:/cached/ttl');
    const plain = (await onMaster(topology, 'PTTL', 'app:/cached/ttl')) as number;
    expect(plain).toBeGreaterThan(0);
    expect(plain).toBeLessThanOrEqual(5_000);
    await app.close();
  });

  it('CACHE_MANAGER: set on the master, get on a replica, one namespace prefix', async () => {
    const { app, http } = await start({
      imports: [appModule({ location: topology.location })],
    });
    await resetStats(topology);
    await http().get('/through-cache/7').expect(200);
    expect(await onMaster(topology, 'EXISTS', 'app:through:7')).toBe(1);
    const sets = await callsByRole(topology, 'set');
    expect(sets.master).toBe(1);
    const gets = await callsByRole(topology, 'get');
    expect(gets.master).toBe(0);
    expect(gets.replicas.reduce((a, b) => a + b, 0)).toBe(1);
    await app.close();
  });
});

describe('the local tier through SentinelCacheModule', () => {
  it('localCache is one option: repeated requests are answered from memory, no GET sent', async () => {
    const { app, http } = await start({
      imports: [appModule({ location: topology.location }, { localCache: true })],
    });
    await http().get('/cached/local').expect(200);
    await untilOnReplicas(topology, 'app:/cached/local');
    const cache = app.get<{ stores: { store: unknown }[] }>(CACHE_MANAGER);
    const store = cache.stores[0]?.store as SentinelKeyvStore;
    // The first read of each replica opens its invalidation link; reads after that are kept.
    for (let i = 0; i < 50 && (store.stats().localCache?.hits ?? 0) === 0; i++) {
      await http().get('/cached/local').expect(200);
    }
    expect(store.stats().localCache?.hits).toBeGreaterThan(0);
    await resetStats(topology);
    for (let i = 0; i < 10; i++) await http().get('/cached/local').expect(200);
    const gets = await callsByRole(topology, 'get');
    expect(gets.master + gets.replicas.reduce((a, b) => a + b, 0)).toBe(0);
    expect(app.get(HandlerCalls).of('cached/local')).toBe(1);
    await app.close();
  });
});

describe('forRootAsync with a config service', () => {
  const config = () =>
    ConfigModule.forRoot({
      ignoreEnvFile: true,
      load: [() => ({ REDIS_SENTINEL_URL: topology.location, REDIS_DB: 3 })],
    });

  @Injectable()
  class SentinelConfig implements SentinelOptionsFactory {
    constructor(@Inject(ConfigService) private readonly config: ConfigService) {}
    createSentinelOptions(): SentinelModuleOptions {
      return {
        location: this.config.getOrThrow<string>('REDIS_SENTINEL_URL'),
        options: { db: this.config.getOrThrow<number>('REDIS_DB') },
      };
    }
  }

  it.each([
    [
      'useFactory',
      () =>
        SentinelModule.forRootAsync({
          imports: [config()],
          inject: [ConfigService],
          useFactory: (c: ConfigService) => ({
            location: c.getOrThrow<string>('REDIS_SENTINEL_URL'),
            options: { db: c.getOrThrow<number>('REDIS_DB') },
          }),
        }),
    ],
    [
      'useClass',
      () => SentinelModule.forRootAsync({ imports: [config()], useClass: SentinelConfig }),
    ],
    [
      'useExisting',
      () => {
        @Module({ imports: [config()], providers: [SentinelConfig], exports: [SentinelConfig] })
        class SentinelConfigModule {}
        return SentinelModule.forRootAsync({
          imports: [SentinelConfigModule],
          useExisting: SentinelConfig,
        });
      },
    ],
  ])('%s: the client connects with the configured options', async (_, sentinel) => {
    const { app, client, http } = await start({ imports: [appModule(sentinel())] });
    await http().put('/items/async').send({ value: 'configured' }).expect(200);
    // db 3 came from the config service.
    const master = await topology.currentMaster();
    const direct = new Redis({ host: master.host, port: master.port, db: 3, lazyConnect: true });
    try {
      expect(await direct.get('item:async')).toBe('configured');
    } finally {
      direct.disconnect();
    }
    expect(client.status).toBe('ready');
    await app.close();
    expect(client.status).toBe('closed');
  });
});

describe('named clients', () => {
  @Controller()
  class TwoClients {
    constructor(
      @InjectSentinel() readonly main: SentinelClient,
      @InjectSentinel('sessions') readonly sessions: SentinelClient,
    ) {}

    @Get('both')
    async both() {
      await this.main.write((m) => m.set('named', 'main'), { idempotent: true });
      await this.sessions.write((m) => m.set('named', 'sessions'), { idempotent: true });
      return {
        main: await this.main.read((r) => r.get('named'), { readFrom: 'master' }),
        sessions: await this.sessions.read((r) => r.get('named'), { readFrom: 'master' }),
      };
    }
  }

  it('two clients side by side, each with its options, both closed by app.close()', async () => {
    const { app, http } = await start({
      imports: [
        SentinelModule.forRoot({ location: topology.location }),
        SentinelModule.forRoot({
          name: 'sessions',
          location: topology.location,
          options: { db: 1, readFrom: 'master' },
        }),
      ],
      controllers: [TwoClients],
    });
    const controller = app.get(TwoClients);
    expect(controller.main).not.toBe(controller.sessions);
    const both = await http().get('/both').expect(200);
    // Two databases: neither write overwrote the other.
    expect(both.body).toEqual({ main: 'main', sessions: 'sessions' });
    await app.close();
    expect(controller.main.status).toBe('closed');
    expect(controller.sessions.status).toBe('closed');
  });
});

describe('app.close()', () => {
  it('closes the clients the module created exactly once, after the cache let go of them', async () => {
    const { app, client, http } = await start({
      imports: [appModule({ location: topology.location })],
    });
    await http().get('/cached/close').expect(200);
    const close = vi.spyOn(client, 'close');
    await app.close();
    expect(close).toHaveBeenCalledTimes(1);
    expect(client.status).toBe('closed');
    // A second close of the app does not close the client again.
    await app.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('leaves a client passed in by the user open, cache and all', async () => {
    const mine = createSentinelClient(topology.location);
    try {
      const { app, http } = await start({ imports: [appModule({ client: mine })] });
      await http().get('/cached/mine').expect(200);
      const close = vi.spyOn(mine, 'close');
      await app.close();
      expect(close).not.toHaveBeenCalled();
      expect(mine.status).toBe('ready');
      expect(await mine.write((m) => m.ping())).toBe('PONG');
    } finally {
      await mine.close();
    }
  });
});
