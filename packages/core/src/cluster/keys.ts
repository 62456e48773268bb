/**
 * Multi-key operations on a cluster, as pure functions: keys of many slots grouped by the node
 * that serves them and, within a node, by slot, so that a `getMany` is one command per node (not
 * one round trip per key, not a CROSSSLOT error), and the answers put back in the order of the
 * keys asked for.
 */
import calculateSlot from 'cluster-key-slot';
import { type ChainableCommander, type Cluster, Command, type Redis } from 'ioredis';
import type { RoutedConnection } from '../redis-connection.js';

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

/** ioredis' `Cluster`, told apart from one node's `Redis` by its own flag. */
function asCluster(connection: RoutedConnection): Cluster | undefined {
  return (connection as Cluster).isCluster === true ? (connection as Cluster) : undefined;
}

/**
 * `MGET` of `keys` on a connection of the contract (`read()`'s or `write()`'s): one `MGET` on a
 * single node; on a cluster, one command per node, all in flight at once, merged in order (an
 * `MGET` across slots is a CROSSSLOT error; one per key is a round trip per key): an `MGET` for
 * a node's keys of one slot, the {@link GET_ON_NODE} script for keys of several, else (Redis
 * before 7, a slot map out of date) a pipeline with one `MGET` per slot.
 */
export async function mgetInOrder(
  connection: RoutedConnection,
  keys: readonly string[],
): Promise<(string | null)[]> {
  if (keys.length === 0) return [];
  const cluster = asCluster(connection);
  if (cluster === undefined) return (connection as Redis).mget(...keys);
  const prefix = cluster.options.keyPrefix ?? '';
  const groups = groupKeysByNode(
    keys,
    prefix,
    (slot) => cluster.slots[slot]?.[0] ?? `slot ${slot}`,
  );
  const answers = await Promise.all(groups.map(({ slots }) => getOnNode(cluster, prefix, slots)));
  return mergeInOrder(keys.length, answers.flat());
}

/**
 * `GET` of every key in `ARGV`, in order, on the node it runs on. `KEYS[1]` (the first of them)
 * only routes it to the node serving that key's slot; the others are of other slots that node
 * serves. Redis runs a script that reads keys it was not given as `KEYS` if they are on that
 * node (a key elsewhere fails the script, and nothing is lost: it only reads). `EVAL_RO`, so
 * that it may run on a replica.
 */
const GET_ON_NODE =
  'local values = {} for i, key in ipairs(ARGV) do values[i] = redis.call("GET", key) end return values';

// Clusters whose nodes refused the script for good (no EVAL_RO before Redis 7): the pipeline.
const withoutScripts = new WeakSet<Cluster>();

type SlotAnswer = { group: SlotGroup; values: (string | null)[] };

/** The values of one node's slot groups: one command for all of them. */
async function getOnNode(
  cluster: Cluster,
  prefix: string,
  slots: SlotGroup[],
): Promise<SlotAnswer[]> {
  const only = slots.length === 1 ? slots[0] : undefined;
  if (only !== undefined) return [{ group: only, values: await cluster.mget(...only.keys) }];
  if (!withoutScripts.has(cluster)) {
    const keys = slots.flatMap((group) => group.keys);
    try {
      const values = await getOnOneNode(cluster, keys, prefix);
      let next = 0;
      return slots.map((group) => {
        const own = values.slice(next, next + group.keys.length);
        next += group.keys.length;
        return { group, values: own };
      });
    } catch (error) {
      // A reply of the node (a key not on that node, an ASK): an MGET per slot, each following
      // its own redirections. Anything else (a lost connection) is the read's to handle.
      if ((error as Error).name !== 'ReplyError') throw error;
      if (!/unknown command/i.test((error as Error).message)) {
        return Promise.all(
          slots.map(async (group) => ({ group, values: await cluster.mget(...group.keys) })),
        );
      }
      withoutScripts.add(cluster); // no EVAL_RO before Redis 7: the pipeline from now on
    }
  }
  const replies = await cluster.pipeline(slots.map((group) => ['mget', ...group.keys])).exec();
  return slots.map((group, i) => {
    const [error, values] = replies?.[i] ?? [new Error('the pipeline was not run'), null];
    if (error) throw error;
    return { group, values: values as (string | null)[] };
  });
}

