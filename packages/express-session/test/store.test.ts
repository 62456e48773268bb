import { EventEmitter } from 'node:events';
import { type RoutedClient, SentinelKitError, type TopologyEvent } from '@sentinelkit/core';
import type { SessionData } from 'express-session';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_STORE_OPTIONS,
  escapeGlob,
  isSessionStoreError,
  resolveStoreOptions,
  SentinelStore,
  SessionStoreError,
  sessionTtlSeconds,
} from '../src/index.js';
import { ReplicatedWriter } from '../src/writer.js';

/**
 * A stand-in for a client of the contract (`RoutedClient`): records calls; `write` runs the callback against `master`
 * and then answers the WAIT as `waits` says (true: acknowledged, false: NOT_REPLICATED).
 * A stand-in, not a real node (standalone.int.test.ts runs the store on SingleNodeClient): these
 * tests choose each WAIT's outcome and count the commands per write, which a real server (with
 * replicas that acknowledge when they will) does not let a test decide.
 */
function fakeClient(options: { replicas?: number; waits?: boolean[] } = {}) {
  const emitter = new EventEmitter();
  const calls: {
    kind: 'read' | 'write';
    waitReplicas?: number | undefined;
    waitTimeout?: number | undefined;
  }[] = [];
  const waits = [...(options.waits ?? [])];
  const master = {
    pttl: vi.fn(async () => -2),
    set: vi.fn(async () => 'OK'),
    del: vi.fn(async () => 1),
    expire: vi.fn(async () => 1),
  };
  const client = {
    on: emitter.on.bind(emitter),
    off: emitter.off.bind(emitter),
    emit: emitter.emit.bind(emitter),
    topology: () => ({
      status: 'ready',
      shards: [{ master: undefined, replicas: Array.from({ length: options.replicas ?? 2 }) }],
    }),
    connect: async () => {},
    close: async () => {},
    call: async () => {
      throw new Error('call not expected');
    },
    stats: () => ({}),
    read: vi.fn(async () => {
      calls.push({ kind: 'read' });
      throw new Error('read not expected');
    }),
    write: vi.fn(
      async (
        fn: (m: typeof master) => Promise<unknown>,
        o?: { waitReplicas?: number; waitTimeout?: number },
      ) => {
        calls.push({ kind: 'write', waitReplicas: o?.waitReplicas, waitTimeout: o?.waitTimeout });
        const result = await fn(master);
        if ((o?.waitReplicas ?? 0) > 0 && waits.shift() === false) {
          // A WAIT that falls short takes its whole timeout.
          await new Promise((resolve) => setTimeout(resolve, o?.waitTimeout));
          throw new SentinelKitError('NOT_REPLICATED', 'only 1 of 2');
        }
        return result;
      },
    ),
  };
  // The contract's sweep of every master: the one master of this stand-in, as a write.
  const eachMaster = async (fn: (m: typeof master) => Promise<unknown>, o?: object) => [
    await client.write(fn, o),
  ];
  return {
    client: { ...client, eachMaster } as unknown as RoutedClient,
    calls,
    master,
    raw: client,
  };
}

const session = (extra: Record<string, unknown> = {}) =>
  ({ cookie: { originalMaxAge: 60_000, path: '/' }, ...extra }) as unknown as SessionData;

afterEach(() => {
  vi.useRealTimers();
});

