/**
 * `ClusterClient`: the `RoutedClient` contract on Redis Cluster, over ioredis' `Cluster`, which
 * does the cluster protocol (slot map, MOVED/ASK, per-node connections). What this adds:
 * - reads: each read-only command to a random healthy replica of its slot (routing.ts), chosen
 *   by ioredis' `scaleReads` hook from the call's `readFrom`: the hook sees only the command, so
 *   each command of a read is tagged with its call as it is sent (`lendTagged`);
 * - health: the cluster's own view (`CLUSTER SHARDS`, else `CLUSTER NODES`) and each replica's
 *   `ROLE`, polled (health.ts): a failed, loading or unlinked replica serves no read;
 * - failover: operations on a slot without a master wait for the promotion (failure.ts), other
 *   slots go on; a master that leaves commands unanswered (frozen) or whose connection is lost
 *   is suspect, and the cluster's view is then read every `failoverPollInterval` (watchdog.ts);
 *   a poll that sees a new master refreshes ioredis' slot map from the node that said so and
 *   closes the old master's connection, so the writes it held run again on the new one
 *   (idempotent ones: a written command is never sent again by ioredis, sent-commands.ts);
 * - `eachMaster`: one run per shard, for SCAN sweeps.
 */
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { Cluster, type Redis } from 'ioredis';
import type { ClientStatus } from '../client.js';
import { refusalOf } from '../command-policy.js';
import { closeNow } from '../connections.js';
import { closedError } from '../context.js';
import type {
  RoutedClient,
  RoutedClientEvents,
  RoutedClientStats,
  RoutedTopology,
  ShardView,
} from '../contract.js';
import type { NodeView, ServedBy } from '../data-node.js';
import { settleWithin } from '../deadline.js';
import { redactSecrets, SentinelKitError } from '../errors.js';
import { lend, lendTagged, refusalError } from '../lent.js';
import type { ReadOptions, WriteOptions } from '../operations.js';
import type { RedisConnection, RoutedConnection } from '../redis-connection.js';
import { applyNatMap } from '../replicas.js';
import { parseRole } from '../role.js';
import { commandKind } from '../routing.js';
import { batchCommands } from '../tick.js';
import type { NodeAddress, ReadFrom } from '../types.js';
import { watchCommandTimeouts } from '../watchdog.js';
import { decideClusterWrite, shouldRetryRead } from './failure.js';
import {
  type ClusterShard,
  mastersBySlot,
  nodeKey,
  parseClusterNodes,
  parseClusterShards,
  readableReplicas,
} from './health.js';
import {
  type ClusterClientOptions,
  clusterSecretsOf,
  type ResolvedClusterClientOptions,
  resolveClusterOptions,
} from './options.js';
import { chooseReadNode, type ReadRoute } from './routing.js';
import { failWrittenCommandsAsSent } from './sent-commands.js';
import {
  choosePollNode,
  oldestWait,
  type PollCandidate,
  pollDelay,
  type Replacement,
  replacedMasters,
  replicasOfSuspects,
  slotMapOnFailedNode,
  stalledNodes,
} from './watchdog.js';

/** What one `read()` call tells the routing hook and learns from it. */
interface ReadCall extends ReadRoute {
  servedBy: ServedBy;
  /** The replica the last command went to, to take out of the rotation if the call fails. */
  lastReplica: string | undefined;
  refused: boolean;
}

const NO_EXCLUSIONS: ReadonlySet<string> = new Set();

/**
 * The read call an ioredis command belongs to, set on the command as the call sends it, for the
 * routing hook (`scaleReads` sees only the command). A property, not a WeakMap: it is set on
 * every read command, and goes with the command.
 */
const READ_CALL = Symbol('sentinelkit.readCall');
const HAS_UPPER_CASE = /[A-Z]/;
type Tagged = { [READ_CALL]?: ReadCall; name: string; isReadOnly?: boolean };

// Between two runs of an operation waiting for a slot's master: short, since the promotion is
// seen by the poll and each retry refreshes ioredis' slot map.
const RETRY_PAUSE_MS = 50;
// WAIT ends this long before the command timeout, or a slow acknowledgement looks like a lost
// master (as for the Sentinel client).
const WAIT_MARGIN_MS = 100;
// The longest a read of the cluster's view (or a slot-map refresh) may take on one node: a node
// that takes longer is likely frozen, and the next poll asks another.
const POLL_TIMEOUT_MS = 1000;
// While a master is suspect, its replicas are asked `ROLE` this often (one command each): the
// one the cluster promotes says `master` at once, and the view is read then, rather than up to
// a `failoverPollInterval` later. Cheap enough that it needs no option.
const PROBE_INTERVAL_MS = 10;

/** A master the client suspects hung or lost: since when, and the counts then (for timings). */
interface Suspicion {
  since: number;
  counts: { queued: number; retried: number; rejected: number };
}

/**
 * Marks cluster clients. `Symbol.for` gives every copy of the package (its ESM and CommonJS
 * builds, or two versions in one app) the same symbol, so {@link isClusterClient} recognises a
 * client another copy made, where `instanceof` cannot.
 */
const CLUSTER_CLIENT: unique symbol = Symbol.for('@sentinelkit/core.ClusterClient') as never;

/**
 * True for a {@link ClusterClient}, of this copy of the package or of another one (the app made
 * it with the ESM build, an adapter loaded the CommonJS one).
 */
export function isClusterClient(value: unknown): value is ClusterClient {
  return (
    value instanceof ClusterClient ||
    (typeof value === 'object' && value !== null && CLUSTER_CLIENT in value)
  );
}

