// The core reads parts of ioredis that its documentation does not promise: `stream` (the
// socket, corked per tick: tick.ts), `commandQueue` (the unanswered commands, failed by the
// commandTimeout watchdog: watchdog.ts), that every command, pipelines' included, goes through
// `sendCommand` (counted by durable writes: durable.ts), and a pipeline's `_queue` and
// `_transactions` (checked before a callback's pipeline is sent: lent.ts); and a Cluster's
// `getInfoFromNode` and `delayQueue` (the cluster client's slot-map reload and re-send after a
// failover: cluster/client.ts). The first three are
// typed members of ioredis' `Redis` class; the last two are private to its Pipeline. All are
// unchanged across 6.x (CI runs this file on the oldest and the newest ioredis 6:
// .ci/ioredis-range.sh). If a version changes their shape, this file fails, by name, before any
// behaviour built on them silently degrades.
import { Socket } from 'node:net';
import { type FakeAction, type FakeRedis, startFakeRedis } from '@sentinelkit/testing';
import { Cluster, Command, Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resendHeldOnEnd } from '../src/cluster/client.js';
import { CONNECTION_CLOSED, SENT_BEFORE_CLOSE } from '../src/cluster/failure.js';
import { failWrittenCommandsAsSent } from '../src/cluster/sent-commands.js';
import { oldestWait } from '../src/cluster/watchdog.js';
import { DurableConnection } from '../src/durable.js';
import { corkUntilTickEnd } from '../src/tick.js';
import { watchCommandTimeouts } from '../src/watchdog.js';