describe('options', () => {
  const { client } = fakeClient();

  it('resolves the defaults, connect-redis names and meanings included', () => {
    const resolved = resolveStoreOptions({ client });
    expect(resolved).toMatchObject({
      prefix: 'sess:',
      ttl: 86_400,
      disableTTL: false,
      disableTouch: false,
      serializer: JSON,
      scanCount: 100,
      readFrom: 'replica',
      touchAfter: 0,
      maxReplicaLag: 1000,
      waitTimeout: 100,
      maxClockSkew: 250,
      maxSessionBytes: 1_048_576,
      heartbeatKey: 'sentinelkit:heartbeat',
    });
    expect(resolved.sidPattern).toBe(DEFAULT_STORE_OPTIONS.sidPattern);
  });

  // Every package describes a bad value and a misspelt option in the same words (core's
  // validate.ts, through @sentinelkit/core/internal): a long string cut to 60 characters, the
  // option one typo away suggested. The same literals are pinned in the core and each adapter.
  // (The session store refuses no unknown option: connect-redis' options pass through.)
  it('cuts a long string as the core does, and names an object without its content', () => {
    const message = (options: object) => {
      try {
        resolveStoreOptions({ client, ...options } as never);
      } catch (error) {
        expect(isSessionStoreError(error, 'INVALID_OPTION')).toBe(true);
        return (error as Error).message;
      }
      throw new Error('expected INVALID_OPTION');
    };
    const cut = message({ readFrom: 'x'.repeat(100) });
    expect(cut).toContain(`got "${'x'.repeat(57)}..."`);
    expect(cut).not.toContain('x'.repeat(58));
    expect(message({ touchAfter: { password: 'hunter2' } })).toMatch(/got an object$/);
  });

  it('a ttl of 0 means the default, as in connect-redis', () => {
    expect(resolveStoreOptions({ client, ttl: 0 }).ttl).toBe(86_400);
  });

  it.each([
    ['client', { client: undefined }],
    ['client', { client: {} }],
    ['prefix', { client, prefix: 1 }],
    ['prefix', { client, prefix: '' }],
    ['ttl', { client, ttl: 'long' }],
    ['ttl', { client, ttl: Number.POSITIVE_INFINITY }],
    ['serializer', { client, serializer: { parse: JSON.parse } }],
    ['scanCount', { client, scanCount: 1.5 }],
    ['readFrom', { client, readFrom: 'replica-only' }],
    ['touchAfter', { client, touchAfter: -1 }],
    ['maxReplicaLag', { client, maxReplicaLag: 3 }],
    ['waitTimeout', { client, waitTimeout: 0 }],
    ['maxClockSkew', { client, maxClockSkew: -1 }],
    ['maxSessionBytes', { client, maxSessionBytes: 0 }],
    ['disableTTL', { client, disableTTL: 'yes' }],
    ['disableTouch', { client, disableTouch: 'yes' }],
    ['sidPattern', { client, sidPattern: '^a$' }],
    ['sidPattern', { client, sidPattern: /a/g }],
    ['heartbeatKey', { client, heartbeatKey: '' }],
    ['heartbeatKey', { client, prefix: 'sess:', heartbeatKey: 'sess:heartbeat' }],
  ])('rejects a bad %s, naming it', (name, options) => {
    let error: unknown;
    try {
      new SentinelStore(options as never);
    } catch (e) {
      error = e;
    }
    expect(isSessionStoreError(error, 'INVALID_OPTION')).toBe(true);
    expect((error as Error).message).toContain(`"${name}"`);
  });

  it('the constructor does no I/O', () => {
    const fake = fakeClient();
    new SentinelStore({ client: fake.client });
    expect(fake.raw.read).not.toHaveBeenCalled();
    expect(fake.raw.write).not.toHaveBeenCalled();
  });
});

describe('sessionTtlSeconds (connect-redis rules)', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('from cookie.expires, rounded up', () => {
    const s = { cookie: { expires: new Date(now + 1500).toISOString() } } as unknown as SessionData;
    expect(sessionTtlSeconds(s, 100, now)).toBe(2);
  });
  it('an expired cookie gives 0 or less', () => {
    const s = { cookie: { expires: new Date(now - 5000) } } as unknown as SessionData;
    expect(sessionTtlSeconds(s, 100, now)).toBeLessThanOrEqual(0);
  });
  it('ttl when the cookie has no expires', () => {
    expect(sessionTtlSeconds({ cookie: {} } as unknown as SessionData, 100, now)).toBe(100);
  });
  it('a function wins over the cookie', () => {
    const s = { cookie: { expires: new Date(now + 1500) } } as unknown as SessionData;
    expect(sessionTtlSeconds(s, () => 7, now)).toBe(7);
  });
});

