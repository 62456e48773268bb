/**
 * The express-session store compliance suite, written once and run against every store
 * (the keyv test-suite pattern): `sessionStoreSuite(name, () => factory)`.
 *
 * It checks the Store contract express-session relies on (get/set/destroy/touch/all/length/
 * clear/ids, each callback- and promise-style) and connect-redis' options with their meanings
 * (prefix, ttl as a number or a function, disableTTL, disableTouch, serializer, scanCount), by
 * looking at what the store left on the master. Run against connect-redis, it shows the suite
 * asks nothing connect-redis does not do; run against a store, that it is a drop-in.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import session, { type SessionData, type Store } from 'express-session';
import request from 'supertest';
import { describe, expect, it } from 'vitest';

/** The methods the suite calls: express-session's Store plus connect-redis' `ids`. */
export type SuiteStore = Store & {
  get(sid: string, cb?: (err: unknown, s?: SessionData | null) => void): Promise<unknown>;
  set(sid: string, s: SessionData, cb?: (err?: unknown) => void): Promise<unknown>;
  destroy(sid: string, cb?: (err?: unknown) => void): Promise<unknown>;
  touch(sid: string, s: SessionData, cb?: (err?: unknown) => void): Promise<unknown>;
  all(cb?: (err: unknown, s?: unknown) => void): Promise<unknown>;
  length(cb?: (err: unknown, n?: number) => void): Promise<unknown>;
  clear(cb?: (err?: unknown) => void): Promise<unknown>;
  ids(cb?: (err: unknown, ids?: string[]) => void): Promise<unknown>;
};

/** connect-redis' options, which every store under test accepts with the same meaning. */
export interface SuiteStoreOptions {
  prefix?: string;
  ttl?: number | ((s: SessionData) => number);
  disableTTL?: boolean;
  disableTouch?: boolean;
  serializer?: { parse(text: string): SessionData; stringify(s: SessionData): string };
  scanCount?: number;
  /** Options only some stores have (gated by `capabilities`). */
  [extra: string]: unknown;
}

/** Direct access to the master, bypassing the store under test. */
export interface MasterView {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  pttl(key: string): Promise<number>;
  exists(key: string): Promise<number>;
}

export interface SessionStoreFactory {
  /** A new store with these options (the suite always gives a `prefix` unless it tests the default). */
  create(options: SuiteStoreOptions): SuiteStore;
  master: MasterView;
}

/** What a store promises beyond connect-redis; each adds the tests of that promise. */
export interface StoreCapabilities {
  /**
   * Rejects malformed session ids (`INVALID_SESSION_ID`) and sessions larger than the option
   * `maxSessionBytes` (`SESSION_TOO_LARGE`), writing nothing.
   */
  validatesInput?: boolean;
}

const DAY = 86_400;

/** A session as express-session hands it to a store: plain data and a cookie. */
export function sessionData(extra: Record<string, unknown> = {}, maxAgeMs?: number): SessionData {
  const cookie: Record<string, unknown> = { originalMaxAge: maxAgeMs ?? null, path: '/' };
  if (maxAgeMs !== undefined) cookie.expires = new Date(Date.now() + maxAgeMs).toISOString();
  return { cookie, ...extra } as unknown as SessionData;
}

const sid = () => randomBytes(18).toString('base64url');
const prefix = () => `t${randomBytes(4).toString('hex')}:`;

/** Calls a store method in callback style; resolves with the callback's value, rejects with its error. */
function viaCallback<T>(
  call: (cb: (err: unknown, value?: T) => void) => unknown,
): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    call((err, value) => (err ? reject(err) : resolve(value)));
  });
}

