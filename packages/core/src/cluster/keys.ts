/**
 * Multi-key operations on a cluster, as pure functions: keys of many slots grouped by the node
 * that serves them and, within a node, by slot, so that a `getMany` is one pipeline per node with
 * one `MGET` per slot (not one round trip per key, not a CROSSSLOT error), and the answers put
 * back in the order of the keys asked for.
 */
import calculateSlot from 'cluster-key-slot';

/** The keys of one slot, with their positions in the caller's list. */
export interface SlotGroup {
  slot: number;
  keys: string[];
  positions: number[];
}

/** The slot groups one node serves. */
export interface NodeGroup<N> {
  node: N;
  slots: SlotGroup[];
}

/** The hash slot of `key` as the cluster computes it (hash tags `{…}` honoured). */
export function slotOf(key: string | Buffer): number {
  return calculateSlot(key);
}

/**
 * Groups `keys` by node and slot. `prefix` is the connection's `keyPrefix` (ioredis adds it
 * before sending, so the slot is that of the prefixed key); `nodeOf` names the node serving a
 * slot. Groups keep the order in which their first key appears.
 */
export function groupKeysByNode<N>(
  keys: readonly string[],
  prefix: string,
  nodeOf: (slot: number) => N,
): NodeGroup<N>[] {
  const nodes = new Map<N, NodeGroup<N>>();
  const slots = new Map<number, SlotGroup>();
  keys.forEach((key, position) => {
    const slot = slotOf(prefix + key);
    let group = slots.get(slot);
    if (group === undefined) {
      group = { slot, keys: [], positions: [] };
      slots.set(slot, group);
      const node = nodeOf(slot);
      let nodeGroup = nodes.get(node);
      if (nodeGroup === undefined) {
        nodeGroup = { node, slots: [] };
        nodes.set(node, nodeGroup);
      }
      nodeGroup.slots.push(group);
    }
    group.keys.push(key);
    group.positions.push(position);
  });
  return [...nodes.values()];
}

/**
 * Puts the answers of each slot group (one value per key of the group, in the group's order)
 * back in the order of the `count` keys asked for.
 */
export function mergeInOrder<T>(
  count: number,
  answers: readonly { group: SlotGroup; values: readonly T[] }[],
): T[] {
  const out = new Array<T>(count);
  for (const { group, values } of answers) {
    group.positions.forEach((position, i) => {
      out[position] = values[i] as T;
    });
  }
  return out;
}

/** A connection that may be ioredis' `Cluster` (it has `isCluster` and a slot map). */
interface MaybeCluster {
  isCluster?: boolean;
  slots?: string[][];
  options: { keyPrefix?: string | undefined };
  mget(...keys: string[]): Promise<(string | null)[]>;
  pipeline(commands: (string | number)[][]): {
    exec(): Promise<[Error | null, unknown][] | null>;
  };
}

/**
 * `MGET` of `keys` on a connection of the contract (`read()`'s or `write()`'s): one `MGET` on a
 * single node; on a cluster, one pipeline per node with one `MGET` per slot, merged in order
 * (an `MGET` across slots is a CROSSSLOT error; one per key is a round trip per key).
 */
export async function mgetInOrder(
  connection: MaybeCluster,
  keys: readonly string[],
): Promise<(string | null)[]> {
  if (keys.length === 0) return [];
  if (connection.isCluster !== true) return connection.mget(...keys);
  const groups = groupKeysByNode(
    keys,
    connection.options.keyPrefix ?? '',
    (slot) => connection.slots?.[slot]?.[0] ?? `slot ${slot}`,
  );
  const answers = await Promise.all(
    groups.map(async ({ slots }) => {
      const replies = await connection
        .pipeline(slots.map((group) => ['mget', ...group.keys]))
        .exec();
      return slots.map((group, i) => {
        const [error, values] = replies?.[i] ?? [new Error('the pipeline was not run'), null];
        if (error) throw error;
        return { group, values: values as (string | null)[] };
      });
    }),
  );
  return mergeInOrder(keys.length, answers.flat());
}