describe('bad input never reaches Redis', () => {
  it.each(['', 'has space', 'star*', 'q?', '[x]', 'new\nline', 'é', 'x'.repeat(257)])(
    'session id %j is rejected by every method, callback- and promise-style',
    async (sid) => {
      const fake = fakeClient();
      const store = new SentinelStore({ client: fake.client });
      await expect(store.get(sid)).rejects.toMatchObject({ code: 'INVALID_SESSION_ID' });
      await expect(store.set(sid, session())).rejects.toMatchObject({ code: 'INVALID_SESSION_ID' });
      await expect(store.touch(sid, session())).rejects.toMatchObject({
        code: 'INVALID_SESSION_ID',
      });
      await expect(store.destroy(sid)).rejects.toMatchObject({ code: 'INVALID_SESSION_ID' });
      const viaCallback = await new Promise((resolve) => store.get(sid, (err) => resolve(err)));
      expect(viaCallback).toBeInstanceOf(SessionStoreError);
      expect(fake.raw.read).not.toHaveBeenCalled();
      expect(fake.raw.write).not.toHaveBeenCalled();
    },
  );

  it('accepts express-session ids, UUIDs and base64', async () => {
    const fake = fakeClient({ replicas: 0 });
    const store = new SentinelStore({ client: fake.client });
    for (const sid of [
      'jKx3Qm0_r5d-LN1a2b3c4d5e6f7g8h9i',
      '0b5e9c4e-8a7d-4c1b-9f1e-2d3c4b5a6e7f',
      'YWJj+ZGVm/Z2hp==',
    ]) {
      await store.set(sid, session());
    }
    const keys = fake.master.set.mock.calls.map((call) => (call as unknown[])[0]);
    expect(keys.filter((k) => String(k).startsWith('sess:'))).toHaveLength(3);
  });

  it('a circular session fails with SERIALIZE_FAILED and writes nothing', async () => {
    const fake = fakeClient();
    const store = new SentinelStore({ client: fake.client });
    const circular = session() as SessionData & { self?: unknown };
    circular.self = circular;
    const error = await new Promise((resolve) => store.set('abc', circular, resolve));
    expect(error).toMatchObject({ code: 'SERIALIZE_FAILED', name: 'SessionStoreError' });
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(fake.raw.write).not.toHaveBeenCalled();
  });

  it('a serializer returning a non-string fails with SERIALIZE_FAILED', async () => {
    const fake = fakeClient();
    const store = new SentinelStore({
      client: fake.client,
      serializer: { parse: JSON.parse, stringify: () => undefined as unknown as string },
    });
    await expect(store.set('abc', session())).rejects.toMatchObject({ code: 'SERIALIZE_FAILED' });
  });

  it('a session over maxSessionBytes (UTF-8 bytes) fails with SESSION_TOO_LARGE', async () => {
    const fake = fakeClient();
    const store = new SentinelStore({ client: fake.client, maxSessionBytes: 200 });
    // 60 characters, 180 bytes: with the cookie it is over 200 bytes, though under 200 characters.
    await expect(store.set('abc', session({ v: '€'.repeat(60) }))).rejects.toMatchObject({
      code: 'SESSION_TOO_LARGE',
    });
    expect(fake.raw.write).not.toHaveBeenCalled();
  });
});

