/**
 * The read-your-writes rule, reading side: a session is served from a replica only when the
 * replica has it and holds a live heartbeat; anything else is re-read from the master. The
 * writing side is ReplicatedWriter (writer.ts), which answers a write only once every replica
 * that lacks it has either acknowledged it or lost its heartbeat.
 */

import type { RoutedClient, ServedBy } from '@sentinelkit/core';
import { TickBatch } from '@sentinelkit/core/internal';

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
    this.#replicaReads = new TickBatch((keys) =>
      this.client.read(async (node, servedBy) => {
        const values = await node.mget(...keys, heartbeat);
        const beat = values[keys.length] ?? null;
        return keys.map((_, i) => ({ servedBy, data: values[i] ?? null, heartbeat: beat }));
      }),
    );
    this.#masterReads = new TickBatch((keys) =>
      this.client.read(
        (master) =>
          keys.length === 1
            ? master.get(keys[0] as string).then((value) => [value])
            : master.mget(...keys),
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
      .write(
        (master) => master.set(this.settings.heartbeatKey, '1', 'PX', this.settings.maxReplicaLag),
        { idempotent: true, waitReplicas: 0 },
      )
      .catch(() => {
        // Reads go to the master until a later beat gets through.
        this.#beatAt = Number.NEGATIVE_INFINITY;
      });
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

  /** A session and the heartbeat from one replica, with the session's PTTL (for touchAfter). */
  #readReplicaWithTtl(key: string): Promise<ReplicaCopy> {
    return this.client.read(async (node, servedBy) => {
      const [values, ttl] = await Promise.all([
        node.mget(key, this.settings.heartbeatKey),
        node.pttl(key),
      ]);
      return { servedBy, data: values[0] ?? null, heartbeat: values[1] ?? null, ttl };
    });
  }
}
