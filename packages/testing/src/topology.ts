import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';
import type { BackendNode, NodeBackend, NodeKind } from './backends/backend.js';
import type { ContainerNetwork } from './backends/container.js';
import { type BackendName, createBackend } from './backends/select.js';
import { type DataAuth, dataNodeConfig, sentinelConfig } from './config.js';
import { TopologyError } from './errors.js';
import {
  type Address,
  assessHealth,
  flatToRecord,
  type SentinelView,
  toReplicaView,
} from './health.js';
import { allocatePorts, releasePorts } from './ports.js';
import {
  makeCertificates,
  nodeHostname,
  type TopologyCertificates,
  type TopologyTlsMaterial,
  type TopologyTlsOptions,
} from './tls.js';

/** Options of {@link startSentinelTopology}. */
export interface SentinelTopologyOptions {
  /** Number of replicas. @default 2 */
  replicas?: number;
  /** Number of sentinels. @default 3 */
  sentinels?: number;
  /** Sentinels that must agree the master is down. @default a majority of `sentinels` */
  quorum?: number;
  /** Name Sentinel monitors the master under. @default 'mymaster' */
  masterName?: string;
  /** Sentinel's `down-after-milliseconds`. @default 1000 */
  downAfterMs?: number;
  /** Sentinel's `failover-timeout`. @default 3000 */
  failoverTimeoutMs?: number;
  /** Password of the data nodes (`requirepass`, or the ACL user's password with `username`). */
  password?: string;
  /** ACL user on the data nodes; the default user is then switched off. Requires `password`. */
  username?: string;
  /** Password clients need to talk to the sentinels (separate from the data nodes'). */
  sentinelPassword?: string;
  /** How long to wait for the topology to become healthy. @default 20000 */
  readyTimeoutMs?: number;
  /**
   * How nodes are started: `'process'` runs local `redis-server` processes,
   * `'container'` runs each node in a container (testcontainers), `'auto'` picks
   * processes when `redis-server` is found and containers when a container
   * engine answers; or pass any {@link NodeBackend}.
   * @default `$SENTINELKIT_BACKEND`, else 'auto'
   */
  backend?: BackendName | NodeBackend;
  /** Path to `redis-server` for the process backend. @default found on PATH or `$SENTINELKIT_REDIS_SERVER` */
  redisServer?: string;
  /**
   * Image of the container backend, with `redis-server` 7 on its `PATH`.
   * @default `$SENTINELKIT_REDIS_IMAGE`, else 'redis:7'
   */
  image?: string;
  /**
   * Network of the container backend: `'host'` (nodes on 127.0.0.1, as
   * processes), `'bridge'` (nodes announce their names; use the topology's
   * `connectionOptions.natMap`), or `'auto'` (`'host'` on a Linux engine).
   * @default 'auto'
   */
  containerNetwork?: ContainerNetwork;
  /**
   * TLS-only nodes: a CA, node and client certificates are made in the work
   * directory (needs `openssl`); data nodes and sentinels listen on TLS only
   * and talk to each other over TLS. Clients get the CA and a client
   * certificate from the topology's `tls` and `connectionOptions`.
   * `true` means `{ clientCertificates: 'optional' }`. @default false
   */
  tls?: boolean | TopologyTlsOptions;
}

export type NodeState = 'running' | 'frozen' | 'killed';

/** One redis-server of the topology: a data node (master or replica) or a sentinel. */
export class TopologyNode {
  /** @internal */
  _state: NodeState = 'killed';

  constructor(
    /** `data` (master or replica: roles change on failover) or `sentinel`. */
    readonly kind: NodeKind,
    /** Position among nodes of the same kind. */
    readonly index: number,
    readonly host: string,
    readonly port: number,
    /** @internal */
    readonly _backend: BackendNode,
    /**
     * Address the sentinels and the other nodes know this node by: `host:port`,
     * except behind NAT (container bridge networks), where it is its name.
     */
    readonly announced: Address = { host, port },
  ) {}

  /** `data-0`, `sentinel-2`, … (`data-0` is the initial master). */
  get name(): string {
    return `${this.kind}-${this.index}`;
  }

