/**
 * Faults tests inject (kill, freeze, thaw, a graceful failover) and the
 * failover Sentinel makes of them. Each fault notes when it happened, so
 * `waitForSwitch()` can ignore switches from before it.
 */

import { TopologyError } from './errors.js';
import type { Address } from './health.js';
import { notRunning, type TopologyNode } from './node.js';
import { now, type SentinelEvent, type SentinelObserver } from './sentinel-observer.js';
import { freezeNode, killNode, thawNodes } from './supervisor.js';

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

/** What faults act on: the topology's nodes and what the sentinels say about them. */
export interface FaultTarget {
  readonly masterName: string;
  readonly dataNodes: readonly TopologyNode[];
  readonly sentinelNodes: readonly TopologyNode[];
  readonly observer: SentinelObserver;
  currentMaster(): Promise<TopologyNode>;
  /** Running replicas, in data-node order. */
  replicas(): Promise<TopologyNode[]>;
  /** The data node Sentinel names by its announced `host:port`. */
  dataNodeAt(address: string): TopologyNode;
  /** Throws once the topology is stopped. */
  assertRunning(): void;
}

export class Faults {
  /** When the most recent fault (or `failover()`) happened, epoch ms. */
  private lastFaultAt = now();

  constructor(private readonly target: FaultTarget) {}

  /** Forgets faults so far (the topology has just become healthy). */
  reset(): void {
    this.lastFaultAt = now();
  }

  async kill(node: TopologyNode): Promise<void> {
    this.mark();
    if (node._state === 'killed') throw notRunning(node, 'kill');
    await killNode(node);
  }

  async freeze(node: TopologyNode): Promise<void> {
    this.mark();
    if (node._state !== 'running') throw notRunning(node, 'freeze');
    await freezeNode(node);
  }

  async thaw(node?: TopologyNode): Promise<void> {
    await thawNodes(node ? [node] : [...this.target.dataNodes, ...this.target.sentinelNodes]);
  }

  async killMaster(): Promise<TopologyNode> {
    const master = await this.target.currentMaster();
    await this.kill(master);
    return master;
  }

  async freezeMaster(): Promise<TopologyNode> {
    const master = await this.target.currentMaster();
    await this.freeze(master);
    return master;
  }

  async killReplica(index: number): Promise<TopologyNode> {
    const node = await this.replicaAt(index);
    await this.kill(node);
    return node;
  }

  async freezeReplica(index: number): Promise<TopologyNode> {
    const node = await this.replicaAt(index);
    await this.freeze(node);
    return node;
  }

  async killSentinel(index: number): Promise<TopologyNode> {
    const node = this.target.sentinelNodes[index];
    if (!node) throw new TopologyError('NO_SUCH_NODE', `there is no sentinel ${index}`);
    await this.kill(node);
    return node;
  }

  /** `SENTINEL FAILOVER` on the first running sentinel. */
  async failover(): Promise<void> {
    const sentinel = this.target.sentinelNodes.find((n) => n._state === 'running');
    if (!sentinel)
      throw new TopologyError('NOT_READY', 'no running sentinel to ask for a failover');
    this.mark();
    await this.target.observer
      .adminFor(sentinel)
      .call('SENTINEL', 'FAILOVER', this.target.masterName);
  }

  /** The first `+switch-master` for the master published after `after` (default: the last fault). */
  async waitForSwitch(options: { timeoutMs?: number; after?: number }): Promise<SwitchEvent> {
    const { masterName, dataNodes } = this.target;
    const after = options.after ?? this.lastFaultAt;
    const timeoutMs = options.timeoutMs ?? 30_000;
    const match = (e: SentinelEvent) =>
      e.type === '+switch-master' && e.at >= after && e.message.startsWith(`${masterName} `);
    const found = await this.target.observer.waitForEvent(
      match,
      timeoutMs,
      `+switch-master for ${masterName}`,
    );
    const [, fromHost = '', fromPort, toHost = '', toPort] = found.message.split(' ');
    const from = dataNodes.find(
      (n) => n.announced.host === fromHost && n.announced.port === Number(fromPort),
    );
    return {
      master: this.target.dataNodeAt(`${toHost}:${toPort}`),
      from: from
        ? { host: from.host, port: from.port }
        : { host: fromHost, port: Number(fromPort) },
      at: found.at,
      sentinel: found.sentinel,
    };
  }

  private mark(): void {
    this.target.assertRunning();
    this.lastFaultAt = now();
  }

  private async replicaAt(index: number): Promise<TopologyNode> {
    const node = (await this.target.replicas())[index];
    if (!node) throw new TopologyError('NO_SUCH_NODE', `there is no replica ${index}`);
    return node;
  }
}
