import { createKeyv } from '@sentinelkit/cache-manager';
import type { SentinelClient } from '@sentinelkit/core';
import { SentinelStore } from '@sentinelkit/express-session';
import { createCache } from 'cache-manager';
import express, { type Express } from 'express';
import session from 'express-session';

declare module 'express-session' {
  interface SessionData {
    user?: string;
    visits?: number;
  }
}

export interface ExampleApp {
  app: Express;
  /** How many times the slow computation behind `/items/:id` actually ran (cache misses). */
  computations(): number;
  /** Releases the app's hold on the client (the client itself is the caller's to close). */
  close(): Promise<void>;
}

/**
 * The example app: sessions in Redis through `SentinelStore`, and a cached
 * route through cache-manager 7 with the Sentinel Keyv store, both on one
 * shared Sentinel client.
 *
 * - `POST /login?user=…` starts a session and redirects to `/me`
 * - `GET /me` shows who is logged in (401 when nobody is) and counts visits
 * - `POST /logout` ends the session
 * - `GET /items/:id` serves a slow computation, cached for 10 s
 */
export function createExampleApp(client: SentinelClient): ExampleApp {
  const store = new SentinelStore({ client, prefix: 'example:sess:' });
  const cache = createCache({ stores: [createKeyv(client, { namespace: 'example' })] });
  let computations = 0;

  const app = express();
  app.use(
    session({
      store,
      secret: 'sentinelkit example: not a secret',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 60 * 60 * 1000 },
    }),
  );

  app.post('/login', (req, res, next) => {
    const user = String(req.query.user ?? '');
    if (!/^[\w.-]{1,64}$/.test(user)) {
      res.status(400).json({ error: 'user must be 1-64 letters, digits, ".", "_" or "-"' });
      return;
    }
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.user = user;
      req.session.visits = 0;
      // Save before redirecting: the next request must find the session.
      req.session.save((saveError) => (saveError ? next(saveError) : res.redirect(303, '/me')));
    });
  });

  app.get('/me', (req, res) => {
    if (!req.session.user) {
      res.status(401).json({ error: 'not logged in' });
      return;
    }
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.json({ user: req.session.user, visits: req.session.visits });
  });

  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.status(204).end()));
  });

  app.get('/items/:id', async (req, res, next) => {
    try {
      const id = req.params.id;
      const item = await cache.wrap(
        `item:${id}`,
        async () => {
          computations++;
          return { id, computedAt: Date.now() };
        },
        10_000,
      );
      res.json(item);
    } catch (error) {
      next(error);
    }
  });

  return {
    app,
    computations: () => computations,
    async close() {
      store.close();
      await cache.disconnect().catch(() => undefined);
    },
  };
}