/** One `SET` of {@link setEach}: `px` milliseconds to live, none without. */
export interface SetEntry {
  key: string;
  value: string | Buffer;
  px: number | undefined;
}

/**
 * `SET` of every `ARGV` triplet (key, value, milliseconds to live or `''`), in order, on the node
 * it runs on; `KEYS[1]` (the first key) only routes it, as for {@link GET_ON_NODE} (a key of
 * another node fails the script from that key on: the caller runs the `SET`s again one by one,
 * which a `SET` allows).
 */
const SET_ON_NODE =
  'for i = 1, #ARGV, 3 do if ARGV[i + 2] == "" then redis.call("SET", ARGV[i], ARGV[i + 1]) else redis.call("SET", ARGV[i], ARGV[i + 1], "PX", ARGV[i + 2]) end end return #ARGV / 3';

/**
 * `SET`s of `entries` (each `SET key value [PX px]`) on a write connection of the contract,
 * with one command per node, all nodes at once: a plain `SET` for a lone entry, else the
 * {@link SET_ON_NODE} script: one command for Redis to run and one reply to parse, where a
 * command per entry is what a client pays most for under load. Where a node refuses the script,
 * a pipeline of `SET`s. In order for one key: the last entry of a key wins.
 */
export async function setEach(
  connection: RoutedConnection,
  entries: readonly SetEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  const cluster = asCluster(connection);
  if (cluster === undefined) {
    await setOnNode(connection as Redis, (connection as Redis).options.keyPrefix ?? '', entries);
    return;
  }
  const prefix = cluster.options.keyPrefix ?? '';
  const groups = groupKeysByNode(
    entries.map((entry) => entry.key),
    prefix,
    (slot) => cluster.slots[slot]?.[0] ?? `slot ${slot}`,
  );
  await Promise.all(
    groups.map(({ slots }) => {
      const positions = slots.flatMap((group) => group.positions).sort((a, b) => a - b);
      return setOnNode(
        cluster,
        prefix,
        positions.map((i) => entries[i] as SetEntry),
      );
    }),
  );
}

/** `SET key value [PX px]` of one entry, on a connection of the contract or a node. */
export function setEntry(
  connection: RoutedConnection | Redis | Cluster,
  { key, value, px }: SetEntry,
): Promise<unknown> {
  const node = connection as Redis;
  return px === undefined ? node.set(key, value) : node.set(key, value, 'PX', px);
}

/** The `SET`s of one node's entries (a `Redis`, or the `Cluster` routing by the first key). */
async function setOnNode(
  node: Redis | Cluster,
  prefix: string,
  entries: readonly SetEntry[],
): Promise<void> {
  const setOne = (entry: SetEntry) => setEntry(node, entry);
  if (entries.length === 1) {
    await setOne(entries[0] as SetEntry);
    return;
  }
  const args: (string | Buffer | number)[] = [];
  for (const { key, value, px } of entries) args.push(prefix + key, value, px ?? '');
  try {
    // ioredis prefixes KEYS, not ARGV: the ARGV keys got the prefix above.
    const first = (entries[0] as SetEntry).key;
    await ((node as Cluster).isCluster === true
      ? callOnFirstKeyNode(node as Cluster, 'eval', SET_ON_NODE, first, args, prefix)
      : node.call('eval', SET_ON_NODE, 1, first, ...args));
    return;
  } catch (error) {
    // A reply of the node (a key it does not serve, scripts disabled): the SETs one by one,
    // which follow redirections. Anything else (a lost connection) is the write's to handle.
    if ((error as Error).name !== 'ReplyError') throw error;
  }
  if ((node as Cluster).isCluster === true) {
    // A slot map out of date may have put keys of other nodes here: each SET on its own, routed
    // by ioredis (a pipeline may not span nodes).
    await Promise.all(entries.map(setOne));
    return;
  }
  const pipeline = node.pipeline();
  for (const { key, value, px } of entries) {
    if (px === undefined) pipeline.set(key, value);
    else pipeline.set(key, value, 'PX', px);
  }
  repliesOf(await pipeline.exec(), entries.length);
}