describe('session ids are credentials: errors never carry one whole', () => {
  const sid = 'jKx3Qm0_r5d-LN1a2b3c4d5e6f7g8h9iSECRET';

  it.each<[string, () => Promise<unknown>]>([
    [
      'SERIALIZE_FAILED (stringify throws)',
      () => {
        const store = new SentinelStore({ client: fakeClient().client });
        const circular = session() as SessionData & { self?: unknown };
        circular.self = circular;
        return store.set(sid, circular);
      },
    ],
    [
      'SERIALIZE_FAILED (not a string)',
      () =>
        new SentinelStore({
          client: fakeClient().client,
          serializer: { parse: JSON.parse, stringify: () => undefined as unknown as string },
        }).set(sid, session()),
    ],
    [
      'SESSION_TOO_LARGE',
      () =>
        new SentinelStore({ client: fakeClient().client, maxSessionBytes: 10 }).set(sid, session()),
    ],
    [
      'PARSE_FAILED',
      () => {
        const fake = fakeClient();
        fake.raw.read.mockResolvedValueOnce(['not json', null] as never);
        return new SentinelStore({ client: fake.client, readFrom: 'master' }).get(sid);
      },
    ],
    ['INVALID_SESSION_ID', () => new SentinelStore({ client: fakeClient().client }).get(`${sid} `)],
  ])('%s names the session by a prefix, its length and a hash', async (_, call) => {
    const error = (await call().then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(SessionStoreError);
    expect(error.message).not.toContain(sid);
    expect(error.message).not.toContain('SECRET');
    expect(error.message).toMatch(/"jKx3…" \(3[89] characters, sha256 [0-9a-f]{8}\)/);
  });
});

describe('PARSE_FAILED', () => {
  it("does not quote the stored value (the serializer's message may), and keeps the error's name", async () => {
    const fake = fakeClient();
    // JSON.parse quotes short input in its message: `"SECRET-sess…" is not valid JSON`.
    fake.raw.read.mockResolvedValueOnce(['SECRET-session-content', null] as never);
    const error = (await new SentinelStore({ client: fake.client, readFrom: 'master' })
      .get('jKx3sessionidforparsefailed')
      .catch((e: unknown) => e)) as SessionStoreError;
    expect(error.code).toBe('PARSE_FAILED');
    expect(error.message).not.toContain('SECRET');
    expect(error.message).toContain('SyntaxError');
    expect(String(error.cause)).not.toContain('SECRET');
  });
});

describe('connect-redis 9 drop-in', () => {
  it('exposes client, prefix, ttl, scanCount, serializer, disableTouch, disableTTL as properties', () => {
    const { client } = fakeClient();
    const serializer = { parse: JSON.parse, stringify: JSON.stringify };
    const store = new SentinelStore({
      client,
      prefix: 'app:',
      ttl: 60,
      scanCount: 10,
      serializer,
      disableTouch: true,
      disableTTL: false,
    });
    expect(store).toMatchObject({
      client,
      prefix: 'app:',
      ttl: 60,
      scanCount: 10,
      serializer,
      disableTouch: true,
      disableTTL: false,
    });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['a numeric string ttl (from an env variable)', { ttl: '3600' }, { ttl: 3600 }],
    ['scanCount 0 (the default, as in connect-redis)', { scanCount: 0 }, { scanCount: 100 }],
    ['a numeric string scanCount', { scanCount: '50' }, { scanCount: 50 }],
    ['disableTTL 1', { disableTTL: 1 }, { disableTTL: true }],
    ['disableTouch 0', { disableTouch: 0 }, { disableTouch: false }],
    ['disableTTL null', { disableTTL: null }, { disableTTL: false }],
  ])('accepts what connect-redis accepts unambiguously: %s', (_, given, resolved) => {
    const store = new SentinelStore({ client: fakeClient().client, ...given } as never);
    expect(store).toMatchObject(resolved);
  });

  it.each<[string, Record<string, unknown>]>([
    ['ttl', { ttl: '1h' }],
    ['disableTTL', { disableTTL: 'false' }],
    ['disableTouch', { disableTouch: 2 }],
    ['scanCount', { scanCount: -1 }],
  ])('refuses an ambiguous %s, naming it', (name, given) => {
    expect(() => new SentinelStore({ client: fakeClient().client, ...given } as never)).toThrow(
      `"${name}"`,
    );
  });

  it('callbacks get what connect-redis 9 passes: (null, null) on success, (null, value), (error, null)', async () => {
    const fake = fakeClient({ replicas: 0 });
    fake.raw.read.mockResolvedValueOnce([null] as never);
    const store = new SentinelStore({ client: fake.client, readFrom: 'master' });
    const args = (call: (cb: (...a: unknown[]) => void) => unknown) =>
      new Promise<unknown[]>((resolve) => call((...a) => resolve(a)));
    expect(await args((cb) => store.get('abc', cb))).toEqual([null, null]);
    expect(await args((cb) => store.set('abc', session(), cb))).toEqual([null, null]);
    expect(await args((cb) => store.destroy('abc', cb))).toEqual([null, null]);
    expect(await args((cb) => store.touch('abc', session(), cb))).toEqual([null, null]);
    const failed = await args((cb) => store.get('bad id', cb));
    expect(failed).toHaveLength(2);
    expect(failed[0]).toBeInstanceOf(SessionStoreError);
    expect(failed[1]).toBeNull();
  });
});

describe('events', () => {
  // Regression: the store emitted 'disconnect' on every MASTER_LOST, so during an
  // ordinary failover express-session served requests without a session (users
  // looked logged out), although reads work from replicas and writes wait.
  it('a failover alone does not disconnect; giving up does, and a new master reconnects', async () => {
    const fake = fakeClient();
    const store = new SentinelStore({ client: fake.client });
    const seen: string[] = [];
    store.on('disconnect', () => seen.push('disconnect'));
    store.on('connect', () => seen.push('connect'));
    const lost: TopologyEvent = {
      type: 'MASTER_LOST',
      previous: { host: '127.0.0.1', port: 1 },
      reason: 'connection-lost',
    };
    const change: TopologyEvent = {
      type: 'MASTER_CHANGE',
      previous: undefined,
      current: { host: '127.0.0.1', port: 2 },
      reason: 'reconnect',
      switchedAt: 0,
      timings: undefined,
    };
    fake.raw.emit('topology-change', lost);
    fake.raw.emit('topology-change', change);
    expect(seen).toEqual([]);

    // The client gave up: no master within its failoverTimeout.
    fake.raw.read.mockRejectedValueOnce(new SentinelKitError('MASTER_UNAVAILABLE', 'no master'));
    fake.raw.read.mockRejectedValueOnce(new SentinelKitError('MASTER_UNAVAILABLE', 'no master'));
    await expect(store.get('abc')).rejects.toMatchObject({ code: 'MASTER_UNAVAILABLE' });
    expect(seen).toEqual(['disconnect']);
    fake.raw.emit('topology-change', change);
    fake.raw.emit('topology-change', change);
    expect(seen).toEqual(['disconnect', 'connect']);
    store.close();
  });
});

describe('ReplicatedWriter', () => {
  const settings = { waitTimeout: 100, maxReplicaLag: 1000, maxClockSkew: 250 };
  const job = async () => 'OK';

  it('writes arriving together share one WAIT for every replica in rotation', async () => {
    const fake = fakeClient({ replicas: 2 });
    const writer = new ReplicatedWriter(fake.client, settings);
    await Promise.all(Array.from({ length: 20 }, () => writer.write(job)));
    expect(fake.calls.length).toBeLessThanOrEqual(2);
    expect(fake.calls[0]).toMatchObject({ kind: 'write', waitReplicas: 2, waitTimeout: 100 });
    expect(writer.counters).toMatchObject({ acknowledged: fake.calls.length, stalled: 0 });
  });

  it('with no replica in rotation, no WAIT', async () => {
    const fake = fakeClient({ replicas: 0 });
    const writer = new ReplicatedWriter(fake.client, settings);
    await writer.write(job);
    expect(fake.calls).toEqual([{ kind: 'write', waitReplicas: 0, waitTimeout: 100 }]);
  });

  it('after a shortfall, a write waits maxReplicaLag + maxClockSkew, re-WAITing meanwhile', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    // The first WAIT falls short; every re-WAIT falls short too.
    const fake = fakeClient({ replicas: 2, waits: Array(1000).fill(false) });
    const writer = new ReplicatedWriter(fake.client, settings);
    let answered = false;
    const done = writer.write(job).then(() => {
      answered = true;
    });
    // The first WAIT takes its 100 ms, then 1250 ms from when the write ran.
    await vi.advanceTimersByTimeAsync(1249);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    await done;
    expect(writer.counters.stalled).toBe(1);
    expect(fake.calls.length).toBeGreaterThan(5);
    // Re-WAITs never ask for more than waitTimeout.
    expect(fake.calls.every((c) => (c.waitTimeout ?? 0) <= 100)).toBe(true);
  });

  it('after a shortfall, a later WAIT that every replica acknowledges answers at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const fake = fakeClient({ replicas: 2, waits: [false, false, true] });
    const writer = new ReplicatedWriter(fake.client, settings);
    let answered = false;
    const done = writer.write(job).then(() => {
      answered = true;
    });
    await vi.advanceTimersByTimeAsync(200);
    await done;
    expect(answered).toBe(true);
    expect(fake.calls).toHaveLength(3);
    expect(writer.counters).toMatchObject({ shortfalls: 2, acknowledged: 1, stalled: 1 });
  });

  it('writes that arrive during a stall are not held by it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const fake = fakeClient({ replicas: 2, waits: [false, true] });
    const writer = new ReplicatedWriter(fake.client, settings);
    const first = writer.write(job);
    await vi.advanceTimersByTimeAsync(100);
    let second = false;
    const later = writer.write(job).then(() => {
      second = true;
    });
    await vi.advanceTimersByTimeAsync(1);
    await later;
    await first;
    expect(second).toBe(true);
  });

  it('an error of the write itself fails that write only', async () => {
    const fake = fakeClient({ replicas: 2 });
    const writer = new ReplicatedWriter(fake.client, settings);
    const failing = async () => {
      throw new Error('WRONGTYPE');
    };
    const results = await Promise.allSettled([writer.write(failing), writer.write(job)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
  });

  it('without a master, the batch fails and nothing spins', async () => {
    const fake = fakeClient({ replicas: 2 });
    fake.raw.write.mockImplementation(async () => {
      throw new SentinelKitError('MASTER_UNAVAILABLE', 'no master');
    });
    const writer = new ReplicatedWriter(fake.client, settings);
    await expect(writer.write(job)).rejects.toMatchObject({ code: 'MASTER_UNAVAILABLE' });
    expect(fake.raw.write).toHaveBeenCalledTimes(1);
  });
});

describe('escapeGlob', () => {
  it('escapes SCAN MATCH specials so a prefix matches itself only', () => {
    expect(escapeGlob('app[1]:*?\\')).toBe('app\\[1\\]:\\*\\?\\\\');
    expect(escapeGlob('sess:')).toBe('sess:');
  });
});
