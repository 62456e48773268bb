/**
 * What the sentinels say: one admin connection per sentinel for queries, one
 * subscriber per sentinel recording every event it publishes.
 */

import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { NodeAccess } from './access.js';
import { TopologyError } from './errors.js';
import { flatToRecord, type SentinelView, toReplicaView } from './health.js';
import type { TopologyNode } from './node.js';

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

/** Wall-clock epoch milliseconds with sub-millisecond precision. */
export const now = (): number => performance.timeOrigin + performance.now();

export class SentinelObserver {
  /** Every event received since the subscriptions started, oldest first. */
  readonly events: SentinelEvent[] = [];

  private readonly admin = new Map<TopologyNode, Redis>();
  private readonly subscribers: Redis[] = [];
  private readonly emitter = new EventEmitter();

  constructor(
    private readonly access: NodeAccess,
    private readonly masterName: string,
  ) {
    this.emitter.setMaxListeners(0);
  }

  /** The shared admin connection to `sentinel` (connecting on first use). */
  adminFor(sentinel: TopologyNode): Redis {
    let client = this.admin.get(sentinel);
    if (!client) {
      client = this.access.sentinelClient(sentinel);
      client.connect().catch(() => {});
      this.admin.set(sentinel, client);
    }
    return client;
  }

  /** Records every event `sentinel` publishes from now on (`PSUBSCRIBE *`). */
  async subscribe(sentinel: TopologyNode): Promise<void> {
    const client = this.access.sentinelClient(sentinel);
    this.subscribers.push(client);
    client.on('pmessage', (_pattern: string, channel: string, message: string) => {
      const event: SentinelEvent = { sentinel, type: channel, message, at: now() };
      this.events.push(event);
      this.emitter.emit('event', event);
    });
    await client.connect();
    await client.psubscribe('*');
  }

  /** The master address (`host:port`, as announced) most of `sentinels` name; `undefined` if none answers. */
  async masterAddress(sentinels: readonly TopologyNode[]): Promise<string | undefined> {
    const answers = await Promise.all(
      sentinels.map((s) =>
        this.adminFor(s)
          .call('SENTINEL', 'get-master-addr-by-name', this.masterName)
          .then((reply) => (Array.isArray(reply) ? `${reply[0]}:${reply[1]}` : undefined))
          .catch(() => undefined),
      ),
    );
    const counts = new Map<string, number>();
    for (const a of answers) if (a) counts.set(a, (counts.get(a) ?? 0) + 1);
    return [...counts].sort((x, y) => y[1] - x[1])[0]?.[0];
  }

  /** What each of `sentinels` says about the master, its replicas and its peers. */
  views(sentinels: readonly TopologyNode[]): Promise<SentinelView[]> {
    return Promise.all(
      sentinels.map(async (s): Promise<SentinelView> => {
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

  /** The first recorded event matching `match`, or the next one within `timeoutMs`. */
  waitForEvent(
    match: (e: SentinelEvent) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<SentinelEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
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

  /** Drops every connection. */
  close(): void {
    for (const client of [...this.admin.values(), ...this.subscribers]) client.disconnect();
  }
}
