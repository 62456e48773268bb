/**
 * Where one command of a cluster read goes, as a pure function: ioredis' `Cluster` hands its
 * `scaleReads` function the nodes that serve the command's slot (master first, then replicas),
 * and this chooses among them by the call's `readFrom`, the replicas the cluster calls healthy
 * (health.ts) and those this call already saw fail.
 */
import type { ReadFrom } from '../types.js';

/** What a read call asks of the routing, and what the routing tells back (see client.ts). */
export interface ReadRoute {
  readFrom: ReadFrom;
  /** Replicas this call must not use again (they failed it). */
  exclude: ReadonlySet<string>;
}

/**
 * The choice for one command: `{ index }` of the node in `nodeKeys` (0 is the slot's master),
 * or `{ refused: true }` for `replica-only` with no readable replica.
 */
export type ReadChoice = { index: number; refused?: never } | { refused: true; index?: never };

/**
 * A random replica of the slot that is readable and not excluded; the master (index 0) when
 * there is none (or `readFrom: 'master'`); refused for `replica-only` without one.
 */
export function chooseReadNode(
  nodeKeys: readonly string[],
  route: ReadRoute,
  readable: ReadonlySet<string>,
  random: () => number,
): ReadChoice {
  if (route.readFrom === 'master') return { index: 0 };
  const candidates: number[] = [];
  for (let i = 1; i < nodeKeys.length; i++) {
    const key = nodeKeys[i]!;
    if (readable.has(key) && !route.exclude.has(key)) candidates.push(i);
  }
  if (candidates.length === 0) {
    return route.readFrom === 'replica-only' ? { refused: true } : { index: 0 };
  }
  const pick = Math.min(candidates.length - 1, Math.floor(random() * candidates.length));
  return { index: candidates[pick]! };
}