export class ClusterClient extends EventEmitter<RoutedClientEvents> implements RoutedClient {
  readonly #options: ResolvedClusterClientOptions;
  readonly #secrets: (string | undefined)[];
  #cluster: Cluster | undefined;
  #status: ClientStatus = 'idle';
  #connecting: Promise<void> | undefined;
  #shards: ClusterShard[] = [];
  #readable = new Set<string>();
  /** Replicas a read saw fail, out of the rotation until the next poll calls them healthy. */
  readonly #failedReplicas = new Set<string>();
  #masters = new Map<number, string>();
  #pollTimer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  readonly #pauses = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  /** Masters replaced so far (slot map moved): an attempt begun before one runs again at once. */
  #switches = 0;
  /** Masters (by key) that left a command unanswered for `stallTimeout`, or were lost. */
  readonly #suspects = new Map<string, Suspicion>();
  /** When the watchdog first saw each queued command (keyed by ioredis' queue items). */
  readonly #firstSeen = new WeakMap<object, number>();
  #watchTimer: NodeJS.Timeout | undefined;
  /** The next `ROLE` probe of the suspects' replicas (see #probe); set while one runs. */
  #probeTimer: NodeJS.Timeout | undefined;
  /** The node the last read of the view failed on: the next read asks another. */
  #avoid: string | undefined;
  /** Each replica's master, by key, from the last view. */
  #replicaMaster = new Map<string, string>();
  readonly #counts = {
    writes: 0,
    masterReads: 0,
    replicaReads: {} as Record<string, number>,
    masterChanges: 0,
    writeRetries: 0,
    readRetries: 0,
    failoverRejections: 0,
    waitingForMaster: 0,
  };
  /** Pauses of operations waiting for a master, for the timings of MASTER_CHANGE. */
  #queued = 0;

  constructor(options: ResolvedClusterClientOptions) {
    super();
    Object.defineProperty(this, CLUSTER_CLIENT, { value: true });
    this.setMaxListeners(0);
    this.#options = options;
    this.#secrets = clusterSecretsOf(options);
  }

  get status(): ClientStatus {
    return this.#status;
  }

  /** Read through a getter: close() may run during any await. */
  get #closed(): boolean {
    return this.#status === 'closed';
  }

  /**
   * Connects to the seed nodes, loads the slot map and the cluster's view of its nodes.
   * Rejects within `connectTimeout` (per seed) with `CONNECTION_FAILED`; calling it again
   * while connected does nothing.
   */
  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    this.#connecting ??= this.#open().catch(async (error: unknown) => {
      this.#connecting = undefined;
      await this.#shutCluster();
      if (this.#status !== 'closed') this.#status = 'idle';
      throw error;
    });
    return this.#connecting;
  }

  async #open(): Promise<void> {
    this.#status = 'connecting';
    const o = this.#options;
    const cluster = new Cluster(
      o.nodes.map((n) => ({ host: n.host, port: n.port })),
      {
        lazyConnect: true,
        scaleReads: (nodes: (Redis | undefined)[], command: object) => this.#route(nodes, command),
        ...(o.natMap === undefined ? {} : { natMap: (key: string) => this.#natMap(key) }),
        // Reconnects a lost cluster (every node down at once) while the client is open.
        clusterRetryStrategy: (times) =>
          this.#closed || this.#status === 'connecting' ? null : Math.min(100 * times, 2000),
        slotsRefreshTimeout: Math.min(o.commandTimeout, POLL_TIMEOUT_MS),
        redisOptions: {
          ...o.redisOptions,
          ...(o.username === undefined ? {} : { username: o.username }),
          ...(o.password === undefined ? {} : { password: o.password }),
          ...(o.tls === false ? {} : { tls: o.tls }),
          ...(o.keyPrefix === '' ? {} : { keyPrefix: o.keyPrefix }),
          connectTimeout: o.connectTimeout,
          // No ioredis commandTimeout: it arms a timer per command (~4 µs of CPU each, a tenth
          // of a GET's cost); each node's queue is swept instead (watchNode), as under Sentinel.
          maxRetriesPerRequest: 1,
          // Nodes never reconnect (ioredis' cluster default), so this never applies; off all
          // the same: a written command is sent again only by the client's rules.
          autoResendUnfulfilledCommands: false,
          // ioredis ends a node's socket gracefully and destroys it after this long if it is
          // still open. Its slot refresher disconnects a connection that was refused this way
          // too, whose socket never closes again: the default (2 s) timer then outlives close().
          disconnectTimeout: 1,
        },
      },
    );
    this.#cluster = cluster;
    // Before any command reaches a node: a command written when its connection closes is failed
    // to the client's rules, not sent again by ioredis (sent-commands.ts).
    cluster.on('+node', (redis: Redis) => failWrittenCommandsAsSent(redis));
    cluster.on('error', (error: Error) => this.#report(error));
    cluster.on('node error', (error: Error) => this.#report(error));
    cluster.on('+node', (redis: Redis) => watchNode(redis, o.commandTimeout));
    cluster.on('-node', (redis: Redis) => this.#nodeLost(redis));
    const budget = o.connectTimeout * Math.max(1, o.nodes.length) + o.commandTimeout;
    try {
      await withDeadline(cluster.connect(), budget, 'connect');
    } catch (error) {
      throw new SentinelKitError(
        'CONNECTION_FAILED',
        `no seed node of the cluster answered (${o.nodes.map(nodeKey).join(', ')}): ${this.#message(error)}`,
        { cause: error },
      );
    }
    if (this.#closed) throw closedError();
    await this.#poll();
    this.#status = 'ready';
    this.#schedulePoll();
    this.#startWatchdog();
  }

  /**
   * Looks at every master connection's unanswered commands a few times per `stallTimeout`
   * (no timer per command): a master whose oldest one waited that long is suspect.
   */
  #startWatchdog(): void {
    const every = Math.max(10, Math.floor(this.#options.stallTimeout / 5));
    this.#watchTimer = setInterval(() => this.#watch(), every);
    this.#watchTimer.unref();
  }

  #watch(): void {
    const cluster = this.#cluster;
    if (cluster === undefined || this.#status !== 'ready') return;
    const now = performance.now();
    const waits = new Map<string, number | undefined>();
    const answering = new Set<string>();
    for (const node of cluster.nodes('master')) {
      const key = keyOf(node);
      waits.set(key, oldestWait(node, this.#firstSeen, now));
      if (node.status === 'ready') answering.add(key);
    }
    const stalled = stalledNodes(waits, this.#options.stallTimeout);
    let fresh = false;
    for (const key of stalled) fresh = this.#suspect(key) || fresh;
    // A suspect that answers again is suspect no more (a slow command, not a hung node). A new
    // connection to a dead or frozen master never gets ready: its master stays suspect.
    for (const key of [...this.#suspects.keys()]) {
      if (answering.has(key) && !stalled.has(key)) this.#suspects.delete(key);
    }
    if (fresh) this.#pollSoon();
  }

  /** ioredis dropped a node's connection (closed, refused): a master of ours is suspect. */
  #nodeLost(redis: Redis): void {
    if (this.#status !== 'ready') return;
    const key = keyOf(redis);
    if ([...this.#masters.values()].includes(key) && this.#suspect(key)) this.#pollSoon();
  }

  /** Notes `key` as suspect; `true` if it was not already. */
  #suspect(key: string): boolean {
    if (this.#suspects.has(key)) return false;
    this.#suspects.set(key, { since: this.#options.clock(), counts: this.#episodeCounts() });
    this.#probeSoon();
    return true;
  }

  /** Probes the suspects' replicas every PROBE_INTERVAL_MS, until no master is suspect. */
  #probeSoon(): void {
    if (this.#probeTimer !== undefined || this.#closed) return;
    this.#probeTimer = setTimeout(() => {
      void this.#probe().finally(() => {
        this.#probeTimer = undefined;
        if (this.#suspects.size > 0) this.#probeSoon();
      });
    }, PROBE_INTERVAL_MS);
  }

  /**
   * Asks the replicas of the suspect masters their `ROLE`. One that says `master` was promoted
   * (the cluster's own decision: its view says so too), so the view is read now; it is read
   * after the one in flight, if any, since that one may have asked before the promotion.
   */
  async #probe(): Promise<void> {
    const cluster = this.#cluster;
    if (cluster === undefined || this.#closed || this.#suspects.size === 0) return;
    const replicas = replicasOfSuspects(this.#replicaMaster, new Set(this.#suspects.keys()));
    // Also a connection not opened yet (lazy: no read went to that replica): ROLE opens it.
    const asked = cluster.nodes('all').filter((n) => n.status !== 'end' && replicas.has(keyOf(n)));
    const roles = await Promise.all(
      asked.map((node) =>
        withDeadline(node.call('ROLE'), this.#pollTimeout, 'ROLE').then(parseRole, () => undefined),
      ),
    );
    if (!roles.some((role) => role?.role === 'master')) return;
    await this.#polling;
    if (this.#suspects.size > 0) await this.#poll();
  }

  #episodeCounts(): Suspicion['counts'] {
    const c = this.#counts;
    return { queued: this.#queued, retried: c.writeRetries, rejected: c.failoverRejections };
  }

  /** ioredis' natMap hook: `host:port` as announced → the address to dial, or null to keep it. */
  #natMap(key: string): NodeAddress | null {
    const colon = key.lastIndexOf(':');
    const announced = { host: key.slice(0, colon), port: Number(key.slice(colon + 1)) };
    const mapped = applyNatMap(announced, this.#options.natMap);
    return mapped === announced ? null : mapped;
  }

  /**
   * ioredis' scaleReads hook, for read-only commands: `nodes` serve the slot, master first. An
   * entry is `undefined` when the slot map names a node ioredis has no connection to (a replica
   * just killed, or not connected yet): it is never chosen, and with no master connection
   * ioredis picks a node itself (which redirects it).
   */
  #route(nodes: (Redis | undefined)[], command: object): Redis {
    const call = (command as Tagged)[READ_CALL];
    const master = nodes[0] as Redis;
    if (call === undefined) return master; // a read-only command inside write(): the master
    const keys = nodes.map((n) => (n === undefined ? '' : keyOf(n)));
    const readable = this.#failedReplicas.size === 0 ? this.#readable : this.#healthyNow();
    const choice = chooseReadNode(keys, call, readable, this.#options.random);
    if (choice.refused) {
      call.refused = true;
      return master;
    }
    const index = choice.index;
    const node = nodes[index];
    if (node === undefined) return master;
    const address = { host: node.options.host!, port: node.options.port! };
    if (index === 0) {
      this.#counts.masterReads++;
      if (call.lastReplica === undefined) call.servedBy.address = address;
    } else {
      const key = keys[index]!;
      this.#counts.replicaReads[key] = (this.#counts.replicaReads[key] ?? 0) + 1;
      // Once any command of the call went to a replica, the call counts as served by one.
      call.servedBy.role = 'replica';
      call.servedBy.address = address;
      call.lastReplica = key;
    }
    return node;
  }

  #healthyNow(): Set<string> {
    return new Set([...this.#readable].filter((key) => !this.#failedReplicas.has(key)));
  }

  /** The `Cluster` when the client is ready (the common case, answered without a promise). */
  #readyNow(): Cluster | undefined {
    return this.#status === 'ready' ? this.#cluster : undefined;
  }

  async #ready(): Promise<Cluster> {
    if (this.#closed) throw closedError();
    if (this.#status === 'idle' && this.#connecting === undefined) {
      throw new SentinelKitError('NOT_CONNECTED', 'call connect() before using the client');
    }
    await this.#connecting;
    if (this.#closed || this.#cluster === undefined) throw closedError();
    return this.#cluster;
  }

  /**
   * Runs `fn` with the `Cluster` (a view refusing what would break shared connections): each
   * command goes to the master of its key's slot. While a slot has no reachable master, an
   * operation on it waits for the promotion (up to `failoverTimeout`, then `MASTER_UNAVAILABLE`)
   * and runs again if it is `idempotent` or was refused unrun; other slots are not held.
   */
  write<T>(fn: (master: RoutedConnection) => Promise<T>, options?: WriteOptions): Promise<T> {
    const cluster = this.#readyNow();
    if (cluster === undefined) return this.#ready().then(() => this.write(fn, options));
    const wanted = options?.waitReplicas ?? 0;
    if (wanted === 0) {
      return this.#withRetries(() => fn(lend(cluster as unknown as Redis, 'write')), options);
    }
    return this.#withRetries(async () => {
      const value = await fn(lend(cluster as unknown as Redis, 'write'));
      await this.#waitForReplicas(cluster, wanted, options?.waitTimeout);
      return value;
    }, options);
  }

  /**
   * `WAIT wanted timeout` on every master's connection, the ones ioredis sent the write's
   * commands on (`WAIT` counts what its connection wrote before it): `NOT_REPLICATED` unless
   * every shard had `wanted` replicas acknowledge. Not knowing which shards the write touched,
   * it asks them all. A cluster has one connection per node, shared: while a replica lags, that
   * shard's other commands wait behind the `WAIT`, up to the timeout.
   */
  async #waitForReplicas(cluster: Cluster, wanted: number, waitTimeout = 1000): Promise<void> {
    const timeout = Math.min(
      waitTimeout,
      Math.max(1, this.#options.commandTimeout - WAIT_MARGIN_MS),
    );
    const masters = cluster.nodes('master');
    const acknowledged = await Promise.all(
      masters.map((master) => master.call('WAIT', wanted, timeout) as Promise<number>),
    );
    const fewest = Math.min(...acknowledged);
    if (fewest < wanted) {
      const short = masters
        .filter((_, i) => (acknowledged[i] ?? 0) < wanted)
        .map((m) => nodeKey({ host: m.options.host!, port: m.options.port! }));
      throw new SentinelKitError(
        'NOT_REPLICATED',
        `the write ran on the masters but only ${fewest} of ${wanted} replicas acknowledged it within ${timeout} ms (short: ${short.join(', ')})`,
      );
    }
  }

  /** Runs `fn` on every master of the cluster, each with its own node's connection. */
  async eachMaster<T>(
    fn: (master: RedisConnection) => Promise<T>,
    options?: WriteOptions,
  ): Promise<T[]> {
    const cluster = await this.#ready();
    const slots = [...this.#shardSlots(cluster)];
    return Promise.all(
      slots.map((slot) =>
        this.#withRetries(async () => {
          const master = masterOfSlot(cluster, slot);
          if (master === undefined) {
            throw new SentinelKitError('MASTER_UNAVAILABLE', `no master serves slot ${slot}`);
          }
          return fn(lend(master, 'write'));
        }, options),
      ),
    );
  }

  /** One slot per master in ioredis' slot map. */
  #shardSlots(cluster: Cluster): Set<number> {
    const seen = new Map<string, number>();
    cluster.slots.forEach((keys, slot) => {
      const master = keys?.[0];
      if (master !== undefined && !seen.has(master)) seen.set(master, slot);
    });
    return new Set(seen.values());
  }

  async #withRetries<T>(run: () => Promise<T>, options: WriteOptions = {}): Promise<T> {
    const started = this.#options.clock();
    const deadline = options.timeout === undefined ? undefined : started + options.timeout;
    for (;;) {
      this.#counts.writes++;
      const switches = this.#switches;
      try {
        return await run();
      } catch (error) {
        if (isSentinelCode(error, 'MASTER_UNAVAILABLE') && this.#status !== 'closed') {
          // No master for that shard in the slot map yet: as a refusal, nothing ran.
        } else {
          const outcome = decideClusterWrite(error, {
            idempotent: options.idempotent === true,
            elapsed: this.#options.clock() - started,
            failoverTimeout: this.#options.failoverTimeout,
          });
          if (outcome === 'rethrow') throw error;
          if (outcome === 'reject-may-have-executed') {
            this.#counts.failoverRejections++;
            throw new SentinelKitError(
              'COMMAND_MAY_HAVE_EXECUTED',
              `the slot's master was lost with the command in flight; it may have run (${this.#message(error)})`,
              { cause: error },
            );
          }
          if (outcome === 'reject-unavailable') throw this.#unavailable(error);
        }
        if (this.#options.clock() - started >= this.#options.failoverTimeout) {
          throw this.#unavailable(error);
        }
        if (deadline !== undefined && this.#options.clock() >= deadline) {
          throw new SentinelKitError('TIMEOUT', `the operation took over ${options.timeout} ms`, {
            cause: error,
          });
        }
        this.#counts.writeRetries++;
        await this.#pauseForFailover(switches);
      }
    }
  }

  #unavailable(error: unknown): SentinelKitError {
    this.#counts.failoverRejections++;
    return new SentinelKitError(
      'MASTER_UNAVAILABLE',
      `the slot had no reachable master within failoverTimeout (${this.#options.failoverTimeout} ms): ${this.#message(error)}`,
      { cause: error },
    );
  }

  /**
   * Waits a moment while the cluster promotes a replica, refreshing what the client knows; not
   * at all when a master was replaced since the attempt began (`switches`, the count then): the
   * writes the old master's connection held fail only once the switch closed it, after the
   * waiting operations were woken, and the slot map names the new master already.
   */
  async #pauseForFailover(switches: number): Promise<void> {
    if (this.#closed) throw closedError();
    if (this.#switches !== switches) return;
    this.#counts.waitingForMaster++;
    this.#queued++;
    try {
      this.#cluster?.refreshSlotsCache();
      void this.#poll();
      await new Promise<void>((resolve) => {
        const pause = {
          wake: resolve,
          timer: setTimeout(() => {
            this.#pauses.delete(pause);
            resolve();
          }, RETRY_PAUSE_MS),
        };
        this.#pauses.add(pause);
      });
    } finally {
      this.#counts.waitingForMaster--;
    }
    if (this.#closed) throw closedError();
  }

  /**
   * Runs `fn` with the `Cluster` routing each read-only command to a random healthy replica of
   * its slot (`readFrom`), the master when it has none. A read a node fails (no reply, `LOADING`,
   * …) runs once more elsewhere, and that replica leaves the rotation until the cluster's view
   * calls it healthy. `servedBy` is filled as commands are routed: `replica` once any went to one.
   */
  read<T>(
    fn: (node: RoutedConnection, servedBy: ServedBy) => Promise<T>,
    options?: ReadOptions,
  ): Promise<T> {
    const cluster = this.#readyNow();
    if (cluster === undefined) return this.#ready().then(() => this.read(fn, options));
    const reading = this.#readAttempts(cluster, fn, options?.readFrom ?? this.#options.readFrom);
    return options?.timeout === undefined ? reading : bounded(reading, options.timeout);
  }

  async #readAttempts<T>(
    cluster: Cluster,
    fn: (node: RoutedConnection, servedBy: ServedBy) => Promise<T>,
    readFrom: ReadFrom,
  ): Promise<T> {
    let exclude: Set<string> | undefined;
    for (let attempt = 0; ; attempt++) {
      const call: ReadCall = {
        readFrom,
        exclude: exclude ?? NO_EXCLUSIONS,
        servedBy: { role: 'master', address: { host: '', port: 0 } },
        lastReplica: undefined,
        refused: false,
      };
      try {
        const tag = (command: object) => {
          const tagged = command as Tagged;
          tagged[READ_CALL] = call;
          // ioredis looks its command table up by the name as given (lower case): `call('GET')`
          // or `call('EVAL_RO')` would go to the master, past the routing hook.
          if (HAS_UPPER_CASE.test(tagged.name) && commandKind(tagged.name) === 'read') {
            tagged.isReadOnly = true;
          }
        };
        const result = await fn(
          lendTagged(cluster as unknown as Redis, 'read', tag),
          call.servedBy,
        );
        if (call.refused) throw noReplica();
        return result;
      } catch (error) {
        if (call.refused) throw noReplica();
        if (!shouldRetryRead(error, attempt)) throw error;
        this.#counts.readRetries++;
        if (call.lastReplica !== undefined) {
          exclude ??= new Set();
          exclude.add(call.lastReplica);
          this.#leaveRotation(call.lastReplica);
        }
      }
    }
  }

  #leaveRotation(key: string): void {
    if (this.#failedReplicas.has(key) || !this.#readable.has(key)) return;
    this.#failedReplicas.add(key);
    this.emit('topology-change', {
      type: 'REPLICA_REMOVE',
      replica: addressOfKey(key),
      reason: 'read-failed',
    });
  }

  /** One command, routed by its kind: read-only ones as {@link read}, others as {@link write}. */
  call(command: string, ...args: (string | Buffer | number)[]): Promise<unknown> {
    const refusal = refusalOf(command, args);
    if (refusal !== undefined) return Promise.reject(refusalError(refusal));
    return commandKind(command) === 'read'
      ? this.read((node) => node.call(command, ...args))
      : this.write((master) => master.call(command, ...args));
  }

  /** One {@link ShardView} per shard: its master and the replicas reads go to now. */
  topology(): RoutedTopology {
    const natMap = this.#options.natMap;
    const view = (announced: NodeAddress): NodeView => {
      const address = applyNatMap(announced, natMap);
      return {
        address: { ...address },
        announced: { ...announced },
        reads: this.#counts.replicaReads[nodeKey(address)] ?? 0,
      };
    };
    const readable = this.#healthyNow();
    const shards: ShardView[] = this.#shards.map((shard) => ({
      master: shard.master?.health === 'online' ? view(shard.master.address) : undefined,
      replicas: shard.replicas
        .filter((r) => readable.has(nodeKey(applyNatMap(r.address, natMap))))
        .map((r) => view(r.address)),
    }));
    return { status: this.#status, shards };
  }

  stats(): RoutedClientStats {
    const c = this.#counts;
    return { ...c, replicaReads: { ...c.replicaReads } };
  }

  /**
   * Reads the cluster's view of its nodes every `healthPollInterval`, every
   * `failoverPollInterval` while a master is suspect.
   */
  #schedulePoll(delay = pollDelay(new Set(this.#suspects.keys()), this.#options)): void {
    if (this.#closed) return;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined;
      void this.#poll().finally(() => this.#schedulePoll());
    }, delay);
  }

  /** A master just became suspect: read the view now rather than at the next slow poll. */
  #pollSoon(): void {
    // No timer: a read is running, and the next is scheduled at the fast pace after it.
    if (this.#closed || this.#pollTimer === undefined) return;
    clearTimeout(this.#pollTimer);
    this.#schedulePoll(0);
  }

  #poll(): Promise<void> {
    this.#polling ??= this.#readView().finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  async #readView(): Promise<void> {
    const cluster = this.#cluster;
    if (cluster === undefined || this.#closed) return;
    try {
      const source = this.#pollNode(cluster);
      const shards = source === undefined ? this.#shards : await this.#askShards(source);
      const linked = await this.#linkedReplicas(cluster);
      if (this.#closed) return;
      const seenAt = this.#options.clock();
      const { replaced, refresh } = this.#apply(shards, linked);
      const stale = slotMapOnFailedNode(
        this.#masters,
        onlineNodes(shards, this.#options.natMap),
        (slot) => cluster.slots[slot]?.[0],
      );
      // The replaced masters' connections, found before the refresh drops them from the pool.
      const old = replaced.map((r) => cluster.nodes('master').find((n) => keyOf(n) === r.previous));
      if (replaced.length > 0 || refresh || stale) {
        await this.#refreshSlotMap(cluster, source);
      }
      if (this.#closed) return;
      replaced.forEach((replacement, i) => {
        this.#switched(cluster, replacement, seenAt, old[i]);
      });
      if (replaced.length > 0) {
        this.#switches++;
        this.#wakeWaiting();
      }
    } catch (error) {
      this.#report(error);
    }
  }

  /**
   * The node to read the view from: a replica of a suspect master first (it is the one that
   * gets promoted), never a suspect node nor the one the last read failed on.
   */
  #pollNode(cluster: Cluster): Redis | undefined {
    const ready = cluster.nodes('all').filter((n) => n.status === 'ready');
    const candidates: PollCandidate[] = ready.map((n) => ({
      key: keyOf(n),
      masterKey: this.#replicaMaster.get(keyOf(n)),
    }));
    const key = choosePollNode(
      candidates,
      new Set(this.#suspects.keys()),
      this.#avoid,
      this.#options.random,
    );
    return ready.find((n) => keyOf(n) === key);
  }

  /** `CLUSTER SHARDS` from `node` (Redis 7+), `CLUSTER NODES` where it is unknown. */
  async #askShards(node: Redis): Promise<ClusterShard[]> {
    const ask = (...args: string[]) =>
      withDeadline(
        node.call(...(args as [string, ...string[]])),
        this.#pollTimeout,
        args.join(' '),
      );
    try {
      try {
        return parseClusterShards(await ask('CLUSTER', 'SHARDS'));
      } catch (error) {
        if (!(error instanceof Error) || !/unknown subcommand/i.test(error.message)) throw error;
        return parseClusterNodes(String(await ask('CLUSTER', 'NODES')));
      }
    } catch (error) {
      this.#avoid = keyOf(node);
      throw error;
    }
  }

  get #pollTimeout(): number {
    return Math.min(this.#options.commandTimeout, POLL_TIMEOUT_MS);
  }

  /**
   * ioredis' slot map, read again from `source` (the node whose view the client just read, so
   * never a frozen one), else from any node (ioredis' own choice). ioredis then closes the
   * connections of nodes that serve no slot any more, the replaced master's among them.
   */
  async #refreshSlotMap(cluster: Cluster, source: Redis | undefined): Promise<void> {
    const fromNode = (cluster as unknown as GetInfoFromNode).getInfoFromNode;
    await withDeadline(
      new Promise<void>((resolve) => {
        const done = (error?: Error | null) => {
          if (error) this.#report(error);
          resolve();
        };
        if (source === undefined || typeof fromNode !== 'function') cluster.refreshSlotsCache(done);
        else fromNode.call(cluster, source, done);
      }),
      this.#pollTimeout + 100,
      'CLUSTER SLOTS',
    ).catch((error: unknown) => this.#report(error));
  }

  /**
   * The cluster promoted `current` for the shard of `slot`: once the slot map no longer names
   * the old master, its connection (`old`, if still open) is closed now, so the writes it holds
   * fail over (idempotent ones run again on `current`) instead of being acknowledged by the old
   * master if it wakes up, and ioredis re-sends them at once (see resendHeldOnEnd); then
   * MASTER_CHANGE with the failover's timings.
   */
  #switched(
    cluster: Cluster,
    { previous, current }: Replacement,
    seenAt: number,
    old: Redis | undefined,
  ): void {
    if (!cluster.slots.some((keys) => keys?.[0] === previous)) {
      if (old !== undefined) closeNow(old);
      resendHeldOnEnd(cluster, old);
    }
    const suspicion = this.#suspects.get(previous);
    this.#suspects.delete(previous);
    const now = this.#episodeCounts();
    const before = suspicion?.counts ?? now;
    const switchedAt = this.#options.clock();
    this.emit('topology-change', {
      type: 'MASTER_CHANGE',
      previous: addressOfKey(previous),
      current: addressOfKey(current),
      reason: 'poll',
      switchedAt,
      timings: {
        lostAt: suspicion?.since,
        announcedAt: seenAt,
        switchedAt,
        queued: now.queued - before.queued,
        retried: now.retried - before.retried,
        rejected: now.rejected - before.rejected,
      },
    });
  }

  /** Operations pausing for a master run again now: the slot map just moved. */
  #wakeWaiting(): void {
    for (const pause of this.#pauses) {
      clearTimeout(pause.timer);
      pause.wake();
    }
    this.#pauses.clear();
  }

  /** The replicas whose own `ROLE` says they are linked to their master (a frozen one is not). */
  async #linkedReplicas(cluster: Cluster): Promise<Set<string>> {
    const linked = new Set<string>();
    await Promise.all(
      cluster.nodes('slave').map(async (node) => {
        const role = parseRole(
          await withDeadline(node.call('ROLE'), this.#pollTimeout, 'ROLE').catch(() => undefined),
        );
        if (role?.role === 'replica' && role.linkState === 'connected') {
          linked.add(nodeKey({ host: node.options.host!, port: node.options.port! }));
        }
      }),
    );
    return linked;
  }

  /**
   * Takes in a view: replicas in and out of the rotation, masters found. Returns the shards
   * whose master the cluster replaced (the caller refreshes the slot map, then switches) and
   * whether the slot map needs a refresh anyway.
   */
  #apply(
    shards: ClusterShard[],
    linked: Set<string>,
  ): { replaced: Replacement[]; refresh: boolean } {
    const natMap = this.#options.natMap;
    const readable = readableReplicas(shards, natMap, linked);
    const masters = mastersBySlot(shards, natMap);
    // A shard whose master the cluster flags failed keeps it here until a replica is promoted,
    // so the promotion is seen as a replacement of that master.
    for (const [slot, key] of this.#masters) if (!masters.has(slot)) masters.set(slot, key);
    const first = this.#shards.length === 0;
    this.#shards = shards;
    this.#replicaMaster = replicaMasters(shards, natMap);
    const added = [...readable].filter(
      (key) => !this.#readable.has(key) || this.#failedReplicas.has(key),
    );
    const removed = [...this.#readable].filter(
      (key) => !readable.has(key) && !this.#failedReplicas.has(key),
    );
    // The rotation first, then the events: a listener that looks at topology() sees the change.
    this.#readable = readable;
    this.#failedReplicas.clear();
    for (const key of added) {
      this.emit('topology-change', { type: 'REPLICA_ADD', replica: addressOfKey(key) });
    }
    for (const key of removed) {
      this.emit('topology-change', {
        type: 'REPLICA_REMOVE',
        replica: addressOfKey(key),
        reason: 'down',
      });
    }
    let moved = false;
    const replaced = replacedMasters(this.#masters, masters);
    this.#counts.masterChanges += replaced.length;
    for (const [slot, key] of masters) {
      if (this.#masters.has(slot)) continue;
      if (!first) moved = true;
      this.emit('topology-change', {
        type: 'MASTER_CHANGE',
        previous: undefined,
        current: addressOfKey(key),
        reason: 'discovered',
        switchedAt: this.#options.clock(),
        timings: undefined,
      });
    }
    this.#masters = masters;
    // A suspect the cluster no longer names master (replaced above, or gone) is not watched.
    const named = new Set(masters.values());
    for (const key of [...this.#suspects.keys()]) {
      if (!named.has(key) && !replaced.some((r) => r.previous === key)) this.#suspects.delete(key);
    }
    // A promotion the poll saw first: move ioredis' slot map now, not at its next refresh. The
    // same for a replica the cluster calls online that ioredis has no connection to: `CLUSTER
    // SLOTS`, which ioredis reads, leaves out replicas whose offset is still 0 (a fresh or
    // resynced one), and ioredis would only learn of it at its next refresh (5 s).
    const unknown = [...readableReplicas(shards, natMap)].some(
      (key) => !linked.has(key) && !this.#inPool(key),
    );
    return { replaced, refresh: moved || unknown };
  }

  #inPool(key: string): boolean {
    return (this.#cluster?.nodes('slave') ?? []).some(
      (n) => nodeKey({ host: n.options.host!, port: n.options.port! }) === key,
    );
  }

  #report(error: unknown): void {
    if (this.listenerCount('error') === 0 || this.#closed) return;
    const message = this.#message(error);
    this.emit('error', new SentinelKitError('CONNECTION_FAILED', message, { cause: error }));
  }

  #message(error: unknown): string {
    const text = error instanceof Error ? error.message : String(error);
    return redactSecrets(text, this.#secrets);
  }

  /**
   * Stops polling and closes every connection; operations waiting for a master reject with
   * `CLIENT_CLOSED`. Resolves once every socket is closed; no timer is left.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#status = 'closed';
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    clearInterval(this.#watchTimer);
    this.#watchTimer = undefined;
    clearTimeout(this.#probeTimer);
    this.#suspects.clear();
    this.#wakeWaiting();
    await this.#connecting?.catch(() => {});
    await this.#shutCluster();
  }

  async #shutCluster(): Promise<void> {
    const cluster = this.#cluster;
    if (cluster === undefined) return;
    this.#cluster = undefined;
    const nodes = cluster.nodes('all');
    const ended = new Promise<void>((resolve) => {
      if (cluster.status === 'end') resolve();
      else cluster.once('end', () => resolve());
    });
    // Each node closed now: ioredis' own disconnect() of a node whose socket already closed
    // (refused, lost) arms a 2 s timer nothing clears (see closeNow).
    for (const node of nodes) closeNow(node);
    cluster.disconnect();
    await Promise.all([ended, ...nodes.map(nodeEnded)]);
    // The slot refresher's own connections are out of reach; their 1 ms destroy timers (see
    // disconnectTimeout above) have fired once a later 2 ms timer has.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }

  override toString(): string {
    const masters = this.#masters.size;
    return `ClusterClient(${this.#status}, ${masters} masters, ${this.#healthyNow().size} replicas in rotation)`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * Creates a cluster client from a location (`redis+cluster://host:port,…`) or options, with
 * `overrides` on top. Validates everything now (`INVALID_OPTION` naming the option) and does no
 * I/O: call `connect()`.
 */
export function createClusterClient(
  location: string | ClusterClientOptions,
  overrides?: Partial<ClusterClientOptions>,
): ClusterClient {
  return new ClusterClient(resolveClusterOptions(location, overrides));
}

function masterOfSlot(cluster: Cluster, slot: number): Redis | undefined {
  const key = cluster.slots[slot]?.[0];
  if (key === undefined) return undefined;
  return cluster
    .nodes('master')
    .find((n) => nodeKey({ host: n.options.host!, port: n.options.port! }) === key);
}

/** ioredis' connection key of a node: `host:port` as dialled. */
/**
 * Fails `redis`'s commands unanswered for `commandTimeout` (a sweep of its queue, no timer per
 * command), and sends the commands of one tick in one socket write (tick.ts): ioredis writes
 * each command on its own, node-redis batches them. Both stop when the node's connection ends.
 */
function watchNode(redis: Redis, commandTimeout: number): void {
  watchCommandTimeouts(redis, commandTimeout);
  const send = redis.sendCommand;
  redis.sendCommand = function batchedSend(this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    // A pipeline's commands (sent with its stream) leave in one write already.
    if (args[1] === undefined) batchCommands(this);
    return send.apply(this, args);
  };
}

// A connection's `host:port`, built once: the routing hook asks it for every read command.
const keysOfConnections = new WeakMap<Redis, string>();

function keyOf(redis: Redis): string {
  let key = keysOfConnections.get(redis);
  if (key === undefined) {
    key = nodeKey({ host: redis.options.host!, port: redis.options.port! });
    keysOfConnections.set(redis, key);
  }
  return key;
}

/**
 * ioredis' `Cluster#getInfoFromNode` (not in its public types): reads `CLUSTER SLOTS` from
 * that node, updates the slot map and resets the connection pool to the nodes it names.
 * test/ioredis-internals.test.ts fails by name if it goes away (the client then falls back to
 * `refreshSlotsCache()`, which asks a random node).
 */
interface GetInfoFromNode {
  getInfoFromNode?: (redis: Redis, callback: (error?: Error | null) => void) => void;
}

/**
 * ioredis' `Cluster#delayQueue` (not in its public types): a command whose connection closed
 * waits in its `failover` bucket for `retryDelayOnFailover` (100 ms), then runs again once the
 * slot map was read. test/ioredis-internals.test.ts fails by name if its shape changes (the
 * re-send then comes at ioredis' own pace).
 */
interface DelayQueueHolder {
  delayQueue?: { execute?: (bucket: string) => void };
}

/**
 * Once `old` (the replaced master's connection) has ended, runs the commands it held, which
 * ioredis put in its failover queue on closing it, now: the slot map already names the new
 * master, and ioredis would wait `retryDelayOnFailover` first. Commands ioredis queued after a
 * lost connection before the switch (a killed master) run now too.
 */
export function resendHeldOnEnd(cluster: Cluster, old: Redis | undefined): void {
  const queue = (cluster as unknown as DelayQueueHolder).delayQueue;
  if (typeof queue?.execute !== 'function') return;
  const resend = () => {
    if (cluster.status === 'ready') queue.execute?.('failover');
  };
  // ioredis fails a closing connection's commands (into the queue), then emits `end`.
  if (old === undefined || old.status === 'end') resend();
  else old.once('end', resend);
}

/** Every node the view calls online, by connection key (after the NAT map). */
function onlineNodes(
  shards: readonly ClusterShard[],
  natMap: ResolvedClusterClientOptions['natMap'],
): Set<string> {
  const online = new Set<string>();
  for (const shard of shards) {
    for (const node of [shard.master, ...shard.replicas]) {
      if (node?.health === 'online') online.add(nodeKey(applyNatMap(node.address, natMap)));
    }
  }
  return online;
}

/** Each replica's master, by connection key (after the NAT map). */
function replicaMasters(
  shards: readonly ClusterShard[],
  natMap: ResolvedClusterClientOptions['natMap'],
): Map<string, string> {
  const masters = new Map<string, string>();
  for (const shard of shards) {
    if (shard.master === undefined) continue;
    const master = nodeKey(applyNatMap(shard.master.address, natMap));
    for (const r of shard.replicas) masters.set(nodeKey(applyNatMap(r.address, natMap)), master);
  }
  return masters;
}

function addressOfKey(key: string): NodeAddress {
  const colon = key.lastIndexOf(':');
  return { host: key.slice(0, colon), port: Number(key.slice(colon + 1)) };
}

function nodeEnded(redis: Redis): Promise<void> {
  if (redis.status === 'end') return Promise.resolve();
  return new Promise((resolve) => redis.once('end', () => resolve()));
}

function noReplica(): SentinelKitError {
  return new SentinelKitError(
    'NO_REPLICA_AVAILABLE',
    "readFrom 'replica-only': the slot has no healthy replica (the command was answered by its master and dropped)",
  );
}

function isSentinelCode(error: unknown, code: string): boolean {
  return error instanceof SentinelKitError && error.code === code;
}

/** `promise`, rejected with `TIMEOUT` after `ms` when given. */
function bounded<T>(promise: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return promise;
  return withDeadline(promise, ms, 'read');
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return settleWithin(
    promise,
    ms,
    () => new SentinelKitError('TIMEOUT', `${what} took over ${ms} ms`),
  );
}
