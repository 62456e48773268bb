import { exists, hasFlag } from '@ioredis/commands';
import { pickRandom } from './replicas.js';
import type { ReadFrom } from './types.js';

/** Whether a command may run on a replica (`'read'`) or must run on the master (`'write'`). */
export type CommandKind = 'read' | 'write';

/** Where {@link chooseReadTarget} sends a read. */
export type ReadTarget<T> = { kind: 'replica'; node: T } | { kind: 'master' } | { kind: 'none' };

// Read-only, yet master-only: a SCAN cursor is meaningful only on the node that issued it, and
// reads go to a different random replica per command; KEYS and SCAN also feed bulk deletes
// (store clear()), which must see the master's keyspace, not a lagging copy.
const MASTER_ONLY_READS: ReadonlySet<string> = new Set(['scan', 'sscan', 'hscan', 'zscan', 'keys']);

/**
 * Classifies a command by name (any case) from the `readonly` flag in `@ioredis/commands`.
 * Unknown commands (modules, scripts, new Redis commands) are `'write'`: the master is always a
 * correct place to run a command, a replica is not.
 */
export function commandKind(name: string): CommandKind {
  const command = name.toLowerCase();
  if (MASTER_ONLY_READS.has(command)) return 'write';
  return exists(command) && hasFlag(command, 'readonly') ? 'read' : 'write';
}

/**
 * Chooses where a read goes:
 * - `'replica'`: a random healthy replica, the master when there is none;
 * - `'master'`: the master;
 * - `'replica-only'`: a random healthy replica, `'none'` when there is none.
 */
export function chooseReadTarget<T>(
  readFrom: ReadFrom,
  healthyReplicas: readonly T[],
  random: () => number,
): ReadTarget<T> {
  if (readFrom === 'master') return { kind: 'master' };
  if (healthyReplicas.length > 0) {
    return { kind: 'replica', node: pickRandom(healthyReplicas, random) as T };
  }
  return readFrom === 'replica' ? { kind: 'master' } : { kind: 'none' };
}
