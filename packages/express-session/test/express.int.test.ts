import { createSentinelClient, type SentinelClient } from '@sentinelkit/core';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import express, { type Express } from 'express';
import session from 'express-session';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SentinelStore } from '../src/index.js';
import {
  breakReplicationLink,
  nextTopologyEvent,
  onNode,
  until,
  untilReplicaCount,
} from './helpers.js';

declare module 'express-session' {
  interface SessionData {
    user?: string;
    cart?: string[];
  }
}

/** The app under test: what a real one does with sessions. Two instances play two processes. */
function createApp(store: SentinelStore): Express {
  const app = express();
  app.use(
    // express-session's types are written against @types/express 5; the tests run express 4.
    session({
      store,
      secret: 'integration',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 3_600_000 },
    }) as unknown as express.RequestHandler,
  );
  // While the store says it is disconnected, express-session gives no session: say so rather
  // than treat the user as logged out.
  app.use((req, res, next) => {
    if (!req.session) res.status(503).json({ error: 'sessions unavailable, retry' });
    else next();
  });
  app.post('/login', (req, res, next) => {
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.user = String(req.query.user);
      req.session.cart = [];
      res.redirect('/me');
    });
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.session.user ?? null, cart: req.session.cart ?? [] });
  });
  app.post('/cart/:item', (req, res) => {
    req.session.cart = [...(req.session.cart ?? []), req.params.item];
    res.json({ cart: req.session.cart });
  });
  return app;
}

const cookieOf = (res: request.Response): string => {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  const cookie = header?.[0]?.split(';')[0];
  if (!cookie) throw new Error(`no session cookie in the response (status ${res.status})`);
  return cookie;
};

/** The session id inside a signed `connect.sid=s%3A<sid>.<signature>` cookie. */
const sidOf = (cookie: string): string =>
  decodeURIComponent(cookie.split('=')[1] ?? '')
    .slice(2)
    .split('.')[0]!;