const servers: FakeRedis[] = [];
const clients: Redis[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/**
 * A fake server answering `GET` only once the test releases them (replies leave in order, so
 * later commands wait too), `SET`, `MULTI`, `EXEC` and `WAIT` at once.
 */
async function serverWithHeldReplies() {
  // The server calls the handler of a command once the previous one answered.
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = await startFakeRedis(async (args): Promise<FakeAction> => {
    const name = args[0]?.toLowerCase();
    if (name === 'get') return released.then(() => `v:${args[1]}`);
    if (name === 'set') return { simple: 'OK' };
    if (name === 'wait') return 0;
    if (name === 'multi' || name === 'exec') return name === 'multi' ? { simple: 'OK' } : [];
    return undefined;
  });
  servers.push(server);
  return { server, releaseAll: () => release() };
}

async function connected<T extends Redis>(make: (options: object) => T, server: FakeRedis) {
  const redis = make({
    host: server.host,
    port: server.port,
    lazyConnect: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  clients.push(redis);
  await redis.connect();
  return redis;
}

const endOfTick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ioredis internals the core relies on', () => {
  it('`stream` is the net.Socket commands are written to (tick.ts corks it)', async () => {
    const { server } = await serverWithHeldReplies();
    const redis = await connected((o) => new Redis(o), server);

    expect(redis.stream, 'Redis#stream is no longer a net.Socket').toBeInstanceOf(Socket);
    const stream = redis.stream as Socket;
    corkUntilTickEnd(redis);
    expect(stream.writableCorked).toBe(1);
    const reply = redis.set('k', 'v');
    // Written into this very socket, and held there by the cork: not a copy, not a wrapper.
    expect(stream.writableLength, 'ioredis no longer writes commands to Redis#stream').toBe(
      '*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n'.length,
    );
    await endOfTick();
    expect(stream.writableCorked).toBe(0);
    await expect(reply).resolves.toBe('OK');
  });

  it('`commandQueue` holds unanswered commands, oldest first, until their reply (watchdog.ts)', async () => {
    const { server, releaseAll } = await serverWithHeldReplies();
    const redis = await connected((o) => new Redis(o), server);

    const first = redis.get('a');
    const second = redis.get('b');
    await expect.poll(() => server.commands.filter((c) => c[0] === 'get').length).toBe(2);
    const queue = redis.commandQueue;
    expect(queue.length).toBe(2);
    const items = [queue.get(0), queue.get(1)];
    for (const [i, key] of ['a', 'b'].entries()) {
      const item = items[i];
      expect(item, 'commandQueue.get(i) no longer returns an item').toBeDefined();
      // What watchdog.ts reads of an item: its command, settled once, rejectable.
      const command = item?.command as unknown as {
        name: string;
        args: unknown[];
        isSettled: unknown;
        reject: unknown;
      };
      expect(command.name).toBe('get');
      expect(command.args).toEqual([key]);
      expect(command.isSettled).toBe(false);
      expect(typeof command.reject).toBe('function');
    }

    releaseAll();
    await expect(first).resolves.toBe('v:a');
    await expect(second).resolves.toBe('v:b');
    expect(queue.length, 'answered commands stay in commandQueue').toBe(0);
    // The same items, marked settled: a late look by the watchdog leaves them alone.
    expect((items[0]?.command as unknown as { isSettled: boolean } | undefined)?.isSettled).toBe(
      true,
    );
  });

  it('the watchdog fails a queued command with ioredis’ error, and a late reply is dropped', async () => {
    const { server, releaseAll } = await serverWithHeldReplies();
    const redis = await connected((o) => new Redis(o), server);
    const stop = watchCommandTimeouts(redis, 50);

    const stuck = redis.get('slow');
    await expect(stuck).rejects.toThrow('Command timed out');
    // Still queued (as with ioredis' own timer): the late reply is matched to it, not to the next.
    expect(redis.commandQueue.length).toBe(1);
    releaseAll();
    const next = redis.set('k', 'v');
    await expect(next).resolves.toBe('OK');
    expect(redis.commandQueue.length).toBe(0);
    stop();
  });

  it('every command goes through `sendCommand`, pipelines and transactions too (durable.ts)', async () => {
    const { server } = await serverWithHeldReplies();
    // How DurableConnection counts the commands written: an override of sendCommand.
    class Counting extends Redis {
      readonly sent: string[] = [];
      override sendCommand(...args: Parameters<Redis['sendCommand']>): unknown {
        this.sent.push(args[0].name);
        return super.sendCommand(...args);
      }
    }
    const redis = await connected((o) => new Counting(o), server);
    redis.sent.length = 0;

    await redis.set('a', '1');
    await redis.pipeline().set('b', '2').set('c', '3').exec();
    await redis.multi().set('d', '4').exec();
    await redis.wait(0, 0);
    expect(redis.sent, 'a command bypassed Redis#sendCommand').toEqual([
      'set',
      'set',
      'set',
      'multi',
      'set',
      'exec',
      'wait',
    ]);
    expect(new DurableConnection({ lazyConnect: true })).toBeInstanceOf(Redis);
  });

  it('a pipeline keeps its commands in `_queue` and its open MULTIs in `_transactions` until exec (lent.ts)', () => {
    // lent.ts checks a callback's pipeline as a whole when it is sent: it reads the queued
    // commands' names and arguments and how many MULTIs ioredis will close with EXEC itself.
    const redis = new Redis({ lazyConnect: true });
    clients.push(redis);
    type Queued = { _queue: { name: string; args: unknown[] }[]; _transactions: number };
    const pipeline = redis.pipeline([
      ['set', 'a', '1'],
      ['multi'],
      ['get', 'a'],
    ]) as unknown as Queued;
    expect(pipeline._queue.map(({ name, args }) => [name, ...args])).toEqual([
      ['set', 'a', '1'],
      ['multi'],
      ['get', 'a'],
    ]);
    expect(pipeline._transactions, 'an open MULTI is counted').toBe(1);
    const transaction = redis.multi().set('b', '2') as unknown as Queued;
    expect(transaction._queue.map(({ name }) => name)).toEqual(['multi', 'set']);
    expect(transaction._transactions).toBe(1);
  });

  it('a connection not open yet holds commands in `offlineQueue`; a Cluster has `getInfoFromNode` (cluster/watchdog.ts, cluster/client.ts)', async () => {
    // The cluster watchdog times the commands a connection to a frozen node holds before its
    // ready check answers (they wait in `offlineQueue`), and the cluster client reads the slot
    // map from the node it chooses (`getInfoFromNode`), never from a frozen one.
    const { server } = await serverWithHeldReplies();
    const redis = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    redis.on('error', () => {});
    clients.push(redis);
    void redis.get('k').catch(() => {});
    expect(redis.commandQueue.length, 'not written yet: the connection is opening').toBe(0);
    const firstSeen = new WeakMap<object, number>();
    expect(oldestWait(redis, firstSeen, 0)).toBe(0);
    expect(oldestWait(redis, firstSeen, 250)).toBe(250);
    const cluster = new Cluster([], { lazyConnect: true });
    expect(typeof (cluster as unknown as { getInfoFromNode?: unknown }).getInfoFromNode).toBe(
      'function',
    );
    cluster.disconnect();
  });

  it('a closing connection fails its queues through `flushQueue`, written commands apart from unwritten ones (cluster/sent-commands.ts)', async () => {
    // As a Cluster's node connections: no reconnection, so a close fails every queued command.
    const { server } = await serverWithHeldReplies();
    const redis = await connected((o) => new Redis(o), server);
    failWrittenCommandsAsSent(redis);
    // One that timed out stays queued until its reply: failed again at the close.
    const stop = watchCommandTimeouts(redis, 50);
    const timedOut = redis.get('late');
    await expect(timedOut).rejects.toThrow('Command timed out');
    stop();
    const written = redis.get('held');
    await expect.poll(() => server.commands.filter((c) => c[0] === 'get').length).toBe(2);
    const again = vi.fn();
    const command = redis.commandQueue.get(0)?.command as unknown as { reject(e: Error): void };
    const reject = command.reject;
    command.reject = (error: Error) => {
      again(error.message);
      reject.call(command, error);
    };
    redis.stream.destroy();
    await expect(written, 'a written command failed without flushQueue').rejects.toThrow(
      SENT_BEFORE_CLOSE,
    );
    expect(again).toHaveBeenCalledWith(SENT_BEFORE_CLOSE);

    // Never written: its connection could not be opened (nothing listens on the port).
    const refused = await startFakeRedis(async () => undefined);
    const port = refused.port;
    await refused.close();
    const unopened = new Redis({ port, lazyConnect: true, retryStrategy: () => null });
    unopened.on('error', () => {});
    clients.push(unopened);
    failWrittenCommandsAsSent(unopened);
    const queued = unopened.get('k');
    void unopened.connect().catch(() => {});
    const error = await queued.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message, 'ioredis retries only this exact message').toBe(CONNECTION_CLOSED);
  });

  it("a Cluster sends a failed command again only for ioredis' exact closed-connection message (cluster/sent-commands.ts)", () => {
    const cluster = new Cluster([], { lazyConnect: true, retryDelayOnFailover: 100 });
    // As once connected: handleError retries a closed connection only then.
    (cluster as unknown as { status: string }).status = 'ready';
    type Handlers = Record<string, (...args: unknown[]) => void>;
    const handleError = (
      cluster as unknown as {
        handleError(error: Error, ttl: object, handlers: Handlers): void;
        delayQueue: { push(bucket: string, item: unknown, options: unknown): void };
      }
    ).handleError;
    expect(typeof handleError, 'Cluster#handleError is gone').toBe('function');
    const outcome = (message: string) => {
      let seen = 'none';
      const handlers: Handlers = {
        connectionClosed: () => {},
        defaults: () => {
          seen = 'given to the caller';
        },
        maxRedirections: () => {
          seen = 'redirections';
        },
      };
      const queue = (cluster as unknown as { delayQueue: { push: unknown } }).delayQueue;
      const push = queue.push;
      queue.push = (bucket: string) => {
        seen = `sent again (${bucket})`;
      };
      try {
        handleError.call(cluster, new Error(message), {}, handlers);
      } finally {
        queue.push = push;
      }
      return seen;
    };
    expect(outcome(CONNECTION_CLOSED)).toBe('sent again (failover)');
    expect(outcome(SENT_BEFORE_CLOSE)).toBe('given to the caller');
    expect(outcome('Command timed out')).toBe('given to the caller');
    cluster.disconnect();
  });

  it("a Cluster puts the commands of a connection that closes in `delayQueue`'s failover bucket; `execute('failover')` re-sends them on the slot map's master (cluster/client.ts resendHeldOnEnd)", async () => {
    // Node `a` holds every GET (a frozen master); node `b` answers. Both say `a` serves every
    // slot, then `b` once `promoted`.
    let promoted = false;
    const nodes: FakeRedis[] = [];
    const node = (name: 'a' | 'b') =>
      startFakeRedis((args): FakeAction => {
        const [command, sub] = args.map((a) => a.toLowerCase());
        const owner = nodes[promoted ? 1 : 0]!;
        if (command === 'cluster' && sub === 'slots') return [[0, 16383, [owner.host, owner.port]]];
        if (command === 'cluster' && sub === 'info') return 'cluster_state:ok\r\n';
        if (command === 'info') return 'loading:0\r\n'; // each node's ready check
        if (command === 'get') return name === 'a' ? 'hang' : `from ${name}`;
        return undefined;
      });
    nodes.push(await node('a'), await node('b'));
    servers.push(...nodes);
    const [a, b] = nodes as [FakeRedis, FakeRedis];
    // ioredis alone would re-send a minute later: only execute('failover') re-sends in time.
    const cluster = new Cluster([{ host: a.host, port: a.port }], {
      lazyConnect: true,
      retryDelayOnFailover: 60_000,
      redisOptions: { disconnectTimeout: 1 },
    });
    cluster.on('error', () => {});
    try {
      await cluster.connect();
      const held = cluster.get('k');
      await expect.poll(() => a.commands.some(([c]) => c?.toLowerCase() === 'get')).toBe(true);
      const old = cluster.nodes('master')[0]!;
      promoted = true;
      await new Promise((resolve) => cluster.refreshSlotsCache(resolve));
      expect(cluster.nodes('master').map((n) => n.options.port)).toEqual([b.port]);
      resendHeldOnEnd(cluster, old);
      expect(await held).toBe('from b');
    } finally {
      cluster.disconnect();
      // ioredis' own failover timer, armed when the held command failed.
      const queue = (cluster as unknown as { delayQueue: { timeouts: Record<string, unknown> } })
        .delayQueue;
      clearTimeout(queue.timeouts.failover as NodeJS.Timeout);
    }
  });

  it("a Cluster replaces a command's reject with its redirecting one as it sends it (cluster/keys.ts)", () => {
    const cluster = new Cluster([], { lazyConnect: true });
    (cluster as unknown as { status: string }).status = 'ready'; // no slot map: queued offline
    const command = new Command('get', ['k']);
    command.promise.catch(() => {});
    const own = command.reject;
    cluster.sendCommand(command);
    expect(command.reject, 'Cluster#sendCommand no longer wraps reject').not.toBe(own);
    (cluster as unknown as { status: string }).status = 'wait';
    cluster.disconnect();
  });
});