/**
 * `script` (`name` is `eval` or `eval_ro`) on the node serving `keys[0]`'s slot, `KEYS[1]`, with
 * `argv`. ioredis follows a MOVED (the script then runs on the new owner, which fails it for any
 * key it does not serve) but not an ASK: a migrating slot's source asks for the first key when
 * it no longer has it, and on the target, under `ASKING`, Redis lets the script read and write
 * every slot the target imports, keys still on the source included (read as missing, written as
 * a second copy). The ASK reaches the caller as the node's reply, to run the keys one by one.
 */
function callOnFirstKeyNode<T>(
  cluster: Cluster,
  name: 'eval' | 'eval_ro',
  script: string,
  firstKey: string,
  argv: readonly (string | Buffer | number)[],
  prefix: string,
): Promise<T> {
  // In lower case, as ioredis' command table has it: its routing then knows whether the
  // command reads only, and sends `eval_ro` where the call's `readFrom` says.
  const command = new Command(name, [script, 1, firstKey, ...argv], {
    replyEncoding: 'utf8',
    ...(prefix === '' ? {} : { keyPrefix: prefix }),
  });
  const failAsIs = command.reject;
  const sent = cluster.sendCommand(command) as Promise<T>;
  // The Cluster replaced `reject` with its redirecting one as it sent the command (checked by
  // test/ioredis-internals.test.ts).
  const redirect = command.reject;
  command.reject = (error: Error) =>
    (error.message.startsWith('ASK ') ? failAsIs : redirect).call(command, error);
  return sent;
}

/** {@link GET_ON_NODE} of `keys` on the node serving the first one's slot. */
function getOnOneNode(
  cluster: Cluster,
  keys: string[],
  prefix: string,
): Promise<(string | null)[]> {
  // ioredis prefixes KEYS, not ARGV: the ARGV keys get the prefix here.
  const argv = prefix === '' ? keys : keys.map((key) => prefix + key);
  return callOnFirstKeyNode(cluster, 'eval_ro', GET_ON_NODE, keys[0] as string, argv, prefix);
}

/**
 * A key of the shard serving `key`: `base` on a single node; on a cluster `base{n}`, with the
 * smallest `n` whose slot the master of `key`'s slot serves (so the same key in every process
 * that sees the same slot map). For a per-shard marker (express-session's heartbeat) that must
 * replicate in the same stream as the keys it vouches for, and be read from the same node.
 */
export function keyInShardOf(connection: RoutedConnection, key: string, base: string): string {
  const cluster = asCluster(connection);
  if (cluster === undefined) return base;
  const prefix = cluster.options.keyPrefix ?? '';
  const master = cluster.slots[slotOf(prefix + key)]?.[0];
  return master === undefined ? base : shardKeyOf(cluster, master, base);
}

/** One key per shard ({@link keyInShardOf}): `[base]` on a single node. */
export function keysInEveryShard(connection: RoutedConnection, base: string): string[] {
  const cluster = asCluster(connection);
  if (cluster === undefined) return [base];
  const masters = new Set<string>();
  for (const nodes of cluster.slots) if (nodes?.[0] !== undefined) masters.add(nodes[0]);
  return [...masters].map((master) => shardKeyOf(cluster, master, base));
}

// A master serves thousands of slots: the search ends after a few tries; the bound is for a
// slot map with a master of very few slots.
const MAX_SHARD_TAG = 1 << 20;

// The last key found per cluster, master and base: checked (one slot computed) before use, since
// the slot map changes (a failover, a resharding).
const shardKeys = new WeakMap<Cluster, Map<string, string>>();

