import { createConnection } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeHandler, type FakeRedis, startFakeRedis } from '../src/fake-redis.js';

const servers: FakeRedis[] = [];
const clients: Redis[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(handler: FakeHandler): Promise<FakeRedis> {
  const server = await startFakeRedis(handler);
  servers.push(server);
  return server;
}

function connect(server: FakeRedis, options: { commandTimeout?: number } = {}): Redis {
  const client = new Redis({
    host: server.host,
    port: server.port,
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...options,
  });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

/** Sends raw bytes and resolves with everything received until `expected` bytes arrived. */
function rawExchange(server: FakeRedis, payload: string, expected: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(server.port, server.host);
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString();
      if (received.length >= expected) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.write(payload);
  });
}

describe('fake RESP server', () => {
  it('serves an ioredis client: PING and SENTINEL get-master-addr-by-name', async () => {
    const server = await start((args) => {
      if (args[0]?.toLowerCase() === 'sentinel' && args[1] === 'get-master-addr-by-name') {
        return args[2] === 'mymaster' ? ['127.0.0.1', '6380'] : null;
      }
      return undefined;
    });
    const client = connect(server);
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    expect(await client.call('SENTINEL', 'get-master-addr-by-name', 'mymaster')).toEqual([
      '127.0.0.1',
      '6380',
    ]);
    expect(await client.call('SENTINEL', 'get-master-addr-by-name', 'other')).toBeNull();
    expect(server.commands).toContainEqual(['SENTINEL', 'get-master-addr-by-name', 'mymaster']);
    // ioredis 6 tries RESP3 first; the fake refuses it like Redis 5, so ioredis falls back.
    expect(server.commands[0]?.[0]?.toLowerCase()).toBe('hello');
  });

  it('encodes every reply type, nested arrays included', async () => {
    const server = await start((args) => {
      switch (args[0]?.toLowerCase()) {
        case 'simple':
          return { simple: 'OK' };
        case 'fail':
          return { error: 'ERR no such thing' };
        case 'int':
          return 42;
        case 'nil':
          return null;
        case 'nested':
          return [['ip', '10.0.0.1', 'port', '6379'], [], 7, null, Buffer.from('bin')];
        case 'slow':
          return new Promise((resolve) => setTimeout(() => resolve('late'), 20));
        default:
          return undefined;
      }
    });
    const client = connect(server);
    await client.connect();
    expect(await client.call('simple')).toBe('OK');
    await expect(client.call('fail')).rejects.toThrow('ERR no such thing');
    expect(await client.call('int')).toBe(42);
    expect(await client.call('nil')).toBeNull();
    expect(await client.call('nested')).toEqual([
      ['ip', '10.0.0.1', 'port', '6379'],
      [],
      7,
      null,
      'bin',
    ]);
    await expect(client.call('unknown-thing')).rejects.toThrow(
      "ERR unknown command 'unknown-thing'",
    );
    expect(await client.call('slow')).toBe('late');
  });

  it('answers pipelined commands in order, even when handlers finish out of order', async () => {
    const server = await start(async (args) => {
      if (args[0] === 'delay') {
        await new Promise((resolve) => setTimeout(resolve, Number(args[1])));
        return args[1] ?? null;
      }
      return undefined;
    });
    const client = connect(server);
    await client.connect();
    const results = await client.pipeline().call('delay', '30').call('delay', '1').ping().exec();
    expect(results).toEqual([
      [null, '30'],
      [null, '1'],
      [null, 'PONG'],
    ]);
  });

  it('parses commands split across packets and several in one packet', async () => {
    const server = await start(() => undefined);
    const reply = await rawExchange(
      server,
      '*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nPING\r\n$5\r\nhello\r\n',
      '+PONG\r\n$5\r\nhello\r\n'.length,
    );
    expect(reply).toBe('+PONG\r\n$5\r\nhello\r\n');
    expect(server.commands).toEqual([['PING'], ['PING', 'hello']]);
  });

  it("'hang' never answers, so client timeouts can be tested", async () => {
    const server = await start((args) =>
      args[0]?.toLowerCase() === 'sentinel' ? 'hang' : undefined,
    );
    const client = connect(server, { commandTimeout: 100 });
    await client.connect();
    await expect(client.call('SENTINEL', 'masters')).rejects.toThrow(/timed out/i);
  });

  it("'close' drops the connection", async () => {
    const server = await start((args) => (args[0] === 'bye' ? 'close' : undefined));
    const client = connect(server);
    await client.connect();
    const closed = new Promise((resolve) => client.once('close', resolve));
    await expect(client.call('bye')).rejects.toThrow();
    await closed;
  });

  it('close() ends open connections', async () => {
    const server = await start(() => undefined);
    const client = connect(server);
    await client.connect();
    const closed = new Promise((resolve) => client.once('close', resolve));
    await server.close();
    await closed;
    servers.length = 0;
  });
});
