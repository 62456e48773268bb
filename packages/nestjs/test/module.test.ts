// The module's wiring, without a network: tokens, option validation, forRoot/forRootAsync in a
// real Nest container, shutdown of owned and user clients, and the health indicator's states.
import { Controller, Get, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { isSentinelKitError, SentinelKitError } from '@sentinelkit/core';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  assessTopology,
  SentinelHealthIndicator,
  type SentinelHealthState,
} from '../src/health/index.js';
import { getSentinelClientToken, InjectSentinel, SentinelModule } from '../src/index.js';
import { resolveModuleOptions } from '../src/sentinel.options.js';
import { FakeClient, type SnapshotFields, withShard } from './helpers.js';

const LOCATION = 'mymaster/127.0.0.1:26379';

describe('tokens', () => {
  it('names the default client "default", and each named client apart', () => {
    expect(getSentinelClientToken()).toBe(getSentinelClientToken('default'));
    expect(getSentinelClientToken('sessions')).not.toBe(getSentinelClientToken());
    expect(getSentinelClientToken('a')).not.toBe(getSentinelClientToken('b'));
  });
});

describe('SentinelModule.forRoot() definition', () => {
  it('is global by default and exports the client under its token', () => {
    const definition = SentinelModule.forRoot({ location: LOCATION });
    expect(definition.module).toBe(SentinelModule);
    expect(definition.global).toBe(true);
    expect(definition.exports).toEqual([getSentinelClientToken()]);
  });

  it('takes name and isGlobal beside the options, not inside them', () => {
    const definition = SentinelModule.forRoot({
      location: LOCATION,
      name: 'sessions',
      isGlobal: false,
    });
    expect(definition.global).toBe(false);
    expect(definition.exports).toEqual([getSentinelClientToken('sessions')]);
    const options = definition.providers?.find((p) => typeof p === 'object' && 'useValue' in p) as {
      useValue: unknown;
    };
    expect(options.useValue).toEqual({ location: LOCATION });
  });

  it('rejects an empty name at once', () => {
    expect(() => SentinelModule.forRoot({ location: LOCATION, name: '' })).toThrow(
      /Invalid option "name"/,
    );
  });
});

describe('option validation', () => {
  const reject = (options: unknown) => {
    try {
      resolveModuleOptions(options);
    } catch (error) {
      expect(isSentinelKitError(error, 'INVALID_OPTION')).toBe(true);
      return (error as Error).message;
    }
    throw new Error('expected INVALID_OPTION');
  };

  it('needs a location, options or a client', () => {
    expect(reject({})).toMatch(/"location": required/);
    expect(reject(undefined)).toMatch(/factory must return the options object/);
  });

  it('points core options given at the top level to "options"', () => {
    expect(reject({ location: LOCATION, password: 'x' })).toMatch(
      /"password" is an option of the core client: put it in options/,
    );
  });

  it('points name/isGlobal returned by a factory to forRootAsync()', () => {
    expect(reject({ location: LOCATION, name: 'a' })).toMatch(/beside useFactory/);
  });

  it('refuses a client together with a location', () => {
    expect(reject({ location: LOCATION, client: new FakeClient() })).toMatch(
      /nothing beside client/,
    );
  });

  it('checks failFast and retryDelay', () => {
    expect(reject({ location: LOCATION, failFast: 'no' })).toMatch(/"failFast"/);
    expect(reject({ location: LOCATION, retryDelay: 0 })).toMatch(/"retryDelay"/);
    expect(reject({ location: LOCATION, retryDeley: 10 })).toMatch(/Did you mean "retryDelay"/);
  });

  // Every package describes a bad value and a misspelt option in the same words (core's
  // validate.ts, through @sentinelkit/core/internal): a long string cut to 60 characters, the
  // option one typo away suggested. The same literals are pinned in the core and each adapter.
  it('cuts a long string and suggests an option one typo away, in the words of the core', () => {
    const cut = reject({ location: LOCATION, retryDelay: 'x'.repeat(100) });
    expect(cut).toContain(`got "${'x'.repeat(57)}..."`);
    expect(cut).not.toContain('x'.repeat(58));
    expect(reject({ location: LOCATION, retryDelai: 10 })).toContain('Did you mean "retryDelay"?');
  });

  it('lets the core validate the client options when the module starts', async () => {
    const compiling = Test.createTestingModule({
      imports: [SentinelModule.forRoot({ location: 'mymaster/127.0.0.1:0' })],
    }).compile();
    await expect(compiling).rejects.toThrow(/Invalid option "location.port"/);
  });
});

