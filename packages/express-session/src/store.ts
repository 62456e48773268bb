/**
 * The connect-redis-compatible store: a facade over options.ts (options), read-your-writes.ts
 * (where a session is read from, and when a replica's copy may be served), writer.ts (writes
 * answered only once readers cannot miss them), touches.ts (per-tick EXPIREs; the batching itself is the core's TickBatch),
 * codec.ts (stored text), keyspace.ts (SCAN on the master).
 */
import type { RoutedClient, RoutedConnection, TopologyEvent } from '@sentinelkit/core';
import {
  mgetInOrder,
  publishStoreLookup,
  storeLookupsObserved,
  unlinkInSlots,
} from '@sentinelkit/core/internal';
import { type SessionData, Store } from 'express-session';
import { finish, type StoreCallback } from './callbacks.js';
import { parseSession, serializeSession } from './codec.js';
import { describeSessionId, SessionStoreError } from './errors.js';
import { scanKeys } from './keyspace.js';
import {
  type ResolvedSentinelStoreOptions,
  resolveStoreOptions,
  type SentinelStoreOptions,
  type SessionSerializer,
  sessionTtlSeconds,
} from './options.js';
import { SessionReader } from './read-your-writes.js';
import { TouchBatcher } from './touches.js';
import { ReplicatedWriter } from './writer.js';

export type { StoreCallback } from './callbacks.js';
export { escapeGlob } from './keyspace.js';

/** A stored session as `all()` returns it: the session with its `id`. */
export type StoredSession = SessionData & { id: string };

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
  readonly #client: RoutedClient;
  readonly #writer: ReplicatedWriter;
  readonly #reader: SessionReader;
  readonly #touches: TouchBatcher;
  readonly #expiries = new Map<string, number>();
  readonly #onTopology: (event: TopologyEvent) => void;
  #connected = true;
  #skippedTouches = 0;

  /** Validates the options (throwing `INVALID_OPTION`); does no I/O. */
  constructor(options: SentinelStoreOptions) {
    super();
    this.options = Object.freeze(resolveStoreOptions(options));
    this.#client = this.options.client;
    this.#writer = new ReplicatedWriter(this.#client, this.options);
    this.#reader = new SessionReader(this.#client, this.options);
    this.#touches = new TouchBatcher(this.#client);
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

  /** The client (connect-redis' `store.client`; the store never closes it). */
  get client(): RoutedClient {
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
    const r = this.#reader.counters;
    return {
      replicaReads: r.replicaReads,
      masterReads: r.masterReads,
      rereads: { ...r.rereads },
      acknowledgedWaits: w.acknowledged,
      shortfallWaits: w.shortfalls,
      stalledWrites: w.stalled,
      skippedTouches: this.#skippedTouches,
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
    const [text, pttl] =
      this.options.readFrom === 'master'
        ? await this.#reader.readFromMaster(key, withTtl)
        : await this.#reader.readFromReplica(key, withTtl);
    if (withTtl) this.#rememberExpiry(sid, pttl);
    if (storeLookupsObserved()) {
      const found = text === null ? 0 : 1;
      publishStoreLookup({ store: 'express-session', hits: found, misses: 1 - found });
    }
    if (text === null) return null;
    return this.#parse(sid, text);
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

  #parse(sid: string, text: string): Promise<SessionData> {
    return parseSession(this.options.serializer, this.options.prefix, sid, text);
  }

  async #set(sid: string, session: SessionData): Promise<void> {
    const key = this.#key(sid);
    this.#expiries.delete(sid);
    const ttl = sessionTtlSeconds(session, this.options.ttl);
    if (!(ttl > 0)) return this.#destroy(sid);
    const { serializer, maxSessionBytes } = this.options;
    const text = serializeSession(serializer, maxSessionBytes, sid, session);
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
      this.#skippedTouches++;
      return;
    }
    if (this.options.readFrom === 'replica') this.#reader.beat();
    await this.#touches.touch(key, ttl);
  }

  async #destroy(sid: string): Promise<void> {
    const key = this.#key(sid);
    this.#expiries.delete(sid);
    await this.#replicated((master) => master.del(key));
  }

  /** Runs a session write under the read-your-writes rule (`'replica'`), or plainly (`'master'`). */
  async #replicated(write: (master: RoutedConnection) => Promise<unknown>): Promise<void> {
    if (this.options.readFrom === 'master') {
      await this.#client.write(write, { idempotent: true });
      return;
    }
    this.#reader.beat();
    await this.#writer.write(write);
  }

  #keys(): Promise<string[]> {
    return scanKeys(this.#client, this.options.prefix, this.options.scanCount);
  }

  async #all(): Promise<StoredSession[]> {
    const cut = this.options.prefix.length;
    const keys = await this.#keys();
    const sessions: StoredSession[] = [];
    for (let i = 0; i < keys.length; i += this.options.scanCount) {
      const chunk = keys.slice(i, i + this.options.scanCount);
      // One MGET on a single node; on a cluster one per slot (keys of many slots), per node.
      const values = await this.#client.write((master) => mgetInOrder(master, chunk), {
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
    // One UNLINK per chunk on a single node; on a cluster one per slot of the chunk.
    await Promise.all(
      chunks.map((chunk) => this.#replicated((master) => unlinkInSlots(master, chunk))),
    );
  }
}
