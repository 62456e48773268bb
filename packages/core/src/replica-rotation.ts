/**
 * The read rotation: the replicas reads go to. Sentinel's list is filtered (replicas.ts), each
 * new replica is dialled and admitted only once `ROLE` says it follows our master and has caught
 * up with it (admission.ts); a replica leaves when Sentinel stops calling it healthy, its
 * connection closes, a read fails on it, or it is promoted. One the client cannot reach or use
 * is dialled again with a backoff (dial-backoff.ts), not at every refresh.
 */
import { admitReplica } from './admission.js';
import { openConnection, type Redis, withTimeout } from './connections.js';
import type { ClientContext } from './context.js';
import { type DataNode, delay, newDataNode } from './data-node.js';
import { afterDialFailure, type DialBackoff, mayDial } from './dial-backoff.js';
import type { ReplicaRemoveReason } from './events.js';
import {
  filterReplicas,
  parseReplicaList,
  type ReplicaCandidate,
  withMasterView,
} from './replicas.js';
import { parseReplicationInfo, parseRole } from './role.js';
import type { SentinelAnswer } from './sentinel-link.js';
import { MAX_REPLICAS } from './sentinel-list.js';
import { formatAddress } from './types.js';

// Pause between two checks of a replica catching up with the master before it serves reads.
const CATCH_UP_POLL_MS = 20;

/** Milliseconds left until `until`, at least 1 (a timeout of 0 would never fire first). */
const remaining = (until: number, now: number) => Math.max(1, until - now);

/** What the rotation needs to know of the rest of the client. */
export interface RotationHooks {
  /** The master writes go to now: a replica is admitted only while it is the one it follows. */
  master(): DataNode | undefined;
  /** close() ran: nothing more is admitted. */
  closed(): boolean;
}

export class ReplicaRotation {
  readonly #replicas = new Map<string, DataNode>();
  readonly #verifying = new Set<string>();
  /** Addresses Sentinel calls healthy whose last attempts failed, by Sentinel's `host:port`. */
  readonly #backoff = new Map<string, DialBackoff>();
  /** The replicas reads are spread over (a fresh array at each change: reads index it). */
  readable: DataNode[] = [];
  // Reads of replicas no longer in use, so stats() stays cumulative.
  readonly #retiredReads = new Map<string, number>();

  constructor(
    private readonly context: ClientContext,
    private readonly hooks: RotationHooks,
  ) {}

