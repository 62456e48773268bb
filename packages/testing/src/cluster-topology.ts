/**
 * `ClusterTopology`: a Redis Cluster of real `redis-server` processes on loopback ports, with
 * fault injection. Built from the same parts as the Sentinel topology: options
 * (cluster-options.ts), ports and configs (layout.ts, config.ts), processes (supervisor.ts),
 * direct commands (access.ts); what the nodes say, and when that is ready, is cluster-view.ts.
 */

import calculateSlot from 'cluster-key-slot';
import { NodeAccess } from './access.js';
import type { NodeBackend } from './backends/backend.js';
import { createBackend } from './backends/select.js';
import {
  type ClusterSettings,
  type ClusterTopologyOptions,
  resolveClusterOptions,
} from './cluster-options.js';
import {
  assessCluster,
  CLUSTER_SLOTS,
  type ClusterNodeEntry,
  type ClusterNodeView,
  masterOfSlot,
  parseClusterNodes,
  parseInfoFields,
  type SlotRange,
  splitSlots,
} from './cluster-view.js';
import { TopologyError } from './errors.js';
import type { Address } from './health.js';
import { layOutCluster } from './layout.js';
import { notRunning, type TopologyNode } from './node.js';
import { releasePorts } from './ports.js';
import { freezeNode, killNode, startNode, startNodes, stopAll, thawNodes } from './supervisor.js';

export type { ClusterTopologyOptions } from './cluster-options.js';
export type { SlotRange } from './cluster-view.js';
export { CLUSTER_SLOTS } from './cluster-view.js';

const POLL_INTERVAL_MS = 50;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A field of `INFO replication` as a number (`NaN` when absent: never "caught up"). */
function replicationOffset(info: unknown, field: string): number {
  return Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(String(info))?.[1] ?? Number.NaN);
}

/**
 * Which shard a fault or a wait is about: `{ shard: i }` (shards are numbered by their lowest
 * slot, from 0; slots never move, so the number holds across failovers) or `{ slot: n }` (the
 * shard serving slot n).
 */
export type ShardTarget = { shard: number } | { slot: number };

/** A master and the replicas following it, as the cluster says now. */
export interface ClusterShard {
  /** Position by lowest slot (0 … masters − 1). */
  index: number;
  slots: SlotRange[];
  master: TopologyNode;
  /** Nodes the cluster lists as replicas of `master`, in node order (killed ones included). */
  replicas: TopologyNode[];
}

/** One node as the cluster describes it now. */
export interface ClusterNodeDescription {
  node: TopologyNode;
  /** Its cluster node id (40 hex characters). */
  id: string;
  role: 'master' | 'replica';
  /** Slots it serves (masters). */
  slots: SlotRange[];
  /** The master it follows (replicas). */
  master: TopologyNode | undefined;
  /** Flagged `fail` (or `fail?`) by the node that answered. */
  failing: boolean;
}

/** A completed failover of one shard. */
export interface ClusterFailoverEvent {
  /** The node serving the shard's slots now. */
  master: TopologyNode;
  /** The node that served them before. */
  from: TopologyNode;
  /** Epoch milliseconds when every running node was first seen naming `master`. */
  at: number;
}

/** What a cluster client needs to reach this topology. */
export interface ClusterConnectionOptions {
  startupNodes: Address[];
  username?: string;
  password?: string;
}

/**
 * A running Redis Cluster on loopback ports. Obtain one with {@link startClusterTopology};
 * always `stop()` it.
 */
export class ClusterTopology {
  /** Every node: masters first (`data-0` …), then the replicas of master 0, of master 1, … Roles change on failover. */
  readonly nodes: readonly TopologyNode[];
  /** Each shard's slots, by shard index. */
  readonly slotRanges: readonly SlotRange[];

  private readonly access: NodeAccess;
  private readonly ids = new Map<TopologyNode, string>();
  /** The master each shard had when the latest fault or failover hit it: what `waitForFailover` waits to see replaced. */
  private readonly replacing = new Map<number, TopologyNode>();
  private stopping: Promise<void> | undefined;

  /** @internal use {@link startClusterTopology} */
  constructor(
    private readonly backend: NodeBackend,
    private readonly settings: ClusterSettings,
    nodes: TopologyNode[],
    private readonly busPorts: readonly number[],
  ) {
    this.nodes = nodes;
    this.slotRanges = splitSlots(settings.masterCount);
    this.access = new NodeAccess({ dataAuth: settings.dataAuth, sentinelPassword: undefined });
  }

