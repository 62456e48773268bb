/** The store's keys: every key under the prefix, scanned on the master. */

import type { RoutedClient } from '@sentinelkit/core';

/** Keys under `prefix`, by SCAN on the master (a cursor means something on one node only). */
export function scanKeys(
  client: RoutedClient,
  prefix: string,
  scanCount: number,
): Promise<string[]> {
  const match = `${escapeGlob(prefix)}*`;
  return client.write(
    async (master) => {
      const keys = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = await master.scan(cursor, 'MATCH', match, 'COUNT', scanCount);
        cursor = next;
        for (const k of batch) keys.add(k);
      } while (cursor !== '0');
      return [...keys];
    },
    { idempotent: true },
  );
}

/** Escapes SCAN MATCH glob characters, so a prefix like `app[1]:` matches itself only. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
