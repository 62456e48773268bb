import type { SentinelClient } from '../../src/index.js';

export interface Ack {
  key: string;
  value: string;
  /** Port of the node whose connection answered. */
  port: number;
  at: number;
}

export interface LoadResult {
  acks: Ack[];
  durableAcks: Ack[];
  writeErrors: unknown[];
  readErrors: unknown[];
  reads: number;
  /** Reads of a pre-written key that came back empty or wrong: a stale or empty node answered. */
  wrongReads: number;
}

export interface Load {
  /** Stops issuing operations and resolves once every one issued has settled. */
  stop(): Promise<LoadResult>;
  /**
   * Resolves at the first acknowledged write (plain or durable, acknowledged before or after the
   * call) that `match` accepts; rejects after `timeoutMs`, saying so.
   */
  untilAck(match: (ack: Ack) => boolean, timeoutMs?: number): Promise<Ack>;
}

/**
 * Steady traffic through the client: an idempotent SET every `writeEveryMs`
 * (issued on a timer, not after the previous one, so writes pile up during a
 * failover as they would in an app), a durable SET (`waitReplicas: 1`) every
 * `durableEveryMs`, and `readers` loops reading keys written before the load
 * started (so any empty or wrong answer means a node that should not have
 * been read from).
 */
export async function startLoad(
  client: SentinelClient,
  options: { prefix: string; writeEveryMs?: number; durableEveryMs?: number; readers?: number },
): Promise<Load> {
  const seeded = Array.from({ length: 50 }, (_, i) => `${options.prefix}:seed:${i}`);
  await client.write((r) => r.mset(...seeded.flatMap((k) => [k, k])), {
    idempotent: true,
    waitReplicas: 1,
    waitTimeout: 3000,
  });

  const result: LoadResult = {
    acks: [],
    durableAcks: [],
    writeErrors: [],
    readErrors: [],
    reads: 0,
    wrongReads: 0,
  };
  const ackWaiters = new Set<(ack: Ack) => void>();
  const acknowledged = (list: Ack[], ack: Ack) => {
    list.push(ack);
    for (const waiter of ackWaiters) waiter(ack);
  };
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  let running = true;
  let n = 0;

  const write = (durable: boolean) => {
    const key = `${options.prefix}:${durable ? 'd' : 'w'}:${n++}`;
    const value = String(n);
    track(
      client
        .write(
          async (r) => {
            await r.set(key, value);
            return r.options.port ?? 0;
          },
          durable ? { idempotent: true, waitReplicas: 1, waitTimeout: 3000 } : { idempotent: true },
        )
        .then(
          (port) =>
            acknowledged(durable ? result.durableAcks : result.acks, {
              key,
              value,
              port,
              at: Date.now(),
            }),
          (error: unknown) => result.writeErrors.push(error),
        ),
    );
  };
  const writer = setInterval(() => write(false), options.writeEveryMs ?? 5);
  const durableWriter = setInterval(() => write(true), options.durableEveryMs ?? 50);

  const reader = async () => {
    let i = 0;
    while (running) {
      const key = seeded[i++ % seeded.length]!;
      try {
        const value = await client.read((r) => r.get(key));
        result.reads++;
        if (value !== key) result.wrongReads++;
      } catch (error) {
        result.readErrors.push(error);
      }
      // Yield to the timers between reads; the loop is otherwise as fast as the nodes answer.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  const readers = Array.from({ length: options.readers ?? 2 }, reader);

  return {
    untilAck(match, timeoutMs = 10_000) {
      const seen = [...result.acks, ...result.durableAcks].find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = (ack: Ack) => {
          if (!match(ack)) return;
          clearTimeout(timer);
          ackWaiters.delete(waiter);
          resolve(ack);
        };
        const timer = setTimeout(() => {
          ackWaiters.delete(waiter);
          reject(new Error(`no matching write acknowledged within ${timeoutMs} ms`));
        }, timeoutMs);
        ackWaiters.add(waiter);
      });
    },
    async stop() {
      running = false;
      clearInterval(writer);
      clearInterval(durableWriter);
      await Promise.all(readers);
      while (pending.size > 0) await Promise.allSettled([...pending]);
      return result;
    },
  };
}

/** Keys of `acks` whose value is not on the node (run through the topology's direct access). */
export async function missingOn(
  get: (keys: string[]) => Promise<(string | null)[]>,
  acks: readonly Ack[],
): Promise<Ack[]> {
  if (acks.length === 0) return [];
  const values = await get(acks.map((a) => a.key));
  return acks.filter((a, i) => values[i] !== a.value);
}