export function sessionStoreSuite(
  name: string,
  factory: () => SessionStoreFactory,
  capabilities: StoreCapabilities = {},
): void {
  describe(`express-session store compliance: ${name}`, () => {
    const store = (options: SuiteStoreOptions = {}) =>
      factory().create({ prefix: prefix(), ...options });
    const master = () => factory().master;
    const prefixOf = (s: SuiteStore) => (s as unknown as { prefix?: string }).prefix;

    describe('get / set / destroy', () => {
      it('get of an unknown session is null, promise- and callback-style', async () => {
        const s = store();
        expect(await s.get(sid())).toBeNull();
        expect(await viaCallback((cb) => s.get(sid(), cb))).toBeNull();
      });

      it('set then get returns the session, promise- and callback-style', async () => {
        const s = store();
        const a = sid();
        const b = sid();
        await s.set(a, sessionData({ user: 'ada', n: 1 }, 60_000));
        await viaCallback((cb) => s.set(b, sessionData({ user: 'bob' }, 60_000), cb));
        expect(await s.get(a)).toMatchObject({ user: 'ada', n: 1, cookie: { path: '/' } });
        expect(await viaCallback((cb) => s.get(b, cb))).toMatchObject({ user: 'bob' });
      });

      it('set overwrites, destroy deletes (also an unknown id), both styles', async () => {
        const s = store();
        const a = sid();
        await s.set(a, sessionData({ v: 1 }, 60_000));
        await s.set(a, sessionData({ v: 2 }, 60_000));
        expect(await s.get(a)).toMatchObject({ v: 2 });
        await s.destroy(a);
        expect(await s.get(a)).toBeNull();
        await viaCallback((cb) => s.destroy(sid(), cb));
        const b = sid();
        await s.set(b, sessionData({ v: 3 }, 60_000));
        await viaCallback((cb) => s.destroy(b, cb));
        expect(await s.get(b)).toBeNull();
      });

      it('stores under <prefix><sid>, with "sess:" by default', async () => {
        const a = sid();
        const s = factory().create({});
        await s.set(a, sessionData({ v: 1 }, 60_000));
        expect(await master().exists(`sess:${a}`)).toBe(1);
        await s.destroy(a);
        expect(await master().exists(`sess:${a}`)).toBe(0);
        const p = store();
        await p.set(a, sessionData({ v: 1 }, 60_000));
        expect(await master().exists(`${prefixOf(p)}${a}`)).toBe(1);
      });

      it('many sessions written and read concurrently stay distinct', async () => {
        const s = store();
        const ids = Array.from({ length: 100 }, sid);
        await Promise.all(ids.map((id, i) => s.set(id, sessionData({ i }, 60_000))));
        const read = await Promise.all(ids.map((id) => s.get(id)));
        for (const [i, value] of read.entries()) expect(value).toMatchObject({ i });
      });
    });

    describe('TTL', () => {
      it('comes from cookie.expires, in whole seconds rounded up', async () => {
        const s = store();
        const a = sid();
        await s.set(a, sessionData({}, 90_500));
        const pttl = await master().pttl(`${prefixOf(s)}${a}`);
        expect(pttl).toBeGreaterThan(88_000);
        expect(pttl).toBeLessThanOrEqual(91_000);
      });

      it('is `ttl` seconds (default 86400) when the cookie has no expires', async () => {
        const a = sid();
        const byDefault = store();
        await byDefault.set(a, sessionData({}));
        expect(await master().pttl(`${prefixOf(byDefault)}${a}`)).toBeGreaterThan((DAY - 5) * 1000);
        const custom = store({ ttl: 120 });
        await custom.set(a, sessionData({}));
        const pttl = await master().pttl(`${prefixOf(custom)}${a}`);
        expect(pttl).toBeGreaterThan(115_000);
        expect(pttl).toBeLessThanOrEqual(120_000);
      });

      it('a ttl function of the session wins over the cookie', async () => {
        const s = store({ ttl: (sess) => ((sess as { vip?: boolean }).vip ? 300 : 30) });
        const vip = sid();
        const other = sid();
        await s.set(vip, sessionData({ vip: true }, 60_000));
        await s.set(other, sessionData({ vip: false }, 60_000));
        const p = prefixOf(s);
        expect(await master().pttl(`${p}${vip}`)).toBeGreaterThan(295_000);
        expect(await master().pttl(`${p}${other}`)).toBeLessThanOrEqual(30_000);
      });

      it('a session whose cookie has expired is deleted, not stored', async () => {
        const s = store();
        const a = sid();
        await s.set(a, sessionData({ v: 1 }, 60_000));
        await s.set(a, sessionData({ v: 2 }, -1000));
        expect(await s.get(a)).toBeNull();
        expect(await master().exists(`${prefixOf(s)}${a}`)).toBe(0);
      });

      it('disableTTL stores without expiry and makes touch a no-op; an expired cookie still deletes', async () => {
        const s = store({ disableTTL: true });
        const a = sid();
        await s.set(a, sessionData({}, 60_000));
        const key = `${prefixOf(s)}${a}`;
        expect(await master().pttl(key)).toBe(-1);
        await s.touch(a, sessionData({}, 60_000));
        expect(await master().pttl(key)).toBe(-1);
        await s.set(a, sessionData({}, -1000));
        expect(await master().exists(key)).toBe(0);
      });
    });

    describe('touch', () => {
      it('moves the expiry forward without rewriting the session, both styles', async () => {
        const s = store();
        const a = sid();
        const key = `${prefixOf(s)}${a}`;
        await s.set(a, sessionData({ v: 'stored' }, 20_000));
        expect(await master().pttl(key)).toBeLessThanOrEqual(20_000);
        // A touch carries the request's copy; a concurrent request may have changed the stored one.
        await s.touch(a, sessionData({ v: 'stale copy' }, 600_000));
        expect(await master().pttl(key)).toBeGreaterThan(590_000);
        await viaCallback((cb) => s.touch(a, sessionData({ v: 'stale copy' }, 900_000), cb));
        expect(await master().pttl(key)).toBeGreaterThan(890_000);
        expect(await s.get(a)).toMatchObject({ v: 'stored' });
      });

      it('disableTouch leaves the expiry alone', async () => {
        const s = store({ disableTouch: true });
        const a = sid();
        const key = `${prefixOf(s)}${a}`;
        await s.set(a, sessionData({}, 20_000));
        await s.touch(a, sessionData({}, 600_000));
        expect(await master().pttl(key)).toBeLessThanOrEqual(20_000);
      });
    });

    describe('all / ids / length / clear, within the prefix only', () => {
      it('list exactly the sessions under the prefix, both styles', async () => {
        const s = store();
        const neighbour = store();
        const ids = [sid(), sid(), sid()];
        for (const [i, id] of ids.entries()) await s.set(id, sessionData({ i }, 60_000));
        await neighbour.set(sid(), sessionData({ other: true }, 60_000));
        await master().set(`x${prefixOf(s)}${sid()}`, 'not a session');

        expect(await s.length()).toBe(3);
        expect(await viaCallback<number>((cb) => s.length(cb))).toBe(3);
        expect([...((await s.ids()) as string[])].sort()).toEqual([...ids].sort());
        expect([...((await viaCallback<string[]>((cb) => s.ids(cb))) as string[])].sort()).toEqual(
          [...ids].sort(),
        );
        const all = (await s.all()) as (SessionData & { id: string; i: number })[];
        expect(all.map((x) => x.id).sort()).toEqual([...ids].sort());
        for (const x of all) expect(x.i).toBe(ids.indexOf(x.id));
        const viaCb = (await viaCallback<unknown>((cb) => s.all(cb))) as unknown[];
        expect(viaCb).toHaveLength(3);
      });

      it('an empty prefix lists nothing', async () => {
        const s = store();
        expect(await s.length()).toBe(0);
        expect(await s.ids()).toEqual([]);
        expect(await s.all()).toEqual([]);
      });

      it('scanCount of 2 still finds all 25 sessions', async () => {
        const s = store({ scanCount: 2 });
        const ids = Array.from({ length: 25 }, sid);
        await Promise.all(ids.map((id) => s.set(id, sessionData({}, 60_000))));
        expect(await s.length()).toBe(25);
        expect(((await s.ids()) as string[]).sort()).toEqual([...ids].sort());
        expect(await s.all()).toHaveLength(25);
      });

      it('clear deletes the sessions under the prefix and nothing else, both styles', async () => {
        const s = store();
        const neighbour = store();
        const kept = sid();
        await neighbour.set(kept, sessionData({ kept: true }, 60_000));
        const foreign = `x${prefixOf(s)}${sid()}`;
        await master().set(foreign, 'not a session');
        for (let i = 0; i < 5; i++) await s.set(sid(), sessionData({ i }, 60_000));
        expect(await s.length()).toBe(5);
        await s.clear();
        expect(await s.length()).toBe(0);
        await s.set(sid(), sessionData({}, 60_000));
        await viaCallback((cb) => s.clear(cb));
        expect(await s.length()).toBe(0);
        expect(await neighbour.get(kept)).toMatchObject({ kept: true });
        expect(await master().get(foreign)).toBe('not a session');
      });
    });

    describe('serializer', () => {
      const reversed = {
        stringify: (s: SessionData) => JSON.stringify(s).split('').reverse().join(''),
        parse: (text: string) => JSON.parse(text.split('').reverse().join('')) as SessionData,
      };

      it('stores what stringify returns and reads it back with parse', async () => {
        const s = store({ serializer: reversed });
        const a = sid();
        await s.set(a, sessionData({ user: 'ada' }, 60_000));
        const raw = await master().get(`${prefixOf(s)}${a}`);
        expect(raw?.startsWith('}')).toBe(true);
        expect(await s.get(a)).toMatchObject({ user: 'ada' });
        expect(await s.all()).toMatchObject([{ user: 'ada', id: a }]);
      });

      it('by default stores plain JSON, readable by any connect-redis-compatible store', async () => {
        const s = store();
        const a = sid();
        await s.set(a, sessionData({ user: 'ada' }, 60_000));
        expect(JSON.parse((await master().get(`${prefixOf(s)}${a}`)) ?? 'null')).toMatchObject({
          user: 'ada',
        });
      });
    });

    describe('bad input: a clear error through the callback, nothing else disturbed', () => {
      it('a session that cannot be serialized (circular) fails, nothing is written', async () => {
        const s = store();
        const good = sid();
        await s.set(good, sessionData({ ok: true }, 60_000));
        const bad = sid();
        const circular = sessionData({ ok: false }) as SessionData & { self?: unknown };
        circular.self = circular;
        const error = await viaCallback((cb) => s.set(bad, circular, cb)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect(String((error as Error).message)).toMatch(/circular/i);
        expect(await master().exists(`${prefixOf(s)}${bad}`)).toBe(0);
        expect(await s.get(good)).toMatchObject({ ok: true });
        expect(await s.length()).toBe(1);
      });

      it('a stored value the serializer cannot parse fails that get only', async () => {
        const s = store();
        const bad = sid();
        const good = sid();
        await master().set(`${prefixOf(s)}${bad}`, '{not json');
        await s.set(good, sessionData({ ok: true }, 60_000));
        const error = await viaCallback((cb) => s.get(bad, cb)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect(await s.get(good)).toMatchObject({ ok: true });
      });

      it('with a callback, an error goes to the callback and the returned promise does not reject', async () => {
        const s = store();
        const circular = sessionData() as SessionData & { self?: unknown };
        circular.self = circular;
        let seen: unknown;
        await s.set(sid(), circular, (err) => {
          seen = err;
        });
        expect(seen).toBeInstanceOf(Error);
      });

      // Registered only for stores that promise it: connect-redis accepts any id and size.
      if (capabilities.validatesInput) {
        it('malformed session ids are rejected before Redis is asked', async () => {
          const s = store();
          const bad = ['', 'a b', 'a*', 'x'.repeat(257), 'line\nbreak', 'é', 'a\u0000b'];
          for (const id of bad) {
            for (const call of [
              (cb: (e: unknown) => void) => s.get(id, cb),
              (cb: (e: unknown) => void) => s.set(id, sessionData({}, 60_000), cb),
              (cb: (e: unknown) => void) => s.touch(id, sessionData({}, 60_000), cb),
              (cb: (e: unknown) => void) => s.destroy(id, cb),
            ]) {
              const error = await viaCallback(call).catch((e: unknown) => e);
              expect(error).toMatchObject({ code: 'INVALID_SESSION_ID' });
              expect(String((error as Error).message)).toMatch(/sidPattern/);
            }
          }
          expect(await s.length()).toBe(0);
        });

        it('a session over maxSessionBytes fails with SESSION_TOO_LARGE', async () => {
          const s = store({ maxSessionBytes: 4096 });
          const small = sid();
          await s.set(small, sessionData({ v: 'x'.repeat(1000) }, 60_000));
          const huge = sid();
          const error = await viaCallback((cb) =>
            s.set(huge, sessionData({ v: 'x'.repeat(5000) }, 60_000), cb),
          ).catch((e: unknown) => e);
          expect(error).toMatchObject({ code: 'SESSION_TOO_LARGE' });
          expect(String((error as Error).message)).toMatch(/maxSessionBytes/);
          expect(await master().exists(`${prefixOf(s)}${huge}`)).toBe(0);
          expect(await s.get(small)).toMatchObject({ v: 'x'.repeat(1000) });
        });
      }
    });

    describe('under express-session', () => {
      it('login, read, logout through real requests', async () => {
        const s = store();
        const app = express();
        app.use(
          // express-session's types are written against @types/express 5; the tests run express 4.
          session({
            store: s,
            secret: 'compliance',
            resave: false,
            saveUninitialized: false,
            cookie: { maxAge: 60_000 },
          }) as unknown as express.RequestHandler,
        );
        app.post('/login', (req, res) => {
          (req.session as unknown as { user: string }).user = 'ada';
          res.redirect('/me');
        });
        app.get('/me', (req, res) => {
          res.json({ user: (req.session as unknown as { user?: string }).user ?? null });
        });
        app.post('/logout', (req, res, next) => {
          req.session.destroy((err) => (err ? next(err) : res.json({ ok: true })));
        });
        const agent = request.agent(app);
        expect((await agent.get('/me')).body).toEqual({ user: null });
        expect(await s.length()).toBe(0); // saveUninitialized: false
        const login = await agent.post('/login');
        expect(login.status).toBe(302);
        expect((await agent.get('/me')).body).toEqual({ user: 'ada' });
        expect(await s.length()).toBe(1);
        await agent.post('/logout');
        expect((await agent.get('/me')).body).toEqual({ user: null });
        expect(await s.length()).toBe(0);
      });
    });
  });
}
