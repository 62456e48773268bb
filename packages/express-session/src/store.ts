import type { SentinelClient, TopologyEvent } from '@sentinelkit/core';
import { type SessionData, Store } from 'express-session';
import { TickBatch } from './batch.js';
import { describeSessionId, SessionStoreError } from './errors.js';
import {
  type ResolvedSentinelStoreOptions,
  resolveStoreOptions,
  type SentinelStoreOptions,
  type SessionSerializer,
  sessionTtlSeconds,
} from './options.js';
import { type Connection, ReplicatedWriter } from './writer.js';

/** Node-style callback of the store methods. */
export type StoreCallback<T> = (error: unknown, value?: T) => void;

/** A stored session as `all()` returns it: the session with its `id`. */
export type StoredSession = SessionData & { id: string };

/** What a replica holds of a session, and whether it may serve it (the heartbeat). */
interface ReplicaCopy {
  node: Connection;
  data: string | null;
  heartbeat: string | null;
  ttl?: number | undefined;
}

/** Counters since the store was created, for dashboards and tests. */
export interface SessionStoreStats {
  /** `get`s answered by a replica's copy. */
  replicaReads: number;
  /** `get`s answered by the master (re-reads included). */
  masterReads: number;
  /**
   * `get`s a replica could not answer and the master did, by reason: `miss` (no such session
   * on the replica), `stale` (the replica held no live heartbeat: it lags by more than
   * `maxReplicaLag`, or no process has written one lately).
   */
  rereads: { miss: number; stale: number };
  /** `WAIT`s every replica in rotation acknowledged in time. */
  acknowledgedWaits: number;
  /** `WAIT`s some replica did not acknowledge in time. */
  shortfallWaits: number;
  /** Writes answered only once no lagging replica could serve what they replaced. */
  stalledWrites: number;
  /** `touch`es skipped by `touchAfter`. */
  skippedTouches: number;
}

// Expiries learnt by get() for touchAfter, so the touch of the same request can compare. Bounded:
// entries of requests that never touch (errors, destroy) must not pile up.
const MAX_REMEMBERED_EXPIRIES = 10_000;

/**
 * An express-session store on Redis Sentinel through `@sentinelkit/core`.
 *
 * Options and stored format are connect-redis's (`prefix`, `ttl`, `disableTTL`, `disableTouch`,
 * `serializer`, `scanCount`), so existing sessions stay readable both ways. Sessions are read
 * from replicas under a read-your-writes rule that holds across processes (see
 * docs/express-session.md); `readFrom: 'master'` reads from the master only.
 *
 * Every method takes an optional callback and returns a promise. With a callback, errors go to
 * the callback only and the promise resolves; without one, the promise rejects.
 *
 * The store emits `disconnect` when the client has given up on finding a master (an operation
 * failed with `MASTER_UNAVAILABLE` after the client's `failoverTimeout`, or the client was
 * closed) and `connect` when it has one again, so express-session then skips sessions
 * (`req.session` is undefined) instead of waiting. A failover alone does not disconnect the
 * store: during one, sessions are read from replicas and writes wait for the new master, so
 * nobody looks logged out.
 */
