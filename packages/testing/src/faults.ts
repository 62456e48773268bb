/**
 * Faults tests inject (kill, freeze, thaw, a replica held behind its master, a
 * graceful failover) and the failover Sentinel makes of them. Each fault notes when it happened, so
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
  /** Writes commands to a node, even a frozen one (they run on thaw); see NodeAccess.send. */
  send(
    node: TopologyNode,
    ...commands: (readonly (string | number)[])[]
  ): Promise<{ reply: Promise<void>; close(): void }>;
  /** The ACL user the sentinels (and the clients) log in to data nodes as. */
  readonly dataUser: string;
}

/**
 * How long a hold lasts at most, should nothing release it: longer than any test. A killed
 * node loses it (a pause is not saved in its config), so a stopped topology leaves nothing.
 */
export const HOLD_REPLICATION_MAX_MS = 3_600_000;

/** Ends a {@link Faults.holdReplication} hold; calling it again does nothing. */
export type ReleaseReplication = () => Promise<void>;

export class Faults {
  /** When the most recent fault (or `failover()`) happened, epoch ms. */
  private lastFaultAt = now();

  /** Connections whose command waits for a frozen node's answer: closed by {@link close}. */
  private readonly pending = new Set<{ close(): void }>();

  constructor(private readonly target: FaultTarget) {}

  /** Closes the connections still waiting for a frozen node (the topology is stopping). */
  close(): void {
    for (const connection of this.pending) connection.close();
    this.pending.clear();
  }

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

  /**
   * Holds back what data node `node` applies from its master, until released: `CLIENT PAUSE
   * WRITE` on it postpones the commands its master link delivers (they are writes), while the
   * link stays connected (`ROLE` says `connected`, Sentinel keeps calling it healthy) and it
   * keeps serving reads — so it answers with stale data, its offset behind its master's.
   * Writes on it and `WAIT`s counting it are held too. On a frozen node the pause is queued and
   * runs first thing when thawed, before Sentinel can reconfigure it: an old master that
   * rejoins as a replica, behind. Not on the master Sentinel names (its clients' writes would
   * hang). Resolves with `release()` (`CLIENT UNPAUSE`: it catches up in milliseconds).
   */
  async holdReplication(node: TopologyNode): Promise<ReleaseReplication> {
    this.target.assertRunning();
    if (node.kind !== 'data') {
      throw new TopologyError('INVALID_OPTION', `cannot hold replication on ${node}: a sentinel`);
    }
    if (node._state === 'killed') throw notRunning(node, 'hold replication on');
    if ((await this.target.currentMaster()) === node) {
      throw new TopologyError(
        'INVALID_OPTION',
        `cannot hold replication on ${node}: it is the master (its clients' writes would hang)`,
      );
    }
    // A pause holds every write sent to the node, Sentinel's PUBLISH of its hello messages too,
    // and the PINGs queued behind it on the same connection would then go unanswered (the
    // replica s_down in 2–3 s). Refused PUBLISHes (an ACL error comes before the pause) keep
    // Sentinel's link answered; it needs no PUBLISH to a replica to call it healthy.
    const user = this.target.dataUser;
    await this.command(
      node,
      ['ACL', 'SETUSER', user, '-publish'],
      ['CLIENT', 'PAUSE', HOLD_REPLICATION_MAX_MS, 'WRITE'],
    );
    let released: Promise<void> | undefined;
    return () => {
      // A killed node lost its pause and its ACL change with its process.
      released ??=
        node._state === 'killed'
          ? Promise.resolve()
          : // Sentinel rewrites a node's config when it turns it into a replica, the ACL
            // change with it: rewritten again, a restart() does not bring the denial back.
            this.command(
              node,
              ['CLIENT', 'UNPAUSE'],
              ['ACL', 'SETUSER', user, '+publish'],
              ['CONFIG', 'REWRITE'],
            );
      return released;
    };
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

  /**
   * Runs `commands` on `node`: awaits their answers on a running node; on a frozen one,
   * resolves once they are queued (their answers, on thaw, close the connection).
   */
  private async command(node: TopologyNode, ...commands: (readonly (string | number)[])[]) {
    const connection = await this.target.send(node, ...commands);
    if (node._state === 'running') {
      await connection.reply;
      return;
    }
    this.pending.add(connection);
    void connection.reply.finally(() => this.pending.delete(connection)).catch(() => {});
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