@Controller()
class NamesController {
  constructor(
    @InjectSentinel() readonly main: unknown,
    @InjectSentinel('other') readonly other: unknown,
  ) {}
}

describe('forRoot / forRootAsync in a Nest container', () => {
  // Injection by forRoot and forRootAsync (useFactory, useClass, useExisting) runs on real
  // clients: module.int.test.ts (SingleNodeClient). The stand-in stays where a test needs what a
  // real server does not do on demand: a connect() that fails, a client never connected.
  it('fails bootstrap with the typed error of connect(), unless failFast is false', async () => {
    const failing = new FakeClient();
    failing.connectError = new SentinelKitError('NO_SENTINEL_REACHABLE', 'no sentinel');
    const compiling = Test.createTestingModule({
      imports: [SentinelModule.forRoot({ client: failing.asClient })],
    }).compile();
    await expect(compiling).rejects.toMatchObject({ code: 'NO_SENTINEL_REACHABLE' });
    expect(failing.closes).toBe(0);

    const ref = await Test.createTestingModule({
      imports: [SentinelModule.forRoot({ client: failing.asClient, failFast: false })],
    }).compile();
    expect(ref.get(getSentinelClientToken())).toBe(failing);
    await ref.close();
  });

  it('a non-global client is visible only where its module is imported', async () => {
    const client = new FakeClient();
    @Module({ imports: [], controllers: [NamesController] })
    class Elsewhere {}
    const compiling = Test.createTestingModule({
      imports: [
        SentinelModule.forRoot({ client: client.asClient, isGlobal: false }),
        SentinelModule.forRoot({ client: client.asClient, name: 'other', isGlobal: false }),
        Elsewhere,
      ],
    }).compile();
    await expect(compiling).rejects.toThrow(/can't resolve dependencies of the NamesController/i);
  });
});

describe('assessTopology', () => {
  const base = new FakeClient().snapshot;
  const state = (snapshot: SnapshotFields, minReplicas = 1): SentinelHealthState =>
    assessTopology(withShard(snapshot), minReplicas).state;

  it('up with a master and a replica; degraded with a master only; down without a master', () => {
    expect(state(base)).toBe('up');
    expect(state({ ...base, replicas: [] })).toBe('degraded');
    expect(state(base, 2)).toBe('degraded');
    expect(state({ ...base, master: undefined })).toBe('down');
    expect(state({ ...base, status: 'connecting' })).toBe('down');
  });

  it('reports addresses only', () => {
    expect(assessTopology(withShard({ ...base, replicas: [] }), 1).details).toEqual({
      masterName: 'mymaster',
      clientStatus: 'ready',
      master: '127.0.0.1:6379',
      replicas: [],
      sentinels: ['127.0.0.1:26379'],
      message: 'no healthy replica: reads go to the master',
    });
  });
});

@Controller('health')
class HealthController {
  constructor(
    // Injected by type: the indicator must work with emitted metadata as users write it.
    private readonly health: HealthCheckService,
    private readonly sentinel: SentinelHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.sentinel.isHealthy('redis')]);
  }
}

describe('SentinelHealthIndicator with Terminus 12', () => {
  it('answers up, degraded and down through HealthCheckService', async () => {
    const client = new FakeClient();
    const ref = await Test.createTestingModule({
      imports: [SentinelModule.forRoot({ client: client.asClient }), TerminusModule],
      controllers: [HealthController],
      providers: [SentinelHealthIndicator],
    }).compile();
    const app = ref.createNestApplication({ logger: false });
    await app.init();
    const http = () => request(app.getHttpServer()).get('/health');

    const up = await http().expect(200);
    expect(up.body).toMatchObject({ status: 'ok', info: { redis: { status: 'up' } } });

    client.snapshot = { ...client.snapshot, replicas: [] };
    const degraded = await http().expect(200);
    expect(degraded.body).toMatchObject({
      status: 'degraded',
      info: { redis: { status: 'degraded', master: '127.0.0.1:6379', replicas: [] } },
    });

    client.pingError = new Error('connection lost');
    const unreachable = await http().expect(503);
    expect(unreachable.body.error.redis).toMatchObject({
      status: 'down',
      message: 'connection lost',
    });

    client.snapshot = { ...client.snapshot, master: undefined };
    const down = await http().expect(503);
    expect(down.body.error.redis).toMatchObject({ status: 'down', master: null });
    await app.close();
  });
});
