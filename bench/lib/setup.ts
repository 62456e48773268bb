/** Getting a benchmark's client ready on its topology. */
import type { RoutedClient } from '@sentinelkit/core';

/** Resolves once `client` reads from `count` replicas; rejects after `timeoutMs`. */
export async function untilReplicas(
  client: RoutedClient,
  count: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((client.topology().shards[0]?.replicas.length ?? 0) < count) {
    if (Date.now() > deadline) throw new Error(`the client did not find ${count} replicas`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