  /** Host directory holding the nodes' configs, logs and `nodes.conf` (removed by `stop()`). */
  get workDir(): string | undefined {
    return this.backend.workDir;
  }

  /** Every node's address, for a cluster client's startup nodes. */
  get startupNodes(): Address[] {
    return this.nodes.map(({ host, port }) => ({ host, port }));
  }

  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,…` (no credentials). */
  get location(): string {
    return `redis+cluster://${this.nodes.map((n) => n.address).join(',')}`;
  }

  /** What a cluster client needs, credentials included. */
  get connectionOptions(): ClusterConnectionOptions {
    const { username, password } = this.settings.dataAuth;
    return {
      startupNodes: this.startupNodes,
      ...(username !== undefined && { username }),
      ...(password !== undefined && { password }),
    };
  }

  /** The cluster node id of `node` (it keeps it across restarts). */
  nodeId(node: TopologyNode): string {
    const id = this.ids.get(node);
    if (!id) throw new TopologyError('NO_SUCH_NODE', `${node} is not a node of this cluster`);
    return id;
  }

  /** The hash slot of `key` (as every cluster client computes it, `{hash tags}` included). */
  slotOf(key: string | Buffer): number {
    return calculateSlot(key);
  }

  /** The shard index serving `slot`. */
  shardIndexOf(slot: number): number {
    if (!Number.isInteger(slot) || slot < 0 || slot >= CLUSTER_SLOTS) {
      throw new TopologyError(
        'INVALID_OPTION',
        `Invalid slot ${slot}: expected an integer from 0 to ${CLUSTER_SLOTS - 1}`,
      );
    }
    return this.slotRanges.findIndex(([first, last]) => first <= slot && slot <= last);
  }

  /** Every node as the first running node describes it now. */
  async describe(): Promise<ClusterNodeDescription[]> {
    const entries = await this.entries();
    const byId = new Map(entries.map((e) => [e.id, e]));
    return this.nodes.map((node) => {
      const entry = byId.get(this.nodeId(node));
      if (!entry) throw new TopologyError('NOT_READY', `the cluster does not list ${node}`);
      return this.description(node, entry);
    });
  }

  /** Every shard as the first running node describes it now, by index. */
  async shards(): Promise<ClusterShard[]> {
    const described = await this.describe();
    return this.slotRanges.map(([first], index) => this.shardFrom(described, index, first));
  }

  /** The shard `target` names, as the cluster describes it now. */
  async shard(target: ShardTarget): Promise<ClusterShard> {
    const index = this.shardIndex(target);
    const [first] = this.slotRanges[index] as SlotRange;
    return this.shardFrom(await this.describe(), index, first);
  }

  /** The shard serving `slot` now. */
  shardForSlot(slot: number): Promise<ClusterShard> {
    return this.shard({ slot });
  }

  /** The master serving `key`'s slot now. */
  async masterForKey(key: string | Buffer): Promise<TopologyNode> {
    return (await this.shard({ slot: this.slotOf(key) })).master;
  }

  /** SIGKILLs the master of the shard; returns it. */
  async killMaster(target: ShardTarget = { shard: 0 }): Promise<TopologyNode> {
    const { index, master } = await this.shard(target);
    this.replacing.set(index, master);
    await this.kill(master);
    return master;
  }

  /** SIGSTOPs the master of the shard (a hung host: sockets stay open, nothing answers); returns it. */
  async freezeMaster(target: ShardTarget = { shard: 0 }): Promise<TopologyNode> {
    const { index, master } = await this.shard(target);
    this.replacing.set(index, master);
    await this.freeze(master);
    return master;
  }

  /** SIGKILLs the shard's `replica`-th running replica (node order); returns it. */
  async killReplica(target: ShardTarget = { shard: 0 }, replica = 0): Promise<TopologyNode> {
    const node = await this.runningReplica(target, replica);
    await this.kill(node);
    return node;
  }

  /** SIGSTOPs the shard's `replica`-th running replica; returns it. */
  async freezeReplica(target: ShardTarget = { shard: 0 }, replica = 0): Promise<TopologyNode> {
    const node = await this.runningReplica(target, replica);
    await this.freeze(node);
    return node;
  }

  /** SIGKILLs any node (running or frozen); a killed one is a `NODE_NOT_RUNNING` error. */
  async kill(node: TopologyNode): Promise<void> {
    this.assertRunning();
    if (node._state === 'killed') throw notRunning(node, 'kill');
    await killNode(node);
  }

  /** SIGSTOPs any running node; another is a `NODE_NOT_RUNNING` error. */
  async freeze(node: TopologyNode): Promise<void> {
    this.assertRunning();
    if (node._state !== 'running') throw notRunning(node, 'freeze');
    await freezeNode(node);
  }

  /** SIGCONTs `node`, or every frozen node when called without one. */
  async thaw(node?: TopologyNode): Promise<void> {
    this.assertRunning();
    await thawNodes(node ? [node] : this.nodes);
  }

  /**
   * Kills `node` if it is still running or frozen and starts it again with its config and
   * `nodes.conf` (a master that was replaced meanwhile rejoins as a replica of its successor).
   * Resolves once it accepts connections; {@link waitForReady} for the cluster to settle.
   */
  async restart(node: TopologyNode): Promise<void> {
    this.assertRunning();
    if (node._state !== 'killed') await killNode(node);
    await startNode(node);
  }

  /**
   * A planned failover: `CLUSTER FAILOVER` on a running replica of the shard (the
   * `replica`-th, node order), which takes over once it has caught up with its master.
   * `force` skips the catch-up (the master may be down), `takeover` even the election.
   * Resolves once the replica accepted the request; {@link waitForFailover} for the result.
   */
  async failover(
    target: ShardTarget = { shard: 0 },
    options: { replica?: number; mode?: 'force' | 'takeover' } = {},
  ): Promise<TopologyNode> {
    const shard = await this.shard(target);
    const replica = await this.runningReplica(target, options.replica ?? 0);
    this.replacing.set(shard.index, shard.master);
    await this.command(replica, 'CLUSTER', 'FAILOVER', ...(options.mode ? [options.mode] : []));
    return replica;
  }

  /**
   * Resolves once every replica has applied what its master had when this was called: each
   * shard's `master_repl_offset`, reached by its replicas' `slave_repl_offset` (polled 20 ms
   * apart: replication announces nothing). What a test waits for before reading on a replica
   * what it just wrote. Rejects with `TIMEOUT` after `timeoutMs` (5 s by default).
   */
  async waitForReplication(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const shard of await this.shards()) {
      const info = await this.command(shard.master, 'INFO', 'replication');
      const target = replicationOffset(info, 'master_repl_offset');
      for (const replica of shard.replicas) {
        for (;;) {
          const at = replicationOffset(
            await this.command(replica, 'INFO', 'replication'),
            'slave_repl_offset',
          );
          if (at >= target) break;
          if (Date.now() > deadline) {
            throw new TopologyError(
              'TIMEOUT',
              `replica ${replica.host}:${replica.port} of shard ${shard.index} at replication offset ${at}, its master at ${target}, after ${timeoutMs} ms`,
            );
          }
          await delay(20);
        }
      }
    }
  }

  /**
   * Resolves once every running node names a running node other than `from` as the master of
   * the shard's slots, and that node says it is master (polled real state, no fixed sleep).
   * `from` defaults to the master the latest fault or `failover()` on that shard hit.
   */
  async waitForFailover(
    options: ShardTarget & { from?: TopologyNode; timeoutMs?: number },
  ): Promise<ClusterFailoverEvent> {
    const index = this.shardIndex(options);
    const from = options.from ?? this.replacing.get(index);
    if (!from) {
      throw new TopologyError(
        'INVALID_OPTION',
        `Invalid option "from": no fault hit shard ${index} yet, so name the master to see replaced`,
      );
    }
    const [slot] = this.slotRanges[index] as SlotRange;
    const timeoutMs = options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    let reason = 'not checked yet';
    while (Date.now() < deadline) {
      this.assertRunning();
      const named = new Set<string>();
      const views = await this.runningViews();
      for (const view of views) {
        if (view instanceof Error) reason = view.message;
        else named.add(masterOfSlot(view.entries, slot)?.address ?? '(none)');
      }
      const [address] = named;
      const master = this.nodes.find((n) => n.address === address);
      if (named.size !== 1 || views.some((v) => v instanceof Error)) {
        reason = named.size > 1 ? `nodes name different masters: ${[...named]}` : reason;
      } else if (!master || master === from || master._state !== 'running') {
        reason = `every running node still names ${address} for slot ${slot}`;
      } else {
        const ownView = views.find((v) => !(v instanceof Error) && v.node === master.address);
        const myself = (ownView as ClusterNodeView).entries.find((e) => e.flags.includes('myself'));
        if (myself?.flags.includes('master')) {
          this.replacing.delete(index);
          return { master, from, at: Date.now() };
        }
        reason = `${master} is named master but does not say so itself yet`;
      }
      await delay(POLL_INTERVAL_MS);
    }
    throw new TopologyError(
      'TIMEOUT',
      `shard ${index} (slot ${slot}) not failed over from ${from} within ${timeoutMs} ms: ${reason}`,
    );
  }

  /**
   * Resolves once every running node knows every node, says `cluster_state:ok` with all 16384
   * slots covered, all name the same running masters, and every running replica's link is up.
   */
  async waitForReady(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.settings.readyTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    let reason = 'not checked yet';
    while (Date.now() < deadline) {
      this.assertRunning();
      const views = await this.runningViews();
      const failed = views.find((v): v is Error => v instanceof Error);
      const verdict = failed
        ? { ready: false as const, reason: failed.message }
        : assessCluster(views as ClusterNodeView[], {
            runningNodes: this.running().map((n) => n.address),
            totalNodes: this.nodes.length,
          });
      if (verdict.ready) return;
      reason = verdict.reason;
      await delay(POLL_INTERVAL_MS);
    }
    throw new TopologyError('NOT_READY', `cluster not ready after ${timeoutMs} ms: ${reason}`);
  }

  /**
   * Runs one command directly on `node` with the topology's credentials, over a connection of
   * its own (bounded by 2 s): for setting up and asserting in tests, never through the client
   * under test.
   */
  async command(
    node: TopologyNode,
    ...command: [string, ...(string | number | Buffer)[]]
  ): Promise<unknown> {
    this.assertRunning();
    return this.access.command(node, ...command);
  }

  /**
   * How many times `command` ran on `node` since it started or since {@link resetCommandStats},
   * from `INFO commandstats`: to assert where a client sent its reads and writes.
   */
  async commandCalls(node: TopologyNode, command: string): Promise<number> {
    this.assertRunning();
    return this.access.commandCalls(node, command);
  }

  /** Resets `INFO commandstats` on every running node. */
  async resetCommandStats(): Promise<void> {
    this.assertRunning();
    await Promise.all(this.running().map((n) => this.access.command(n, 'CONFIG', 'RESETSTAT')));
  }

  /** Kills every node, releases every port and removes the temp directory. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await stopAll(this.backend, this.nodes);
      releasePorts(this.busPorts);
    })();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** @internal starts every node, forms the cluster and waits until it is ready */
  async _start(): Promise<void> {
    const { masterCount, replicasPerMaster } = this.settings;
    const masters = this.nodes.slice(0, masterCount);
    await startNodes(this.nodes);
    await Promise.all(
      this.nodes.map(async (node) => {
        this.ids.set(node, String(await this.access.command(node, 'CLUSTER', 'MYID')));
      }),
    );
    // Distinct config epochs up front (as redis-cli does), so no epoch collision has to be
    // resolved by the cluster before every node agrees who serves which slots.
    await Promise.all(
      masters.map((node, i) => {
        const [first, last] = this.slotRanges[i] as SlotRange;
        return this.access.commands(
          node,
          ['CLUSTER', 'SET-CONFIG-EPOCH', i + 1],
          ['CLUSTER', 'ADDSLOTSRANGE', first, last],
        );
      }),
    );
    // The bus port too: MEET assumes port + 10000 without it.
    const [first, ...others] = this.nodes as [TopologyNode, ...TopologyNode[]];
    await this.access.commands(
      first,
      ...others.map((n): [string, string, string, number, number] => [
        'CLUSTER',
        'MEET',
        n.host,
        n.port,
        this.busPorts[n.index] ?? 0,
      ]),
    );
    // A replica can follow its master once it knows it (gossip after the MEETs).
    await Promise.all(
      this.nodes.slice(masterCount).map(async (replica, i) => {
        const master = masters[Math.floor(i / replicasPerMaster)] as TopologyNode;
        await this.untilKnows(replica, master);
        await this.access.command(replica, 'CLUSTER', 'REPLICATE', this.nodeId(master));
      }),
    );
    await this.waitForReady();
  }

  private async untilKnows(node: TopologyNode, other: TopologyNode): Promise<void> {
    const deadline = Date.now() + this.settings.readyTimeoutMs;
    const id = this.nodeId(other);
    while (Date.now() < deadline) {
      this.assertRunning();
      const entries = parseClusterNodes(
        String(await this.access.command(node, 'CLUSTER', 'NODES')),
      );
      if (entries.some((e) => e.id === id && !e.flags.includes('handshake'))) return;
      await delay(POLL_INTERVAL_MS);
    }
    throw new TopologyError(
      'NOT_READY',
      `${node} did not learn of ${other} within ${this.settings.readyTimeoutMs} ms`,
    );
  }

  private running(): TopologyNode[] {
    return this.nodes.filter((n) => n._state === 'running');
  }

  /** What each running node says, or the error it gave. */
  private runningViews(): Promise<(ClusterNodeView | Error)[]> {
    return Promise.all(
      this.running().map(async (node) => {
        try {
          const [nodes, info, replication] = await this.access.commands(
            node,
            ['CLUSTER', 'NODES'],
            ['CLUSTER', 'INFO'],
            ['INFO', 'replication'],
          );
          return {
            node: node.address,
            entries: parseClusterNodes(String(nodes)),
            info: parseInfoFields(String(info)),
            masterLinkStatus: parseInfoFields(String(replication)).master_link_status,
          };
        } catch (error) {
          return new Error(`${node}: ${(error as Error).message}`);
        }
      }),
    );
  }

  /** `CLUSTER NODES` of the first running node that answers. */
  private async entries(): Promise<ClusterNodeEntry[]> {
    this.assertRunning();
    let lastError: unknown;
    for (const node of this.running()) {
      try {
        return parseClusterNodes(String(await this.access.command(node, 'CLUSTER', 'NODES')));
      } catch (error) {
        lastError = error;
      }
    }
    throw new TopologyError('NOT_READY', 'no running node of the cluster answers', {
      cause: lastError,
    });
  }

  private description(node: TopologyNode, entry: ClusterNodeEntry): ClusterNodeDescription {
    const replica = entry.flags.includes('slave');
    return {
      node,
      id: entry.id,
      role: replica ? 'replica' : 'master',
      slots: entry.slots,
      master: replica ? this.nodes.find((n) => this.ids.get(n) === entry.masterId) : undefined,
      failing: entry.flags.includes('fail') || entry.flags.includes('fail?'),
    };
  }

  private shardFrom(
    described: readonly ClusterNodeDescription[],
    index: number,
    slot: number,
  ): ClusterShard {
    const master = described.find(
      (d) => d.role === 'master' && d.slots.some(([a, b]) => a <= slot && slot <= b),
    );
    if (!master) throw new TopologyError('NOT_READY', `no master serves slot ${slot} now`);
    return {
      index,
      slots: master.slots,
      master: master.node,
      replicas: described.filter((d) => d.master === master.node).map((d) => d.node),
    };
  }

  private shardIndex(target: ShardTarget): number {
    if ('slot' in target) return this.shardIndexOf(target.slot);
    const { shard } = target;
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.slotRanges.length) {
      throw new TopologyError(
        'NO_SUCH_NODE',
        `there is no shard ${shard} (shards are 0 to ${this.slotRanges.length - 1})`,
      );
    }
    return shard;
  }

  private async runningReplica(target: ShardTarget, position: number): Promise<TopologyNode> {
    const shard = await this.shard(target);
    const node = shard.replicas.filter((n) => n._state === 'running')[position];
    if (!node) {
      throw new TopologyError(
        'NO_SUCH_NODE',
        `shard ${shard.index} has no running replica ${position} (it has ${shard.replicas.length} replicas)`,
      );
    }
    return node;
  }

  private assertRunning(): void {
    if (this.stopping) throw new TopologyError('STOPPED', 'the topology has been stopped');
  }
}

/**
 * Starts a Redis Cluster of `masters` masters with `replicasPerMaster` replicas each on free
 * loopback ports (`cluster-enabled yes`, slots split evenly), and resolves once every node
 * agrees all 16384 slots are covered and every replica is linked (polled real state, never a
 * fixed sleep). On failure everything started so far is stopped.
 */
export async function startClusterTopology(
  options: ClusterTopologyOptions = {},
): Promise<ClusterTopology> {
  const settings = resolveClusterOptions(options);
  // Cluster nodes announce the address they are reached on: loopback only, even in containers.
  const backend = await createBackend({ ...options, containerNetwork: 'host' });
  if ((backend.addressing ?? 'loopback') !== 'loopback') {
    await backend.dispose();
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid option "backend": cluster topologies need a backend with loopback addressing, ${backend.name} announces hostnames`,
    );
  }
  let layout: Awaited<ReturnType<typeof layOutCluster>>;
  try {
    layout = await layOutCluster(backend, settings);
  } catch (error) {
    await backend.dispose();
    throw error;
  }
  const topology = new ClusterTopology(backend, settings, layout.nodes, layout.busPorts);
  try {
    await topology._start();
  } catch (error) {
    await topology.stop();
    throw error;
  }
  return topology;
}
