/**
 * `SentinelTopology`: the handle tests get. A facade over parts with one job
 * each: options.ts (options), layout.ts and config.ts (ports, configs,
 * certificates), supervisor.ts (starting and signalling nodes through a
 * backend), sentinel-observer.ts (what the sentinels say), readiness.ts (when
 * that is healthy), faults.ts (kill, freeze, failover and the switch that
 * follows), access.ts (credentials and direct commands).
 */

import type { ConnectionOptions } from 'node:tls';
import { NodeAccess } from './access.js';
import type { NodeBackend } from './backends/backend.js';
import { createBackend } from './backends/select.js';
import type { DataAuth } from './config.js';
import { TopologyError } from './errors.js';
import { Faults, type ReleaseReplication, type SwitchEvent } from './faults.js';
import type { Address } from './health.js';
import { layOutTopology, type TlsSettings } from './layout.js';
import { announcedAddress, TopologyNode } from './node.js';
import { resolveTopologyOptions, type SentinelTopologyOptions } from './options.js';
import { waitUntilHealthy } from './readiness.js';
import { type SentinelEvent, SentinelObserver } from './sentinel-observer.js';
import { startInOrder, startNode, stopAll } from './supervisor.js';
import type { TopologyTlsMaterial } from './tls.js';

export type { ReleaseReplication, SwitchEvent } from './faults.js';
export type { NodeState } from './node.js';
export type { SentinelTopologyOptions } from './options.js';
export type { SentinelEvent } from './sentinel-observer.js';
export { TopologyNode };

/** Plain options a Sentinel client needs to reach this topology. */
export interface TopologyConnectionOptions {
  masterName: string;
  sentinels: Address[];
  username?: string;
  password?: string;
  sentinelPassword?: string;
  /** The sentinels' ACL user, when the topology has one (`sentinelUsername`). */
  sentinelUsername?: string;
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

interface TopologyHandleSettings {
  masterName: string;
  readyTimeoutMs: number;
  dataAuth: DataAuth;
  sentinelPassword: string | undefined;
  sentinelUser?: { name: string } | undefined;
  tls?: TlsSettings | undefined;
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
  readonly events: SentinelEvent[];

  private readonly access: NodeAccess;
  private readonly observer: SentinelObserver;
  private readonly faults: Faults;
  private stopping: Promise<void> | undefined;

  /** @internal use {@link startSentinelTopology} */
  constructor(
    private readonly backend: NodeBackend,
    private readonly settings: TopologyHandleSettings,
    dataNodes: TopologyNode[],
    sentinelNodes: TopologyNode[],
  ) {
    this.masterName = settings.masterName;
    this.dataNodes = dataNodes;
    this.sentinelNodes = sentinelNodes;
    this.access = new NodeAccess(settings);
    this.observer = new SentinelObserver(this.access, settings.masterName);
    this.events = this.observer.events;
    this.faults = new Faults({
      masterName: this.masterName,
      dataNodes,
      sentinelNodes,
      observer: this.observer,
      currentMaster: () => this.currentMaster(),
      replicas: () => this.replicas(),
      dataNodeAt: (address) => this.dataNodeAt(address),
      assertRunning: () => this.assertRunning(),
      send: (node, ...commands) => this.access.send(node, ...commands),
      dataUser: settings.dataAuth.username ?? 'default',
    });
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
    return this.access.tlsFor(node);
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
      ...(this.settings.sentinelUser && { sentinelUsername: this.settings.sentinelUser.name }),
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
      nodes.map((n) => [announcedAddress(n), { host: n.host, port: n.port }]),
    );
  }

