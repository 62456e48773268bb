/** The store's keys: every key under the prefix, scanned on the master. */

import type { RoutedClient } from '@sentinelkit/core';
import { escapeGlob, scanMaster } from '@sentinelkit/core/internal';

/** Keys under `prefix`, by SCAN on the master (a cursor means something on one node only). */
export function scanKeys(
  client: RoutedClient,
  prefix: string,
  scanCount: number,
): Promise<string[]> {
  return scanMaster(client, `${escapeGlob(prefix)}*`, scanCount);
}

/** Escapes SCAN MATCH glob characters, so a prefix like `app[1]:` matches itself only. */
export { escapeGlob };