function shardKeyOf(cluster: Cluster, master: string, base: string): string {
  const prefix = cluster.options.keyPrefix ?? '';
  let known = shardKeys.get(cluster);
  if (known === undefined) {
    known = new Map();
    shardKeys.set(cluster, known);
  }
  const id = `${master} ${base}`;
  const cached = known.get(id);
  if (cached !== undefined && cluster.slots[slotOf(prefix + cached)]?.[0] === master) {
    return cached;
  }
  for (let n = 0; n < MAX_SHARD_TAG; n++) {
    const key = `${base}{${n}}`;
    if (cluster.slots[slotOf(prefix + key)]?.[0] === master) {
      known.set(id, key);
      return key;
    }
  }
  return base;
}

/**
 * One command per key (`add` queues the command of `keys[i]`) on a connection of the contract:
 * one pipeline on a single node; on a cluster, one pipeline per node (its keys of every slot:
 * a pipeline may span slots of one node, not nodes), all in flight at once, replies merged back
 * in the order of the keys. Rejects with the first failed command's error.
 */
export async function pipelineInOrder<T>(
  connection: RoutedConnection,
  keys: readonly string[],
  add: (pipeline: ChainableCommander, key: string, index: number) => void,
): Promise<T[]> {
  if (keys.length === 0) return [];
  const cluster = asCluster(connection);
  if (cluster === undefined) {
    const pipeline = connection.pipeline();
    keys.forEach((key, i) => {
      add(pipeline, key, i);
    });
    return repliesOf<T>(await pipeline.exec(), keys.length);
  }
  const groups = groupKeysByNode(
    keys,
    cluster.options.keyPrefix ?? '',
    (slot) => cluster.slots[slot]?.[0] ?? `slot ${slot}`,
  );
  const answers = await Promise.all(
    groups.map(async ({ slots }) => {
      const pipeline = cluster.pipeline();
      let queued = 0;
      for (const group of slots) {
        group.keys.forEach((key, i) => {
          add(pipeline, key, group.positions[i] as number);
        });
        queued += group.keys.length;
      }
      const replies = repliesOf<T>(await pipeline.exec(), queued);
      let next = 0;
      return slots.map((group) => {
        const values = replies.slice(next, next + group.keys.length);
        next += group.keys.length;
        return { group, values };
      });
    }),
  );
  return mergeInOrder(keys.length, answers.flat());
}

/** The values of a pipeline's replies, or the first error among them. */
function repliesOf<T>(replies: [Error | null, unknown][] | null, count: number): T[] {
  if (replies === null || replies.length !== count) {
    throw new Error(`the pipeline was not run (${replies?.length ?? 0} replies for ${count})`);
  }
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value as T;
  });
}

/**
 * `UNLINK` of `keys`: one command on a single node; on a cluster one per slot, all in flight at
 * once (so one round trip per node). Resolves with the number of keys removed.
 */
export async function unlinkInSlots(
  connection: RoutedConnection,
  keys: readonly string[],
): Promise<number> {
  if (keys.length === 0) return 0;
  const cluster = asCluster(connection);
  if (cluster === undefined) return (connection as Redis).unlink(...keys);
  const groups = groupKeysByNode(keys, cluster.options.keyPrefix ?? '', (slot) => slot);
  const counts = await Promise.all(
    groups.flatMap(({ slots }) => slots.map((group) => cluster.unlink(...group.keys))),
  );
  return counts.reduce((sum, n) => sum + n, 0);
}

/**
 * `UNLINK` of `keys` on one node, one command per hash slot (all in flight at once): for the
 * sweeps of `eachMaster`, which may hand a cluster node, where an `UNLINK` over keys of several
 * slots fails with CROSSSLOT even though the node serves them all. On a node outside a cluster
 * this costs a command per distinct slot instead of one: sweeps (`clear()`) only.
 */
export async function unlinkPerSlot(node: Redis, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const groups = groupKeysByNode(keys, node.options.keyPrefix ?? '', () => node);
  const counts = await Promise.all(
    groups.flatMap(({ slots }) => slots.map((group) => node.unlink(...group.keys))),
  );
  return counts.reduce((sum, n) => sum + n, 0);
}
