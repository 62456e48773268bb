// Connecting at bootstrap (fail fast with a typed error, or start anyway and connect in the
// background) and leaving nothing behind: applications in child processes must exit by themselves
// after app.close().
import { createServer } from 'node:net';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  MasterNameUnknownError,
  NoSentinelReachableError,
  type SentinelClient,
} from '@sentinelkit/core';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSentinelClientToken } from '../src/index.js';
import { appModule } from './fixtures/app.js';
import { nextTopologyEvent, runApp } from './helpers.js';

let topology: SentinelTopology;
/** A location whose only sentinel refuses connections: a port that was free a moment ago. */
let unreachable: string;

beforeAll(async () => {
  topology = await startSentinelTopology();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  unreachable = `mymaster/127.0.0.1:${port}`;
});

afterAll(async () => {
  await topology?.stop();
});

const wrongName = () => topology.location.replace(/^mymaster\//, 'no-such-master/');

describe('failFast (the default): bootstrap fails with the typed error of the core', () => {
  it('NO_SENTINEL_REACHABLE when no sentinel answers', async () => {
    const creating = NestFactory.create(appModule({ location: unreachable }), {
      logger: false,
      abortOnError: false,
    });
    await expect(creating).rejects.toBeInstanceOf(NoSentinelReachableError);
    await expect(creating).rejects.toMatchObject({
      code: 'NO_SENTINEL_REACHABLE',
      failures: [{ sentinel: unreachable.split('/')[1] }],
    });
  });

  it('MASTER_NAME_UNKNOWN when the sentinels do not know the master name', async () => {
    const creating = NestFactory.create(appModule({ location: wrongName() }), {
      logger: false,
      abortOnError: false,
    });
    await expect(creating).rejects.toBeInstanceOf(MasterNameUnknownError);
    await expect(creating).rejects.toMatchObject({
      code: 'MASTER_NAME_UNKNOWN',
      masterName: 'no-such-master',
    });
  });
});

describe('no open handles: the process exits by itself', () => {
  it('after app.close() of an app whose module created the client', async () => {
    const { code, output } = await runApp('owned', topology.location);
    expect(code).toBe(0);
    expect(output).toEqual({ statuses: [200, 200, 200, 200] });
  });

  it('after app.close() and the user closing the client they passed in (open until then)', async () => {
    const { code, output } = await runApp('user-client', topology.location);
    expect(code).toBe(0);
    expect(output).toEqual({ statuses: [200, 200, 200, 200], afterAppClose: 'ready' });
  });

  it('after a bootstrap that failed fast', async () => {
    const { code, output } = await runApp('fail-fast', wrongName());
    expect(code).toBe(0);
    expect(output).toEqual({ name: 'MasterNameUnknownError', code: 'MASTER_NAME_UNKNOWN' });
  });

  it('after app.close() of an app started without Sentinel (failFast: false)', async () => {
    const { code, output } = await runApp('background', unreachable);
    expect(code).toBe(0);
    // The cache answers like an empty cache, a direct read fails, health is down.
    expect(output).toEqual({ statuses: [200, 200, 500, 503] });
  });
});

describe('failFast: false', () => {
  let app: INestApplication | undefined;

  afterAll(async () => {
    await app?.close();
  });

  it('starts with every sentinel hung, and connects in the background once they answer', async () => {
    // The module's log lines, to know when an attempt has failed.
    let failedAttempt: () => void = () => {};
    const attemptFailed = new Promise<void>((resolve) => {
      failedAttempt = resolve;
    });
    const warnings: string[] = [];
    const logger: LoggerService = {
      log: () => {},
      error: () => {},
      warn: (message: unknown) => {
        warnings.push(String(message));
        if (String(message).includes('could not connect, trying again')) failedAttempt();
      },
    };

    for (const sentinel of topology.sentinelNodes) await topology.freeze(sentinel);
    app = await NestFactory.create(
      appModule({
        location: topology.location,
        options: { sentinelTimeout: 200, connectTimeout: 1000 },
        failFast: false,
        retryDelay: 100,
      }),
      { logger },
    );
    await app.init();
    const client = app.get<SentinelClient>(getSentinelClientToken());
    expect(client.status).not.toBe('ready');
    const down = await request(app.getHttpServer()).get('/health').expect(503);
    expect(down.body.error.redis.status).toBe('down');
    await attemptFailed;
    expect(warnings[0]).toMatch(
      /Sentinel client "default" could not connect.*NO_SENTINEL_REACHABLE/,
    );

    const discovered = nextTopologyEvent(client, (e) => e.type === 'MASTER_CHANGE', 30_000);
    await topology.thaw();
    await discovered;
    // Discovery is under way (the background attempt's connect()): the same promise.
    await client.connect();
    expect(client.status).toBe('ready');
    await request(app.getHttpServer()).put('/items/late').send({ value: 'v' }).expect(200);
    const health = await request(app.getHttpServer()).get('/health');
    expect(['up', 'degraded']).toContain(health.body.info.redis.status);
  });
});
