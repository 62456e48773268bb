// Which setup failures make connect() give up at once and which it retries, seen from the client:
// fake sentinels (RESP) name a data node that misbehaves at the TCP level, or the user's `tls`
// function fails before any connection is made.
import { createServer, type Server, type Socket } from 'node:net';
import type { FakeRedis } from '@sentinelkit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSentinelClient,
  isSentinelKitError,
  type SentinelClient,
  type SentinelClientOptions,
} from '../src/index.js';
import { fakeSentinel, fakes, MASTER_NAME } from './helpers/fake-topology.js';

const clients: SentinelClient[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
  await Promise.all(
    servers
      .splice(0)
      .map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
});

/** A TCP server that resets every connection it accepts (no TLS, no RESP). */
async function resettingNode(): Promise<{
  host: string;
  port: number;
  /** Resolves once `count` connections were accepted (and reset). */
  accepted: (count: number) => Promise<void>;
}> {
  let accepted = 0;
  const waiting: { count: number; resolve: () => void }[] = [];
  const server = createServer((socket: Socket) => {
    accepted++;
    socket.resetAndDestroy();
    for (const w of waiting) if (accepted >= w.count) w.resolve();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    host: '127.0.0.1',
    port: address.port,
    accepted: (count) =>
      accepted >= count
        ? Promise.resolve()
        : new Promise((resolve) => waiting.push({ count, resolve })),
  };
}

function client(sentinel: FakeRedis, options: Partial<SentinelClientOptions>): SentinelClient {
  const created = createSentinelClient({
    masterName: MASTER_NAME,
    sentinels: [{ host: sentinel.host, port: sentinel.port }],
    connectTimeout: 5000,
    sentinelPollInterval: 60_000,
    ...options,
  });
  clients.push(created);
  return created;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, but it resolved');
    },
    (error: unknown) => error,
  );
}

const asks = (sentinel: FakeRedis) =>
  sentinel.commands.filter((args) => args[1]?.toLowerCase() === 'get-master-addr-by-name').length;

describe('a reset before the TLS handshake is transient (review item 2)', () => {
  it('a data node resetting TCP connections, with tls and no client certificate: retried, not TLS_FAILED', async () => {
    const node = await resettingNode();
    const sentinel = await fakeSentinel({ master: () => [node.host, String(node.port)] });
    // A long connectTimeout: the test ends once the client came back for a third try.
    const sentinelClient = client(sentinel, { tls: {}, connectTimeout: 30_000 });
    const connecting = sentinelClient.connect().then(
      () => 'connected',
      (error: unknown) => `failed: ${(error as Error).message}`,
    );
    const outcome = await Promise.race([node.accepted(3).then(() => 'retried'), connecting]);
    expect(outcome).toBe('retried');
    await sentinelClient.close();
    expect(await connecting).toMatch(/CLIENT_CLOSED|closed/i);
  });
});

describe('a failing tls function fails connect() at once (review item 3)', () => {
  it('a tls function that throws: INVALID_OPTION naming tls, with its error as cause, one sentinel ask', async () => {
    const thrown = new Error('no certificate for this node');
    const sentinel = await fakeSentinel({ master: () => ['127.0.0.1', '6399'] });
    const error = await rejectionOf(
      client(sentinel, {
        tls: () => {
          throw thrown;
        },
      }).connect(),
    );
    expect(isSentinelKitError(error, 'INVALID_OPTION')).toBe(true);
    expect(error).toMatchObject({ option: 'tls' });
    expect((error as Error).message).toContain('127.0.0.1:6399');
    expect((error as Error).cause).toBe(thrown);
    expect(asks(sentinel)).toBe(1);
  });

  it('a tls function returning no object: INVALID_OPTION naming tls, one sentinel ask', async () => {
    const sentinel = await fakeSentinel({ master: () => ['127.0.0.1', '6399'] });
    const error = await rejectionOf(client(sentinel, { tls: (() => 'yes') as never }).connect());
    expect(isSentinelKitError(error, 'INVALID_OPTION')).toBe(true);
    expect(error).toMatchObject({ option: 'tls' });
    expect(asks(sentinel)).toBe(1);
  });
});