describe('express-session with SentinelStore: two app processes, one Sentinel deployment', () => {
  let topology: SentinelTopology;
  let clientA: SentinelClient;
  let clientB: SentinelClient;
  let storeA: SentinelStore;
  let storeB: SentinelStore;
  let appA: Express;
  let appB: Express;

  beforeAll(async () => {
    topology = await startSentinelTopology();
    // Each app has its own client, as two processes would; default settings everywhere.
    clientA = createSentinelClient(topology.location);
    clientB = createSentinelClient(topology.location);
    await Promise.all([clientA.connect(), clientB.connect()]);
    storeA = new SentinelStore({ client: clientA });
    storeB = new SentinelStore({ client: clientB });
    appA = createApp(storeA);
    appB = createApp(storeB);
  });

  afterAll(async () => {
    await clientA?.close();
    await clientB?.close();
    await topology?.stop();
  });

  beforeEach(async () => {
    await untilReplicaCount(clientA, 2);
    await untilReplicaCount(clientB, 2);
  });

  it('login → redirect → read, and update → read, on the other process while a replica lags', async () => {
    // The reading process must keep the lagging replica in its rotation for its reads to meet
    // the rule: Sentinel reports the broken link within ~10 s and a client polling every second
    // would then stop reading from it. This process polls Sentinel once a minute (nothing else
    // differs from B), so the replica stays in its rotation for the whole test.
    const clientC = createSentinelClient(topology.location, { sentinelPollInterval: 60_000 });
    await clientC.connect();
    const storeC = new SentinelStore({ client: clientC });
    const appC = createApp(storeC);
    const lagging = (await topology.replicas())[0]!;
    const inRotation = () =>
      clientC.topology().replicas.some((r) => r.address.port === lagging.port);
    const rereads = () => storeC.stats().rereads.miss + storeC.stats().rereads.stale;
    await untilReplicaCount(clientC, 2);
    const mend = await breakReplicationLink(topology, lagging);
    try {
      const login = await request(appA).post('/login?user=ada');
      expect(login.status).toBe(302);
      expect(login.headers.location).toBe('/me');
      const cookie = cookieOf(login);
      // The redirect lands on the other process. Reads go on (20 at least) until one has landed
      // on the lagging replica, found no session there and been re-read from the master.
      let before = rereads();
      let reads = 0;
      await until('a read to land on the lagging replica and be re-read', async () => {
        const me = await request(appC).get('/me').set('Cookie', cookie);
        expect(me.body).toEqual({ user: 'ada', cart: [] });
        return ++reads >= 20 && rereads() > before;
      });
      const add = await request(appA).post('/cart/apple').set('Cookie', cookie);
      expect(add.body).toEqual({ cart: ['apple'] });
      before = rereads();
      reads = 0;
      await until(
        'a read after the update to land on the lagging replica and be re-read',
        async () => {
          const me = await request(appC).get('/me').set('Cookie', cookie);
          expect(me.body).toEqual({ user: 'ada', cart: ['apple'] });
          return ++reads >= 20 && rereads() > before;
        },
      );
      // The lag was real: the replica never got the session, and it was read from all along.
      expect(await onNode(topology, lagging, 'GET', `sess:${sidOf(cookie)}`)).toBeNull();
      expect(inRotation()).toBe(true);
    } finally {
      storeC.close();
      await clientC.close();
      await mend();
    }
  });

  it('login → redirect → read, and update → read, on the other process while a replica is frozen', async () => {
    const frozen = (await topology.replicas())[1]!;
    await topology.freeze(frozen);
    try {
      const login = await request(appA).post('/login?user=grace');
      expect(login.status).toBe(302);
      const cookie = cookieOf(login);
      const me = await request(appB).get('/me').set('Cookie', cookie);
      expect(me.body).toEqual({ user: 'grace', cart: [] });
      await request(appA).post('/cart/pear').set('Cookie', cookie).expect(200);
      for (let i = 0; i < 10; i++) {
        const again = await request(appB).get('/me').set('Cookie', cookie);
        expect(again.body).toEqual({ user: 'grace', cart: ['pear'] });
      }
    } finally {
      await topology.thaw(frozen);
    }
  });

  it('a failover in the middle of a session flow does not log anyone out; sessions written before the kill are read after', async () => {
    const users = ['u0', 'u1', 'u2', 'u3', 'u4'];
    const cookies = new Map<string, string>();
    for (const user of users) {
      cookies.set(user, cookieOf(await request(appA).post(`/login?user=${user}`)));
    }
    const ada = cookieOf(await request(appA).post('/login?user=ada'));
    await request(appA).post('/cart/apple').set('Cookie', ada).expect(200);

    const events: string[] = [];
    storeA.on('disconnect', () => events.push('disconnect'));
    storeA.on('connect', () => events.push('connect'));

    // Requests keep coming through the failover, on both processes.
    const seen: { status: number; user: unknown; at: number }[] = [];
    let running = true;
    const browse = async (app: Express) => {
      while (running) {
        const res = await request(app).get('/me').set('Cookie', ada);
        seen.push({ status: res.status, user: res.body.user, at: Date.now() });
      }
    };
    const browsers = [browse(appA), browse(appB)];

    const changedA = nextTopologyEvent(clientA, (e) => e.type === 'MASTER_CHANGE', 30_000);
    const changedB = nextTopologyEvent(clientB, (e) => e.type === 'MASTER_CHANGE', 30_000);
    const killed = await topology.killMaster();
    const { master } = await topology.waitForSwitch();
    await Promise.all([changedA, changedB]);
    await until('both clients to write to the new master', async () =>
      [clientA, clientB].every((c) => c.topology().master?.address.port === master.port),
    );
    const switchedAt = Date.now();
    // Keep browsing until each process has served the session again after the switch.
    await until('requests after the switch', async () =>
      seen.some((s) => s.at > switchedAt && s.status === 200),
    );
    running = false;
    await Promise.all(browsers);

    expect(killed.port).not.toBe(master.port);
    // Nobody looked logged out, and no request failed: reads came from replicas,
    // writes waited for the new master, and the store never had to disconnect.
    expect(seen.filter((s) => s.status !== 200 || s.user !== 'ada')).toEqual([]);
    expect(seen.length).toBeGreaterThan(0);
    expect(events).toEqual([]);

    // The flow goes on after the failover, across processes.
    await request(appA).post('/cart/banana').set('Cookie', ada).expect(200);
    const me = await request(appB).get('/me').set('Cookie', ada);
    expect(me.body).toEqual({ user: 'ada', cart: ['apple', 'banana'] });
    // Every session written before the kill is there.
    for (const user of users) {
      const res = await request(appB).get('/me').set('Cookie', cookies.get(user)!);
      expect(res.body).toEqual({ user, cart: [] });
    }
  });
});