export class SentinelStore extends Store {
  /** The options in force, defaults resolved. */
  readonly options: Readonly<ResolvedSentinelStoreOptions>;
  readonly #client: SentinelClient;
  readonly #writer: ReplicatedWriter;
  readonly #expiries = new Map<string, number>();
  // The gets of one tick, as one MGET: on a replica (with the heartbeat), and on the master.
  readonly #replicaReads: TickBatch<ReplicaCopy>;
  readonly #masterReads: TickBatch<string | null>;
  // The touches of one tick, as one command (see #expire).
  readonly #touches: TickBatch<unknown, [key: string, seconds: number]>;
  #scriptsRefused = false;
  readonly #onTopology: (event: TopologyEvent) => void;
  #connected = true;
  #beatAt = Number.NEGATIVE_INFINITY;
  #stats = {
    replicaReads: 0,
    masterReads: 0,
    rereads: { miss: 0, stale: 0 },
    skippedTouches: 0,
  };

  /** Validates the options (throwing `INVALID_OPTION`); does no I/O. */
  constructor(options: SentinelStoreOptions) {
    super();
    this.options = Object.freeze(resolveStoreOptions(options));
    this.#client = this.options.client;
    this.#writer = new ReplicatedWriter(this.#client, this.options);
    const heartbeat = this.options.heartbeatKey;
    this.#replicaReads = new TickBatch((keys) =>
      this.#client.read(async (node) => {
        const values = await node.mget(...keys, heartbeat);
        const beat = values[keys.length] ?? null;
        return keys.map((_, i) => ({ node, data: values[i] ?? null, heartbeat: beat }));
      }),
    );
    this.#touches = new TickBatch((touches) => this.#expire(touches));
    this.#masterReads = new TickBatch((keys) =>
      this.#client.read(
        (master) =>
          keys.length === 1
            ? master.get(keys[0] as string).then((value) => [value])
            : master.mget(...keys),
        { readFrom: 'master' },
      ),
    );
    this.#onTopology = (event) => {
      if (event.type === 'MASTER_CHANGE' && !this.#connected) {
        this.#connected = true;
        this.emit('connect');
      }
    };
    this.#client.on('topology-change', this.#onTopology);
  }

  /**
   * Settles an operation for its caller, and tells express-session to skip
   * sessions once the client has given up on finding a master.
   */
  #finish<T>(work: Promise<T>, callback: StoreCallback<T> | undefined): Promise<T> {
    const observed = work.catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      if ((code === 'MASTER_UNAVAILABLE' || code === 'CLIENT_CLOSED') && this.#connected) {
        this.#connected = false;
        this.emit('disconnect');
      }
      throw error;
    });
    return finish(observed, callback);
  }

  // connect-redis 9 has these as properties; code written for it reads them. Read-only here:
  // the options are validated once, and writes hold them (see docs/express-session.md).

  /** The key prefix (connect-redis' `store.prefix`). */
  get prefix(): string {
    return this.options.prefix;
  }

  /** The SentinelClient (connect-redis' `store.client`; the store never closes it). */
  get client(): SentinelClient {
    return this.#client;
  }

  /** Seconds, or a function of the session (connect-redis' `store.ttl`). */
  get ttl(): number | ((session: SessionData) => number) {
    return this.options.ttl;
  }

  /** `COUNT` of each `SCAN` (connect-redis' `store.scanCount`). */
  get scanCount(): number {
    return this.options.scanCount;
  }

  /** connect-redis' `store.serializer`. */
  get serializer(): SessionSerializer {
    return this.options.serializer;
  }

  /** connect-redis' `store.disableTouch`. */
  get disableTouch(): boolean {
    return this.options.disableTouch;
  }

  /** connect-redis' `store.disableTTL`. */
  get disableTTL(): boolean {
    return this.options.disableTTL;
  }

  /** The session, or `null` when there is none. */
  get(sid: string, callback?: StoreCallback<SessionData | null>): Promise<SessionData | null> {
    return this.#finish(this.#get(sid), callback);
  }

  /**
   * Stores the session for its TTL (from `cookie.expires`, else `ttl`); a session whose cookie
   * has expired is deleted instead.
   */
  set(sid: string, session: SessionData, callback?: StoreCallback<void>): Promise<void> {
    return this.#finish(this.#set(sid, session), callback);
  }

  /** Moves the session's expiry forward without rewriting it (a no-op with `disableTouch`/`disableTTL`). */
  override touch(sid: string, session: SessionData, callback?: StoreCallback<void>): Promise<void> {
    return this.#finish(this.#touch(sid, session), callback);
  }

  /** Deletes the session. */
  destroy(sid: string, callback?: StoreCallback<void>): Promise<void> {
    return this.#finish(this.#destroy(sid), callback);
  }

  /** Every session under `prefix`, each with its `id`, scanned on the master. */
  override all(callback?: StoreCallback<StoredSession[]>): Promise<StoredSession[]> {
    return this.#finish(this.#all(), callback);
  }

  /** How many sessions there are under `prefix` (scanned on the master). */
  override length(callback?: StoreCallback<number>): Promise<number> {
    return this.#finish(
      this.#keys().then((keys) => keys.length),
      callback,
    );
  }

  /** The ids of every session under `prefix` (scanned on the master). */
  ids(callback?: StoreCallback<string[]>): Promise<string[]> {
    const cut = this.options.prefix.length;
    return this.#finish(
      this.#keys().then((keys) => keys.map((k) => k.slice(cut))),
      callback,
    );
  }

  /** Deletes every session under `prefix`, and nothing else. */
  override clear(callback?: StoreCallback<void>): Promise<void> {
    return this.#finish(this.#clear(), callback);
  }

  /** Counters since the store was created. */
  stats(): SessionStoreStats {
    const w = this.#writer.counters;
    return {
      replicaReads: this.#stats.replicaReads,
      masterReads: this.#stats.masterReads,
      rereads: { ...this.#stats.rereads },
      acknowledgedWaits: w.acknowledged,
      shortfallWaits: w.shortfalls,
      stalledWrites: w.stalled,
      skippedTouches: this.#stats.skippedTouches,
    };
  }

  /** Stops listening to the client's events. Does not close the client, which may be shared. */
  close(): void {
    this.#client.off('topology-change', this.#onTopology);
  }

  // ------------------------------------------------------------------ internals

  #key(sid: string): string {
    if (typeof sid !== 'string' || !this.options.sidPattern.test(sid)) {
      const shown = typeof sid === 'string' ? describeSessionId(sid) : `of type ${typeof sid}`;
      throw new SessionStoreError(
        'INVALID_SESSION_ID',
        `session id ${shown} does not match sidPattern ${this.options.sidPattern}; Redis was not asked`,
      );
    }
    return this.options.prefix + sid;
  }

  async #get(sid: string): Promise<SessionData | null> {
    const key = this.#key(sid);
    const withTtl = this.options.touchAfter > 0;
    let text: string | null;
    let pttl: number | undefined;
    if (this.options.readFrom === 'master') {
      [text, pttl] = await this.#readMaster(key, withTtl);
    } else {
      this.#beat();
      const copy = withTtl
        ? await this.#readReplicaWithTtl(key)
        : await this.#replicaReads.get(key);
      const verdict = this.#trust(copy);
      if (verdict === true) {
        text = copy.data;
        pttl = copy.ttl;
      } else {
        this.#stats.rereads[verdict]++;
        [text, pttl] = await this.#readMaster(key, withTtl);
      }
    }
    if (withTtl) this.#rememberExpiry(sid, pttl);
    if (text === null) return null;
    return this.#parse(sid, text);
  }

  /**
   * Whether a node's answer may be served. A replica's only if it has the session (a miss may
   * be a session written since) and a live heartbeat: every write it has not applied was
   * answered only once such a replica's heartbeat had expired (see ReplicatedWriter). The
   * master's always: a read falls back to it when no replica is in rotation.
   */
  #trust(copy: ReplicaCopy): true | 'miss' | 'stale' {
    if (copy.data !== null && copy.heartbeat !== null) {
      this.#stats.replicaReads++;
      return true;
    }
    const master = this.#client.topology().master?.address;
    const node = copy.node.options;
    if (master && node.host === master.host && node.port === master.port) {
      this.#stats.masterReads++;
      return true;
    }
    return copy.data === null ? 'miss' : 'stale';
  }

  /**
   * Renews the heartbeat on the master (a quarter of `maxReplicaLag` at most since the last),
   * without waiting for it: replicas serve sessions only while they hold one.
   */
  #beat(): void {
    const now = Date.now();
    if (now - this.#beatAt < this.options.maxReplicaLag / 4) return;
    this.#beatAt = now;
    this.#client
      .write(
        (master) => master.set(this.options.heartbeatKey, '1', 'PX', this.options.maxReplicaLag),
        { idempotent: true, waitReplicas: 0 },
      )
      .catch(() => {
        // Reads go to the master until a later beat gets through.
        this.#beatAt = Number.NEGATIVE_INFINITY;
      });
  }

  /** A session and the heartbeat from one replica, with the session's PTTL (for touchAfter). */
  #readReplicaWithTtl(key: string): Promise<ReplicaCopy> {
    return this.#client.read(async (node) => {
      const [values, ttl] = await Promise.all([
        node.mget(key, this.options.heartbeatKey),
        node.pttl(key),
      ]);
      return { node, data: values[0] ?? null, heartbeat: values[1] ?? null, ttl };
    });
  }

  async #readMaster(key: string, withTtl: boolean): Promise<[string | null, number | undefined]> {
    this.#stats.masterReads++;
    if (!withTtl) return [await this.#masterReads.get(key), undefined];
    return this.#client.read((master) => Promise.all([master.get(key), master.pttl(key)]), {
      readFrom: 'master',
    });
  }

  #rememberExpiry(sid: string, pttl: number | undefined): void {
    this.#expiries.delete(sid);
    if (pttl === undefined || pttl === -2) return;
    if (this.#expiries.size >= MAX_REMEMBERED_EXPIRIES) {
      const oldest = this.#expiries.keys().next().value;
      if (oldest !== undefined) this.#expiries.delete(oldest);
    }
    this.#expiries.set(sid, pttl === -1 ? Number.POSITIVE_INFINITY : Date.now() + pttl);
  }

  async #parse(sid: string, text: string): Promise<SessionData> {
    try {
      return await this.options.serializer.parse(text);
    } catch (error) {
      // Only the error's name: a serializer's message (and so the error itself, which apps log as
      // a `cause`) may quote the stored session, e.g. JSON.parse's `"…" is not valid JSON`.
      throw new SessionStoreError(
        'PARSE_FAILED',
        `the stored session ${describeSessionId(sid)} under prefix ${JSON.stringify(this.options.prefix)} could not be parsed by serializer.parse (it threw ${errorName(error)}; its message is left out as it may quote the stored value)`,
      );
    }
  }

  async #set(sid: string, session: SessionData): Promise<void> {
    const key = this.#key(sid);
    this.#expiries.delete(sid);
    const ttl = sessionTtlSeconds(session, this.options.ttl);
    if (!(ttl > 0)) return this.#destroy(sid);
    let text: unknown;
    try {
      text = this.options.serializer.stringify(session);
    } catch (error) {
      throw new SessionStoreError(
        'SERIALIZE_FAILED',
        `session ${describeSessionId(sid)} could not be serialized (${(error as Error)?.message ?? error}); nothing was written`,
        { cause: error },
      );
    }
    if (typeof text !== 'string') {
      throw new SessionStoreError(
        'SERIALIZE_FAILED',
        `serializer.stringify returned ${typeof text} for session ${describeSessionId(sid)}, not a string; nothing was written`,
      );
    }
    const bytes = Buffer.byteLength(text);
    if (bytes > this.options.maxSessionBytes) {
      throw new SessionStoreError(
        'SESSION_TOO_LARGE',
        `session ${describeSessionId(sid)} is ${bytes} bytes serialized, over maxSessionBytes (${this.options.maxSessionBytes}); nothing was written`,
      );
    }
    await this.#replicated((master) =>
      this.options.disableTTL ? master.set(key, text) : master.set(key, text, 'EX', ttl),
    );
  }

  async #touch(sid: string, session: SessionData): Promise<void> {
    const key = this.#key(sid);
    if (this.options.disableTouch || this.options.disableTTL) return;
    const ttl = sessionTtlSeconds(session, this.options.ttl);
    const known = this.#expiries.get(sid);
    this.#expiries.delete(sid);
    if (
      this.options.touchAfter > 0 &&
      known !== undefined &&
      Date.now() + ttl * 1000 - known < this.options.touchAfter * 1000
    ) {
      this.#stats.skippedTouches++;
      return;
    }
    // A touch changes only the expiry: a replica that has not applied it yet serves the same
    // session, so it needs no WAIT.
    if (this.options.readFrom === 'replica') this.#beat();
    await this.#touches.get([key, ttl]);
  }

  /**
   * `EXPIRE`s for the touches of one tick: one script call for several (one command for Redis to
   * run and one reply to parse; ~1.3× the touches per second of one `EXPIRE` each with 50 in
   * flight), a plain `EXPIRE` for a lone touch, and plain `EXPIRE`s from the first time the
   * server refuses scripts (an ACL user without `@scripting`, `EVAL` renamed away).
   */
  #expire(touches: [key: string, seconds: number][]): Promise<unknown[]> {
    return this.#client.write(
      (master) => {
        if (touches.length === 1 || this.#scriptsRefused) {
          return Promise.all(touches.map(([key, seconds]) => master.expire(key, seconds)));
        }
        const keys = touches.map(([key]) => key);
        const seconds = touches.map(([, s]) => s);
        return master.eval(EXPIRE_ALL, keys.length, ...keys, ...seconds).then(
          () => touches,
          (error: unknown) => {
            if (!isScriptRefusal(error)) throw error;
            this.#scriptsRefused = true;
            return Promise.all(touches.map(([key, s]) => master.expire(key, s)));
          },
        );
      },
      { idempotent: true },
    );
  }

  async #destroy(sid: string): Promise<void> {
    const key = this.#key(sid);
    this.#expiries.delete(sid);
    await this.#replicated((master) => master.del(key));
  }

  /** Runs a session write under the read-your-writes rule (`'replica'`), or plainly (`'master'`). */
  async #replicated(write: (master: Connection) => Promise<unknown>): Promise<void> {
    if (this.options.readFrom === 'master') {
      await this.#client.write(write, { idempotent: true });
      return;
    }
    this.#beat();
    await this.#writer.write(write);
  }

  /** Keys under `prefix`, by SCAN on the master (a cursor means something on one node only). */
  #keys(): Promise<string[]> {
    const match = `${escapeGlob(this.options.prefix)}*`;
    return this.#client.write(
      async (master) => {
        const keys = new Set<string>();
        let cursor = '0';
        do {
          const [next, batch] = await master.scan(
            cursor,
            'MATCH',
            match,
            'COUNT',
            this.options.scanCount,
          );
          cursor = next;
          for (const k of batch) keys.add(k);
        } while (cursor !== '0');
        return [...keys];
      },
      { idempotent: true },
    );
  }

  async #all(): Promise<StoredSession[]> {
    const cut = this.options.prefix.length;
    const keys = await this.#keys();
    const sessions: StoredSession[] = [];
    for (let i = 0; i < keys.length; i += this.options.scanCount) {
      const chunk = keys.slice(i, i + this.options.scanCount);
      const values = await this.#client.write((master) => master.mget(...chunk), {
        idempotent: true,
      });
      for (const [j, text] of values.entries()) {
        if (text === null) continue; // expired or deleted since the scan
        const sid = chunk[j]!.slice(cut);
        const session = await this.#parse(sid, text);
        sessions.push(Object.assign(session, { id: sid }));
      }
    }
    return sessions;
  }

  async #clear(): Promise<void> {
    const keys = await this.#keys();
    this.#expiries.clear();
    const chunks: string[][] = [];
    for (let i = 0; i < keys.length; i += this.options.scanCount) {
      chunks.push(keys.slice(i, i + this.options.scanCount));
    }
    await Promise.all(chunks.map((chunk) => this.#replicated((master) => master.del(...chunk))));
  }
}

/** `EXPIRE` of every key (`KEYS[i]`, `ARGV[i]` seconds): the touches of one tick. */
const EXPIRE_ALL = "for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[i]) end return #KEYS";

/**
 * The server will not run scripts for us: an ACL user refused `EVAL` ("NOPERM … run the 'eval'
 * command"), or `EVAL` renamed away. Plain commands may still work. A refused key is not this.
 */
function isScriptRefusal(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /^ERR unknown command/.test(message) || /^NOPERM.*'eval'/i.test(message);
}

/** Escapes SCAN MATCH glob characters, so a prefix like `app[1]:` matches itself only. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Settles `work` for a callback the way connect-redis 9 does: `(null, value)`,
 * `(null, null)` for a call with no value, `(error, null)`.
 */
function finish<T>(work: Promise<T>, callback: StoreCallback<T> | undefined): Promise<T> {
  if (!callback) return work;
  const done = callback as (error: unknown, value: T | null) => void;
  return work.then(
    (value) => {
      done(null, value ?? null);
      return value;
    },
    (error: unknown) => {
      done(error, null);
      return undefined as T;
    },
  );
}

/** The name of what a user's function threw (`SyntaxError`, …), without its message. */
function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return error === null ? 'null' : typeof error;
}
