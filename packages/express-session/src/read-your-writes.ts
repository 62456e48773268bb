/**
 * The read-your-writes rule, reading side: a session is served from a replica only when the
 * replica has it and holds a live heartbeat; anything else is re-read from the master. The
 * writing side is ReplicatedWriter (writer.ts), which answers a write only once every replica
 * that lacks it has either acknowledged it or lost its heartbeat.
 *
 * On a cluster the rule holds per shard: each shard has a heartbeat key of its own
 * (`heartbeatKey{n}`, hash-tagged into a slot of that shard: keyInShardOf), renewed on every
 * master, and a session is served from a replica only with its own shard's heartbeat read from
 * the same node in the same pipeline. Replication is in order within a shard only, which is all
 * the rule needs: a replica that lacks a write lacks every heartbeat of its shard written after.
 * Under Sentinel the one shard's key is `heartbeatKey` itself.
 */

import type { RoutedClient, RoutedConnection, ServedBy } from '@sentinelkit/core';
import { keyInShardOf, keysInEveryShard, mgetInOrder, TickBatch } from '@sentinelkit/core/internal';

/** What a replica holds of a session, and whether it may serve it (the heartbeat). */
interface ReplicaCopy {
  /** The node that answered, as the client says (a read falls back to the master). */
  servedBy: ServedBy;
  data: string | null;
  heartbeat: string | null;
  ttl?: number | undefined;
}

/** What the rule needs to know of the store's options. */
export interface ReadSettings {
  heartbeatKey: string;
  maxReplicaLag: number;
}

/** Read counters, for the store's `stats()`. */
export interface ReadCounters {
  replicaReads: number;
  masterReads: number;
  rereads: { miss: number; stale: number };
}

/** A session's stored text (`null`: none) and, when asked for, its PTTL. */
export type SessionRead = [text: string | null, pttl: number | undefined];

export class SessionReader {
  readonly counters: ReadCounters = {
    replicaReads: 0,
    masterReads: 0,
    rereads: { miss: 0, stale: 0 },
  };
  // The gets of one tick, as one MGET: on a replica (with the heartbeat), and on the master.
  readonly #replicaReads: TickBatch<ReplicaCopy>;
  readonly #masterReads: TickBatch<string | null>;
  #beatAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly client: RoutedClient,
    private readonly settings: ReadSettings,
  ) {
    const heartbeat = settings.heartbeatKey;
    // One MGET of the sessions and the heartbeat under Sentinel; on a cluster one pipeline per
    // node (one MGET per slot, the node's heartbeat among them), so each session and the
    // heartbeat that vouches for it come from the same node.
    this.#replicaReads = new TickBatch((keys) =>
      this.client.read(async (node, servedBy) => {
        const beats = keys.map((key) => keyInShardOf(node, key, heartbeat));
        const distinct = [...new Set(beats)];
        const values = await mgetInOrder(node, [...keys, ...distinct]);
        const beatOf = new Map(distinct.map((key, i) => [key, values[keys.length + i] ?? null]));
        return keys.map((_, i) => ({
          servedBy,
          data: values[i] ?? null,
          heartbeat: beatOf.get(beats[i] as string) ?? null,
        }));
      }),
    );
    this.#masterReads = new TickBatch((keys) =>
      this.client.read(
        (master) =>
          keys.length === 1
            ? master.get(keys[0] as string).then((value) => [value])
            : mgetInOrder(master, keys),
        { readFrom: 'master' },
      ),
    );
  }

  /** `key` from a replica under the rule, else from the master. */
  async readFromReplica(key: string, withTtl: boolean): Promise<SessionRead> {
    this.beat();
    const copy = withTtl ? await this.#readReplicaWithTtl(key) : await this.#replicaReads.get(key);
    const verdict = this.#trust(copy);
    if (verdict === true) return [copy.data, copy.ttl];
    this.counters.rereads[verdict]++;
    return this.readFromMaster(key, withTtl);
  }

  /** `key` from the master. */
  async readFromMaster(key: string, withTtl: boolean): Promise<SessionRead> {
    this.counters.masterReads++;
    if (!withTtl) return [await this.#masterReads.get(key), undefined];
    return this.client.read((master) => Promise.all([master.get(key), master.pttl(key)]), {
      readFrom: 'master',
    });
  }

  /**
   * Renews the heartbeat on the master (a quarter of `maxReplicaLag` at most since the last),
   * without waiting for it: replicas serve sessions only while they hold one.
   */
  beat(): void {
    const now = Date.now();
    if (now - this.#beatAt < this.settings.maxReplicaLag / 4) return;
    this.#beatAt = now;
    this.client
      .write((master) => this.#renew(master), { idempotent: true, waitReplicas: 0 })
      .catch(() => {
        // Reads go to the master until a later beat gets through.
        this.#beatAt = Number.NEGATIVE_INFINITY;
      });
  }

  /** Sets every shard's heartbeat (one `SET` under Sentinel, one per master on a cluster). */
  #renew(master: RoutedConnection): Promise<unknown> {
    const { heartbeatKey, maxReplicaLag } = this.settings;
    return Promise.all(
      keysInEveryShard(master, heartbeatKey).map((key) =>
        master.set(key, '1', 'PX', maxReplicaLag),
      ),
    );
  }

  /**
   * Whether a node's answer may be served. A replica's only if it has the session (a miss may
   * be a session written since) and a live heartbeat: every write it has not applied was
   * answered only once such a replica's heartbeat had expired (see ReplicatedWriter). The
   * master's always: a read falls back to it when no replica is in rotation.
   */
  #trust(copy: ReplicaCopy): true | 'miss' | 'stale' {
    if (copy.data !== null && copy.heartbeat !== null) {
      this.counters.replicaReads++;
      return true;
    }
    if (copy.servedBy.role === 'master') {
      this.counters.masterReads++;
      return true;
    }
    return copy.data === null ? 'miss' : 'stale';
  }

  /**
   * A session and its shard's heartbeat from one replica, with the session's PTTL (for
   * touchAfter): one pipeline, which goes to one node (the session and the heartbeat may be of
   * different slots of a shard, so not one MGET).
   */
  #readReplicaWithTtl(key: string): Promise<ReplicaCopy> {
    return this.client.read(async (node, servedBy) => {
      const beat = keyInShardOf(node, key, this.settings.heartbeatKey);
      const replies = await node.pipeline().get(key).get(beat).pttl(key).exec();
      const [data, heartbeat, ttl] = (replies ?? []).map(([error, value]) => {
        if (error) throw error;
        return value;
      });
      return {
        servedBy,
        data: (data as string | null | undefined) ?? null,
        heartbeat: (heartbeat as string | null | undefined) ?? null,
        ttl: ttl as number | undefined,
      };
    });
  }
}
