// SCAN for the stores (cache-manager's clear() and iterator, express-session's all/ids/length/
// clear): on every master (each shard of a cluster) and never a replica, since a cursor means
// something on one node only and a replica may miss the latest keys. Exported through @sentinelkit/core/internal.
import type { RoutedClient } from './contract.js';
import type { RedisConnection } from './redis-connection.js';

/** `text` with the glob characters of `SCAN MATCH` escaped, so that it matches only itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** One `SCAN` step's answer: the next cursor (`'0'`: done) and the keys it found. */
export interface ScanStep {
  cursor: string;
  keys: string[];
}

/**
 * One `SCAN` step on `node` from `cursor`. `pattern` is a `MATCH` glob without the connection's
 * `keyPrefix`: ioredis adds that prefix to key arguments but not to `SCAN MATCH`, and returns
 * keys with it, so it is escaped in front of the pattern here and cut from the keys, which are
 * then ready for commands on the same connection.
 */
export async function scanStep(
  node: RedisConnection,
  cursor: string,
  pattern: string,
  count: number,
): Promise<ScanStep> {
  const prefix = node.options.keyPrefix ?? '';
  const [next, keys] = await node.scan(
    cursor,
    'MATCH',
    escapeGlob(prefix) + pattern,
    'COUNT',
    count,
  );
  return { cursor: next, keys: prefix === '' ? keys : keys.map((key) => key.slice(prefix.length)) };
}

/**
 * The keys matching `pattern` on `node`, one batch (maybe empty) per `SCAN` step, from cursor 0
 * until it comes back to 0 (see {@link scanStep}). The next step is sent when the consumer asks
 * for the next batch, so what it sends for a batch goes out before that step.
 */
export async function* scanNode(
  node: RedisConnection,
  pattern: string,
  count: number,
): AsyncGenerator<string[], void> {
  let cursor = '0';
  do {
    const step = await scanStep(node, cursor, pattern, count);
    cursor = step.cursor;
    yield step.keys;
  } while (cursor !== '0');
}

/**
 * Every key matching `pattern` on every master (one under Sentinel, one per shard on a
 * cluster: the contract's `eachMaster`), each once: each master's sweep in one idempotent
 * write, so after a failover it runs again on that shard's new master. Never on a replica,
 * which may miss the latest keys.
 */
export async function scanMaster(
  client: RoutedClient,
  pattern: string,
  count: number,
): Promise<string[]> {
  const perMaster = await client.eachMaster(
    async (master) => {
      const keys = new Set<string>();
      for await (const batch of scanNode(master, pattern, count)) {
        for (const key of batch) keys.add(key);
      }
      return keys;
    },
    { idempotent: true },
  );
  const all = new Set<string>();
  for (const keys of perMaster) for (const key of keys) all.add(key);
  return [...all];
}