  /** The data node the running sentinels name as master (the majority answer). */
  async currentMaster(): Promise<TopologyNode> {
    this.assertRunning();
    const address = await this.observer.masterAddress(this.runningSentinels());
    if (!address) throw new TopologyError('NOT_READY', 'no running sentinel names a master');
    return this.dataNodeAt(address);
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
  killMaster(): Promise<TopologyNode> {
    return this.faults.killMaster();
  }

  /** SIGSTOPs the current master (a hung host: sockets stay open, nothing answers); returns it. */
  freezeMaster(): Promise<TopologyNode> {
    return this.faults.freezeMaster();
  }

  /** SIGKILLs the `index`-th current replica (in data-node order); returns it. */
  killReplica(index = 0): Promise<TopologyNode> {
    return this.faults.killReplica(index);
  }

  /** SIGSTOPs the `index`-th current replica; returns it. */
  freezeReplica(index = 0): Promise<TopologyNode> {
    return this.faults.freezeReplica(index);
  }

  /** SIGKILLs sentinel `index`; returns it. */
  killSentinel(index = 0): Promise<TopologyNode> {
    return this.faults.killSentinel(index);
  }

  /** SIGKILLs any node (running or frozen); a killed one is a `NODE_NOT_RUNNING` error. */
  kill(node: TopologyNode): Promise<void> {
    return this.faults.kill(node);
  }

  /** SIGSTOPs any running node; another is a `NODE_NOT_RUNNING` error. */
  freeze(node: TopologyNode): Promise<void> {
    return this.faults.freeze(node);
  }

  /** SIGCONTs `node`, or every frozen node when called without one. */
  thaw(node?: TopologyNode): Promise<void> {
    return this.faults.thaw(node);
  }

  /**
   * Kills `node` if it is still running or frozen and starts it again with the
   * config it last wrote (a data node that was master comes back as master until
   * Sentinel converts it). Resolves once it accepts connections.
   */
  async restart(node: TopologyNode): Promise<void> {
    this.assertRunning();
    if (node._state !== 'killed') await this.faults.kill(node);
    await startNode(node);
  }

  /**
   * Holds back what data node `node` applies from its master until the returned `release()`:
   * it stays connected and healthy in Sentinel's eyes and serves reads, but applies nothing
   * from its master (`CLIENT PAUSE WRITE` on it), so it answers with stale data — a lagging
   * replica on demand. On a frozen node the hold starts when it is thawed, before Sentinel can
   * reconfigure it (an old master that rejoins behind). Not on the current master.
   */
  holdReplication(node: TopologyNode): Promise<ReleaseReplication> {
    return this.faults.holdReplication(node);
  }

  /** Asks a sentinel for a graceful failover (`SENTINEL FAILOVER`). */
  failover(): Promise<void> {
    return this.faults.failover();
  }

  /**
   * Resolves with the first `+switch-master` for this master name published
   * after `after` (default: the most recent fault or `failover()`, so it may be
   * called before or after injecting the fault).
   */
  waitForSwitch(options: { timeoutMs?: number; after?: number } = {}): Promise<SwitchEvent> {
    return this.faults.waitForSwitch(options);
  }

  /**
   * Resolves once every running sentinel agrees on a running master and sees
   * every other running data node as a replica with a working link following it,
   * and every other running sentinel. Returns the master.
   */
  async waitForHealthy(options: { timeoutMs?: number } = {}): Promise<TopologyNode> {
    const master = await waitUntilHealthy(
      {
        observer: this.observer,
        dataNodes: this.dataNodes,
        sentinelNodes: this.sentinelNodes,
        assertRunning: () => this.assertRunning(),
      },
      options.timeoutMs ?? this.settings.readyTimeoutMs,
    );
    return this.dataNodeAt(master);
  }

  /** Kills every node, closes every connection and removes the temp directory. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.observer.close();
      this.faults.close();
      await stopAll(this.backend, [...this.dataNodes, ...this.sentinelNodes]);
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
    return this.access.command(node, ...command);
  }

  /**
   * How many times `command` ran on `node` since it started or since
   * {@link resetCommandStats}, from `INFO commandstats`: to assert where a
   * client sent its reads and writes.
   */
  async commandCalls(node: TopologyNode, command: string): Promise<number> {
    this.assertRunning();
    return this.access.commandCalls(node, command);
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
    await startInOrder(this.dataNodes, this.sentinelNodes);
    for (const sentinel of this.sentinelNodes) await this.observer.subscribe(sentinel);
    await this.waitForHealthy();
    this.faults.reset();
  }

  private runningSentinels(): TopologyNode[] {
    return this.sentinelNodes.filter((n) => n._state === 'running');
  }

  /** The data node Sentinel names by `address` (its announced address). */
  private dataNodeAt(address: string): TopologyNode {
    const node = this.dataNodes.find((n) => announcedAddress(n) === address);
    if (!node)
      throw new TopologyError('NO_SUCH_NODE', `no data node of this topology at ${address}`);
    return node;
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
  const settings = resolveTopologyOptions(options);
  const backend = await createBackend(options);
  let layout: Awaited<ReturnType<typeof layOutTopology>>;
  try {
    layout = await layOutTopology(backend, settings);
  } catch (error) {
    await backend.dispose();
    throw error;
  }
  const topology = new SentinelTopology(
    backend,
    { ...settings, tls: layout.tls },
    layout.dataNodes,
    layout.sentinelNodes,
  );
  try {
    await topology._start();
  } catch (error) {
    await topology.stop();
    throw error;
  }
  return topology;
}