  /** `host:port`. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this._backend.pid;
  }

  get state(): NodeState {
    return this._state;
  }

  toString(): string {
    return `${this.name} (${this.address}, ${this._state})`;
  }
}

function notRunning(node: TopologyNode, action: string): TopologyError {
  return new TopologyError(
    'NODE_NOT_RUNNING',
    `cannot ${action} ${node}: it is ${node.state}${node.state === 'killed' ? ' (restart() it first)' : ' (thaw() it first)'}`,
  );
}

/** One message a sentinel published, as received by the topology's subscribers. */
export interface SentinelEvent {
  /** The sentinel that published it. */
  sentinel: TopologyNode;
  /** Event type, which is also the channel name, e.g. `+switch-master`. */
  type: string;
  message: string;
  /** Epoch milliseconds (sub-millisecond precision) when it was received. */
  at: number;
}

/** A completed failover as Sentinel announced it. */
export interface SwitchEvent {
  /** The node that is master now. */
  master: TopologyNode;
  /** The address that was master before. */
  from: Address;
  /** Epoch milliseconds when the first sentinel published `+switch-master`. */
  at: number;
  /** The sentinel that announced it first. */
  sentinel: TopologyNode;
}

/** Plain options a Sentinel client needs to reach this topology. */
export interface TopologyConnectionOptions {
  masterName: string;
  sentinels: Address[];
  username?: string;
  password?: string;
  sentinelPassword?: string;
  /**
   * Only when nodes are behind NAT (container bridge networks): announced
   * `host:port` → the address this process reaches it on. Pass it as the core's
   * `natMap` option.
   */
  natMap?: Record<string, Address>;
  /** TLS topologies: the CA and the client certificate, for data nodes. */
  tls?: TopologyTlsMaterial;
  /** TLS topologies: the same, for sentinels. */
  sentinelTls?: TopologyTlsMaterial;
}

interface TlsSettings {
  certificates: TopologyCertificates;
  hostnameCertificates: boolean;
}

const POLL_INTERVAL_MS = 50;

/** Wall-clock epoch milliseconds with sub-millisecond precision. */
const now = (): number => performance.timeOrigin + performance.now();

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function positiveInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid option "${name}": expected an integer >= ${min}, got ${value}`,
    );
  }
  return value;
}

/**
 * A running Sentinel deployment on loopback ports, with fault injection.
 * Obtain one with {@link startSentinelTopology}; always `stop()` it.
 */
export class SentinelTopology {
  readonly masterName: string;
  /** Every data node; roles change on failover, so ask {@link currentMaster} who is master. */
  readonly dataNodes: readonly TopologyNode[];
  readonly sentinelNodes: readonly TopologyNode[];
  /** Every sentinel published event received since start, oldest first. */
  readonly events: SentinelEvent[] = [];

  private readonly admin = new Map<TopologyNode, Redis>();
  private readonly subscribers: Redis[] = [];
  private readonly emitter = new EventEmitter();
  private lastFaultAt: number;
  private stopping: Promise<void> | undefined;

  /** @internal use {@link startSentinelTopology} */
  constructor(
    private readonly backend: NodeBackend,
    private readonly settings: Required<
      Pick<SentinelTopologyOptions, 'masterName' | 'readyTimeoutMs'>
    > & {
      dataAuth: DataAuth;
      sentinelPassword: string | undefined;
      tls?: TlsSettings | undefined;
    },
    dataNodes: TopologyNode[],
    sentinelNodes: TopologyNode[],
  ) {
    this.masterName = settings.masterName;
    this.dataNodes = dataNodes;
    this.sentinelNodes = sentinelNodes;
    this.lastFaultAt = now();
    this.emitter.setMaxListeners(0);
  }

  /** Host directory holding the nodes' configs and logs (removed by `stop()`). */
  get workDir(): string | undefined {
    return this.backend.workDir;
  }

  /**
   * TLS topologies: the CA that signed every node's certificate, and a client
   * certificate and key it also signed (PEM); `undefined` without TLS.
   */
  get tls(): TopologyTlsMaterial | undefined {
    return this.settings.tls?.certificates.client;
  }

  /**
   * TLS options (`tls.connect` options) for connecting to `node` with the
   * topology's CA and client certificate; with `hostnameCertificates`, the
   * `servername` its certificate names. `undefined` without TLS.
   */
  tlsFor(node: TopologyNode): ConnectionOptions | undefined {
    const tls = this.settings.tls;
    if (!tls) return undefined;
    return {
      ...tls.certificates.client,
      ...(tls.hostnameCertificates && { servername: nodeHostname(node.name) }),
    };
  }

  /** Sentinel addresses, in order. */
  get sentinels(): Address[] {
    return this.sentinelNodes.map(({ host, port }) => ({ host, port }));
  }

  /** django-redis-sentinel location: `mymaster/127.0.0.1:p1,127.0.0.1:p2,…/0` (no credentials). */
  get location(): string {
    return `${this.masterName}/${this.sentinelNodes.map((n) => n.address).join(',')}/0`;
  }

  /** What a Sentinel client needs, credentials included. */
  get connectionOptions(): TopologyConnectionOptions {
    const { username, password } = this.settings.dataAuth;
    return {
      masterName: this.masterName,
      sentinels: this.sentinels,
      ...(username !== undefined && { username }),
      ...(password !== undefined && { password }),
      ...(this.settings.sentinelPassword !== undefined && {
        sentinelPassword: this.settings.sentinelPassword,
      }),
      ...(this.natMap && { natMap: this.natMap }),
      ...(this.tls && { tls: { ...this.tls }, sentinelTls: { ...this.tls } }),
    };
  }

  /** Announced address → reachable address of every node, when they differ (else `undefined`). */
  get natMap(): Record<string, Address> | undefined {
    const nodes = [...this.dataNodes, ...this.sentinelNodes];
    const differs = (n: TopologyNode) => n.announced.host !== n.host || n.announced.port !== n.port;
    if (!nodes.some(differs)) return undefined;
    return Object.fromEntries(
      nodes.map((n) => [`${n.announced.host}:${n.announced.port}`, { host: n.host, port: n.port }]),
    );
  }

  /** The data node the running sentinels name as master (the majority answer). */
  async currentMaster(): Promise<TopologyNode> {
    this.assertRunning();
    const answers = await Promise.all(
      this.runningSentinels().map((s) =>
        this.adminFor(s)
          .call('SENTINEL', 'get-master-addr-by-name', this.masterName)
          .then((reply) => (Array.isArray(reply) ? `${reply[0]}:${reply[1]}` : undefined))
          .catch(() => undefined),
      ),
    );
    const counts = new Map<string, number>();
    for (const a of answers) if (a) counts.set(a, (counts.get(a) ?? 0) + 1);
    const best = [...counts].sort((x, y) => y[1] - x[1])[0];
    if (!best) throw new TopologyError('NOT_READY', 'no running sentinel names a master');
    return this.dataNodeAt(best[0]);
  }

  /**
   * Running data nodes other than the current master, in index order: killed and frozen nodes
   * serve nothing and are left out (so `killReplica(0)` twice kills two different replicas).
   */
  async replicas(): Promise<TopologyNode[]> {
    const master = await this.currentMaster();
    return this.dataNodes.filter((n) => n !== master && n._state === 'running');
  }

  /** SIGKILLs the current master; returns it. */
  async killMaster(): Promise<TopologyNode> {
    const master = await this.currentMaster();
    await this.kill(master);
    return master;
  }

  /** SIGSTOPs the current master (a hung host: sockets stay open, nothing answers); returns it. */
  async freezeMaster(): Promise<TopologyNode> {
    const master = await this.currentMaster();
    await this.freeze(master);
    return master;
  }

  /** SIGKILLs the `index`-th current replica (in data-node order); returns it. */
  async killReplica(index = 0): Promise<TopologyNode> {
    const node = await this.replicaAt(index);
    await this.kill(node);
    return node;
  }

  /** SIGSTOPs the `index`-th current replica; returns it. */
  async freezeReplica(index = 0): Promise<TopologyNode> {
    const node = await this.replicaAt(index);
    await this.freeze(node);
    return node;
  }

  /** SIGKILLs sentinel `index`; returns it. */
  async killSentinel(index = 0): Promise<TopologyNode> {
    const node = this.sentinelNodes[index];
    if (!node) throw new TopologyError('NO_SUCH_NODE', `there is no sentinel ${index}`);
    await this.kill(node);
    return node;
  }

  /** SIGKILLs any node (running or frozen); a killed one is a `NODE_NOT_RUNNING` error. */
  async kill(node: TopologyNode): Promise<void> {
    this.markFault();
    if (node._state === 'killed') throw notRunning(node, 'kill');
    await node._backend.kill();
    node._state = 'killed';
  }

  /** SIGSTOPs any running node; another is a `NODE_NOT_RUNNING` error. */
  async freeze(node: TopologyNode): Promise<void> {
    this.markFault();
    if (node._state !== 'running') throw notRunning(node, 'freeze');
    await node._backend.freeze();
    node._state = 'frozen';
  }

  /** SIGCONTs `node`, or every frozen node when called without one. */
  async thaw(node?: TopologyNode): Promise<void> {
    const frozen = node ? [node] : [...this.dataNodes, ...this.sentinelNodes];
    for (const n of frozen) {
      if (n._state !== 'frozen') continue;
      await n._backend.thaw();
      n._state = 'running';
    }
  }

  /**
   * Kills `node` if it is still running or frozen and starts it again with the
   * config it last wrote (a data node that was master comes back as master until
   * Sentinel converts it). Resolves once it accepts connections.
   */
  async restart(node: TopologyNode): Promise<void> {
    this.assertRunning();
    if (node._state !== 'killed') await this.kill(node);
    await node._backend.start();
    node._state = 'running';
  }

  /** Asks a sentinel for a graceful failover (`SENTINEL FAILOVER`). */
  async failover(): Promise<void> {
    const sentinel = this.runningSentinels()[0];
    if (!sentinel)
      throw new TopologyError('NOT_READY', 'no running sentinel to ask for a failover');
    this.markFault();
    await this.adminFor(sentinel).call('SENTINEL', 'FAILOVER', this.masterName);
  }

  /**
   * Resolves with the first `+switch-master` for this master name published
   * after `after` (default: the most recent fault or `failover()`, so it may be
   * called before or after injecting the fault).
   */
  async waitForSwitch(options: { timeoutMs?: number; after?: number } = {}): Promise<SwitchEvent> {
    const after = options.after ?? this.lastFaultAt;
    const timeoutMs = options.timeoutMs ?? 30_000;
    const match = (e: SentinelEvent) =>
      e.type === '+switch-master' && e.at >= after && e.message.startsWith(`${this.masterName} `);
    const toSwitch = (e: SentinelEvent): SwitchEvent => {
      const [, fromHost = '', fromPort, toHost = '', toPort] = e.message.split(' ');
      const from = this.dataNodes.find(
        (n) => n.announced.host === fromHost && n.announced.port === Number(fromPort),
      );
      return {
        master: this.dataNodeAt(`${toHost}:${toPort}`),
        from: from
          ? { host: from.host, port: from.port }
          : { host: fromHost, port: Number(fromPort) },
        at: e.at,
        sentinel: e.sentinel,
      };
    };
    const seen = this.events.find(match);
    if (seen) return toSwitch(seen);
    const found = await this.waitForEvent(
      match,
      timeoutMs,
      `+switch-master for ${this.masterName}`,
    );
    return toSwitch(found);
  }

  /**
   * Resolves once every running sentinel agrees on a running master and sees
   * every other running data node as a replica with a working link following it,
   * and every other running sentinel. Returns the master.
   */
  async waitForHealthy(options: { timeoutMs?: number } = {}): Promise<TopologyNode> {
    const deadline = Date.now() + (options.timeoutMs ?? this.settings.readyTimeoutMs);
    let reason = 'not checked yet';
    while (Date.now() < deadline) {
      this.assertRunning();
      const verdict = assessHealth(await this.sentinelViews(), {
        runningDataNodes: this.dataNodes
          .filter((n) => n._state === 'running')
          .map((n) => n.announced),
        runningSentinels: this.runningSentinels().length,
      });
      if (verdict.healthy) return this.dataNodeAt(`${verdict.master.host}:${verdict.master.port}`);
      reason = verdict.reason;
      await delay(POLL_INTERVAL_MS);
    }
    throw new TopologyError(
      'NOT_READY',
      `topology not healthy after ${options.timeoutMs ?? this.settings.readyTimeoutMs} ms: ${reason}`,
    );
  }

  /** Kills every node, closes every connection and removes the temp directory. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const client of [...this.admin.values(), ...this.subscribers]) client.disconnect();
      const nodes = [...this.dataNodes, ...this.sentinelNodes];
      await Promise.all(
        nodes.map(async (n) => {
          await n._backend.kill();
          n._state = 'killed';
        }),
      );
      await this.backend.dispose();
      releasePorts(nodes.map((n) => n.port));
    })();
    return this.stopping;
  }

  /**
   * Runs one command directly on `node` (a data node or a sentinel) with the
   * topology's credentials, over a connection of its own: for setting up and
   * asserting in tests, never through the client under test. Bounded by 2 s,
   * so a frozen node fails it with "Command timed out".
   */
  async command(
    node: TopologyNode,
    ...command: [string, ...(string | number | Buffer)[]]
  ): Promise<unknown> {
    this.assertRunning();
    const { username, password } = this.settings.dataAuth;
    const auth =
      node.kind === 'sentinel'
        ? { password: this.settings.sentinelPassword }
        : { username, password };
    const redis = new Redis({
      host: node.host,
      port: node.port,
      ...(auth.username !== undefined && { username: auth.username }),
      ...(auth.password !== undefined && { password: auth.password }),
      ...(this.tlsFor(node) && { tls: this.tlsFor(node) }),
      lazyConnect: true,
      // A bare connection (no HELLO, no CLIENT SETINFO, no ready check): the
      // command itself meets the node.
      protocol: 2,
      disableClientInfo: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2000,
      commandTimeout: 2000,
    });
    redis.on('error', () => {});
    try {
      await redis.connect();
      return await redis.call(...command);
    } finally {
      redis.disconnect();
    }
  }

  /**
   * How many times `command` ran on `node` since it started or since
   * {@link resetCommandStats}, from `INFO commandstats`: to assert where a
   * client sent its reads and writes.
   */
  async commandCalls(node: TopologyNode, command: string): Promise<number> {
    const info = String(await this.command(node, 'INFO', 'commandstats'));
    const match = new RegExp(`^cmdstat_${command.toLowerCase()}:calls=(\\d+)`, 'm').exec(info);
    return match ? Number(match[1]) : 0;
  }

  /** Resets `INFO commandstats` on every running data node. */
  async resetCommandStats(): Promise<void> {
    for (const node of this.dataNodes) {
      if (node._state === 'running') await this.command(node, 'CONFIG', 'RESETSTAT');
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** @internal starts every node and waits until healthy */
  async _start(): Promise<void> {
    const [master, ...replicas] = this.dataNodes;
    if (!master) throw new TopologyError('INVALID_OPTION', 'a topology needs a master');
    await this.startNodes([master]);
    await this.startNodes(replicas);
    await this.startNodes(this.sentinelNodes);
    for (const sentinel of this.sentinelNodes) await this.subscribe(sentinel);
    await this.waitForHealthy();
    this.lastFaultAt = now();
  }

  private async startNodes(nodes: readonly TopologyNode[]): Promise<void> {
    // Settle every start before failing: a node still starting when stop() runs
    // (a container being created) would otherwise outlive the topology.
    const results = await Promise.allSettled(
      nodes.map(async (n) => {
        await n._backend.start();
        n._state = 'running';
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private sentinelClient(sentinel: TopologyNode): Redis {
    const client = new Redis({
      host: sentinel.host,
      port: sentinel.port,
      ...(this.settings.sentinelPassword !== undefined && {
        password: this.settings.sentinelPassword,
      }),
      ...(this.tlsFor(sentinel) && { tls: this.tlsFor(sentinel) }),
      lazyConnect: true,
      // Fail fast while a sentinel is down instead of queueing: polls retry anyway.
      enableOfflineQueue: false,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      commandTimeout: 1000,
      retryStrategy: () => 100,
    });
    // Connection errors are expected while a sentinel is killed; polls report them.
    client.on('error', () => {});
    return client;
  }

  private adminFor(sentinel: TopologyNode): Redis {
    let client = this.admin.get(sentinel);
    if (!client) {
      client = this.sentinelClient(sentinel);
      client.connect().catch(() => {});
      this.admin.set(sentinel, client);
    }
    return client;
  }

  private async subscribe(sentinel: TopologyNode): Promise<void> {
    const client = this.sentinelClient(sentinel);
    this.subscribers.push(client);
    client.on('pmessage', (_pattern: string, channel: string, message: string) => {
      const event: SentinelEvent = { sentinel, type: channel, message, at: now() };
      this.events.push(event);
      this.emitter.emit('event', event);
    });
    await client.connect();
    await client.psubscribe('*');
  }

  private waitForEvent(
    match: (e: SentinelEvent) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<SentinelEvent> {
    return new Promise((resolve, reject) => {
      const onEvent = (e: SentinelEvent) => {
        if (!match(e)) return;
        clearTimeout(timer);
        this.emitter.off('event', onEvent);
        resolve(e);
      };
      const timer = setTimeout(() => {
        this.emitter.off('event', onEvent);
        const recent = this.events
          .slice(-10)
          .map((e) => `${e.sentinel.name} ${e.type} ${e.message}`)
          .join('; ');
        reject(
          new TopologyError(
            'TIMEOUT',
            `no ${what} within ${timeoutMs} ms; recent events: ${recent || 'none'}`,
          ),
        );
      }, timeoutMs);
      this.emitter.on('event', onEvent);
    });
  }

  private async sentinelViews(): Promise<SentinelView[]> {
    return Promise.all(
      this.runningSentinels().map(async (s): Promise<SentinelView> => {
        const client = this.adminFor(s);
        try {
          const [master, replicas, peers] = await Promise.all([
            client.call('SENTINEL', 'get-master-addr-by-name', this.masterName),
            client.call('SENTINEL', 'replicas', this.masterName),
            client.call('SENTINEL', 'sentinels', this.masterName),
          ]);
          return {
            sentinel: s.name,
            master: Array.isArray(master)
              ? { host: String(master[0]), port: Number(master[1]) }
              : null,
            replicas: Array.isArray(replicas) ? replicas.map(toReplicaView) : [],
            peersUp: Array.isArray(peers)
              ? peers.filter((p) => !(flatToRecord(p).flags ?? '').includes('s_down')).length
              : 0,
          };
        } catch (error) {
          return { sentinel: s.name, error: (error as Error).message };
        }
      }),
    );
  }

  private runningSentinels(): TopologyNode[] {
    return this.sentinelNodes.filter((n) => n._state === 'running');
  }

  private async replicaAt(index: number): Promise<TopologyNode> {
    const node = (await this.replicas())[index];
    if (!node) throw new TopologyError('NO_SUCH_NODE', `there is no replica ${index}`);
    return node;
  }

  /** The data node Sentinel names by `address` (its announced address). */
  private dataNodeAt(address: string): TopologyNode {
    const node = this.dataNodes.find((n) => `${n.announced.host}:${n.announced.port}` === address);
    if (!node)
      throw new TopologyError('NO_SUCH_NODE', `no data node of this topology at ${address}`);
    return node;
  }

  private markFault(): void {
    this.assertRunning();
    this.lastFaultAt = now();
  }

  private assertRunning(): void {
    if (this.stopping) throw new TopologyError('STOPPED', 'the topology has been stopped');
  }
}

/**
 * Starts 1 master, `replicas` replicas and `sentinels` sentinels on free
 * loopback ports, and resolves once the topology is healthy (polled real state,
 * never a fixed sleep). On failure everything started so far is stopped.
 */
export async function startSentinelTopology(
  options: SentinelTopologyOptions = {},
): Promise<SentinelTopology> {
  const replicaCount = positiveInteger('replicas', options.replicas ?? 2, 0);
  const sentinelCount = positiveInteger('sentinels', options.sentinels ?? 3, 1);
  const quorum = positiveInteger('quorum', options.quorum ?? Math.floor(sentinelCount / 2) + 1, 1);
  if (quorum > sentinelCount) {
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid option "quorum": ${quorum} is more than the ${sentinelCount} sentinels`,
    );
  }
  const masterName = options.masterName ?? 'mymaster';
  if (!/^[A-Za-z0-9._-]+$/.test(masterName)) {
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid option "masterName": expected letters, digits, '.', '_' or '-', got ${JSON.stringify(masterName)}`,
    );
  }
  if (options.username !== undefined && options.password === undefined) {
    throw new TopologyError(
      'INVALID_OPTION',
      'Invalid option "username": an ACL user needs a "password" too',
    );
  }
  const downAfterMs = positiveInteger('downAfterMs', options.downAfterMs ?? 1000, 1);
  const failoverTimeoutMs = positiveInteger(
    'failoverTimeoutMs',
    options.failoverTimeoutMs ?? 3000,
    1,
  );
  const readyTimeoutMs = positiveInteger('readyTimeoutMs', options.readyTimeoutMs ?? 20_000, 1);

  const tlsOptions = topologyTlsOptions(options.tls);
  const host = '127.0.0.1';
  const dataAuth: DataAuth = { username: options.username, password: options.password };
  const backend = await createBackend(options);
  const ports = await allocatePorts(1 + replicaCount + sentinelCount, host);
  // Behind NAT, nodes know each other by name; the test process still reaches
  // every node on 127.0.0.1 (the backend publishes the same port).
  const hostnames = backend.addressing === 'hostname';
  const announcedHost = (name: string) => (hostnames ? name : host);
  const [masterPort = 0] = ports;
  const master = { host: announcedHost('data-0'), port: masterPort };

  const nodeNames = [
    ...ports.slice(0, 1 + replicaCount).map((_, i) => `data-${i}`),
    ...ports.slice(1 + replicaCount).map((_, i) => `sentinel-${i}`),
  ];
  let tls: TlsSettings | undefined;
  try {
    tls = tlsOptions && {
      certificates: makeCertificates(nodeNames, tlsOptions),
      hostnameCertificates: tlsOptions.hostnameCertificates,
    };
  } catch (error) {
    releasePorts(ports);
    await backend.dispose();
    throw error;
  }
  const tlsConfig = tlsOptions && { clientCertificates: tlsOptions.clientCertificates };
  const node = (kind: NodeKind, index: number, port: number, config: string) => {
    const name = `${kind}-${index}`;
    return new TopologyNode(
      kind,
      index,
      host,
      port,
      backend.createNode({
        kind,
        name,
        host,
        port,
        config,
        ...(tls && {
          files: { ...tls.certificates.forNode(name) },
          clientTls: {
            ...tls.certificates.client,
            ...(tls.hostnameCertificates && { servername: nodeHostname(name) }),
          },
        }),
      }),
      { host: announcedHost(name), port },
    );
  };
  const dataNodes = ports.slice(0, 1 + replicaCount).map((port, i) =>
    node(
      'data',
      i,
      port,
      dataNodeConfig({
        host: announcedHost(`data-${i}`),
        hostnames,
        port,
        tls: tlsConfig,
        auth: dataAuth,
        replicaOf: i === 0 ? undefined : master,
      }),
    ),
  );
  const sentinelNodes = ports.slice(1 + replicaCount).map((port, i) =>
    node(
      'sentinel',
      i,
      port,
      sentinelConfig({
        host: announcedHost(`sentinel-${i}`),
        hostnames,
        port,
        tls: tlsConfig,
        masterName,
        master,
        quorum,
        downAfterMs,
        failoverTimeoutMs,
        dataAuth,
        sentinelPassword: options.sentinelPassword,
      }),
    ),
  );

  const topology = new SentinelTopology(
    backend,
    { masterName, readyTimeoutMs, dataAuth, sentinelPassword: options.sentinelPassword, tls },
    dataNodes,
    sentinelNodes,
  );
  try {
    await topology._start();
  } catch (error) {
    await topology.stop();
    throw error;
  }
  return topology;
}

function topologyTlsOptions(
  value: SentinelTopologyOptions['tls'],
): Required<TopologyTlsOptions> | undefined {
  if (value === undefined || value === false) return undefined;
  const options = value === true ? {} : value;
  const clientCertificates = options.clientCertificates ?? 'optional';
  if (clientCertificates !== 'required' && clientCertificates !== 'optional') {
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid option "tls.clientCertificates": expected 'required' or 'optional', got ${JSON.stringify(clientCertificates)}`,
    );
  }
  return { clientCertificates, hostnameCertificates: options.hostnameCertificates === true };
}