  /** Brings the rotation in line with the replicas a sentinel lists for `master`. */
  async reconcile(answer: SentinelAnswer, master: DataNode, deadline: number): Promise<void> {
    const { options } = this.context;
    const candidates = await this.#withLag(
      parseReplicaList(answer.replicas).slice(0, MAX_REPLICAS),
      master,
    );
    const { healthy, rejected } = filterReplicas(
      candidates.list,
      {
        ...master.announced,
        ...(candidates.masterOffset !== undefined && { replOffset: candidates.masterOffset }),
      },
      options.maxReplicationLag ? { maxReplicationLag: options.maxReplicationLag } : {},
    );
    const healthyKeys = new Set(healthy.map(formatAddress));
    // One Sentinel no longer calls healthy starts afresh when it does again.
    for (const key of this.#backoff.keys()) if (!healthyKeys.has(key)) this.#backoff.delete(key);
    for (const node of [...this.#replicas.values()]) {
      if (healthyKeys.has(node.key)) continue;
      const why = rejected.find((r) => formatAddress(r.replica) === node.key)?.reason;
      this.remove(
        node,
        why === undefined || why === 'duplicate' || why === 'is-master' ? 'gone' : why,
      );
    }
    await Promise.all(
      healthy
        .filter((c) => {
          const key = formatAddress(c);
          return (
            !this.#replicas.has(key) &&
            !this.#verifying.has(key) &&
            mayDial(this.#backoff.get(key), options.clock())
          );
        })
        .map((c) => this.#add(c, master, deadline)),
    );
  }

  /** The replica at Sentinel's `key` (`host:port` as announced), if in the rotation. */
  get(key: string): DataNode | undefined {
    return this.#replicas.get(key);
  }

  remove(node: DataNode, reason: ReplicaRemoveReason): void {
    if (this.#replicas.get(node.key) !== node) return;
    this.#replicas.delete(node.key);
    const key = formatAddress(node.address);
    this.#retiredReads.set(key, (this.#retiredReads.get(key) ?? 0) + node.reads);
    node.close();
    this.readable = [...this.#replicas.values()];
    this.context.emit({ type: 'REPLICA_REMOVE', replica: { ...node.address }, reason });
  }

  /** Takes every replica out (`closed`); returns their connections so close() can wait for them. */
  removeAll(): Redis[] {
    const connections: Redis[] = [];
    for (const node of [...this.#replicas.values()]) {
      connections.push(node.redis);
      this.remove(node, 'closed');
    }
    return connections;
  }

  /** Reads served by each replica since the client was created, keyed by `host:port`. */
  reads(): Record<string, number> {
    const reads: Record<string, number> = Object.fromEntries(this.#retiredReads);
    for (const node of this.#replicas.values()) {
      const key = formatAddress(node.address);
      reads[key] = (reads[key] ?? 0) + node.reads;
    }
    return reads;
  }

  /** With a lag bound, fills in each candidate's offset and lag from the master's own view. */
  async #withLag(
    list: ReplicaCandidate[],
    master: DataNode,
  ): Promise<{ list: ReplicaCandidate[]; masterOffset: number | undefined }> {
    if (!this.context.options.maxReplicationLag) return { list, masterOffset: undefined };
    try {
      const info = parseReplicationInfo(String(await master.redis.info('replication')));
      return { masterOffset: info.replOffset, list: withMasterView(list, info) };
    } catch {
      return { list, masterOffset: undefined };
    }
  }

  /**
   * Connects to a replica Sentinel calls healthy and checks with `ROLE` that it follows our master
   * and has caught up with it, before it serves reads.
   */
  async #add(candidate: ReplicaCandidate, master: DataNode, deadline: number): Promise<void> {
    const { options, secrets, setup } = this.context;
    const key = formatAddress(candidate);
    this.#verifying.add(key);
    const node = newDataNode(this.context, { host: candidate.host, port: candidate.port });
    try {
      // A replica that does not answer quickly is not used (a frozen node
      // Sentinel still lists as healthy for a while, say).
      const until = Math.min(options.clock() + options.sentinelTimeout, deadline);
      const budget = remaining(until, options.clock());
      await openConnection(node.redis, node.address, budget, secrets, 'data', setup);
      const caughtUp = await this.#caughtUp(node, master, until);
      // It answered: whatever the verdict, it is reachable (one catching up is asked again
      // at the next refresh, without delay).
      this.#backoff.delete(key);
      // Discovery adds replicas before the status becomes 'ready': only a close stops it.
      if (!caughtUp || this.hooks.master() !== master || this.hooks.closed()) {
        node.close();
        return;
      }
      this.#replicas.set(key, node);
      node.redis.once('close', () => this.remove(node, 'connection-lost'));
      this.readable = [...this.#replicas.values()];
      this.context.emit({ type: 'REPLICA_ADD', replica: { ...node.address } });
    } catch (error) {
      node.close();
      const { clock, sentinelPollInterval } = options;
      this.#backoff.set(
        key,
        afterDialFailure(this.#backoff.get(key), clock(), sentinelPollInterval),
      );
      this.context.report(error);
    } finally {
      this.#verifying.delete(key);
    }
  }

  /**
   * Whether `node` replicates from `master` and has applied its stream up to a recent master
   * offset (see admission.ts), checked with one `ROLE` on each every {@link CATCH_UP_POLL_MS}
   * until `until`. One that has not caught up by then stays out; the next refresh asks again.
   */
  async #caughtUp(node: DataNode, master: DataNode, until: number): Promise<boolean> {
    const { clock } = this.context.options;
    let target: number | undefined;
    for (;;) {
      const [replicaRole, masterRole] = await Promise.all([
        withTimeout(node.redis.call('ROLE'), remaining(until, clock()), 'ROLE').then(parseRole),
        withTimeout(master.redis.call('ROLE'), remaining(until, clock()), 'ROLE').then(parseRole),
      ]);
      if (masterRole?.role !== 'master') return false;
      // The first check compares offsets taken together (an idle master is caught up with at
      // once); later ones the master's offset of the check before, which a replica applying
      // the stream reaches even while writes go on.
      const { verdict } = admitReplica(
        replicaRole,
        master.announced,
        target ?? masterRole.replOffset,
      );
      if (verdict !== 'catching-up') return verdict === 'admit';
      if (clock() + CATCH_UP_POLL_MS >= until || this.hooks.master() !== master) return false;
      target = masterRole.replOffset;
      await delay(CATCH_UP_POLL_MS);
    }
  }
}
