/**
 * The cluster client's watchdog for a hung shard master, as pure functions plus one reader of
 * ioredis' queues. A frozen master (SIGSTOP, a stuck host) keeps its TCP connections open: the
 * kernel ACKs, nothing answers, and ioredis' `Cluster` keeps sending that shard's commands to it
 * until the OS drops the socket (~15 min on Linux defaults, ioredis#559). Redis Cluster itself
 * promotes a replica after `cluster-node-timeout`; the client's job is to see that promotion at
 * once and stop using the old master.
 *
 * - A master whose oldest unanswered command has waited `stallTimeout`, or whose connection was
 *   lost, is suspect (client.ts notes it). Suspicion only makes the client look harder: while a
 *   shard is suspect, the cluster's view is read every `failoverPollInterval`, from a replica of
 *   that shard first (the node that gets promoted knows first), never from a suspect node;
 *   and the suspect's replicas are asked `ROLE` every few ms (one command each, only while a
 *   master is suspect): the one promoted says `master` at once, and the view is read then.
 * - The client acts only on the cluster's own decision: when the view names another master for
 *   the shard's slots, ioredis' slot map is refreshed from the node that said so and the old
 *   master's connection is closed, so the writes it held are run again on the new master
 *   (idempotent ones) instead of being acknowledged by the old one when it wakes up.
 * A slow command is therefore harmless: it only makes the client poll faster until it answers.
 */
import type { Redis } from 'ioredis';

/** A node the client can read the cluster's view from. */
export interface PollCandidate {
  /** `host:port` as ioredis keys the connection. */
  key: string;
  /** The master it follows, by key, for a replica; `undefined` for a master. */
  masterKey: string | undefined;
}

/**
 * The node to read the cluster's view from: a replica of a suspect master when there is one
 * (it is the node that gets promoted, so it knows first), else any node that is neither suspect
 * nor `avoid` (the node the last read timed out on). `undefined` when none is left.
 */
export function choosePollNode(
  candidates: readonly PollCandidate[],
  suspects: ReadonlySet<string>,
  avoid: string | undefined,
  random: () => number,
): string | undefined {
  const usable = candidates.filter((c) => !suspects.has(c.key) && c.key !== avoid);
  const nearest = usable.filter((c) => c.masterKey !== undefined && suspects.has(c.masterKey));
  const pool = nearest.length > 0 ? nearest : usable;
  if (pool.length === 0) return undefined;
  return pool[Math.min(pool.length - 1, Math.floor(random() * pool.length))]!.key;
}

/**
 * The replicas (by key) of the suspect masters, from each replica's master in the last view:
 * the nodes asked `ROLE` while a master is suspect, since the one the cluster promotes says
 * `master` at once.
 */
export function replicasOfSuspects(
  replicaMaster: ReadonlyMap<string, string>,
  suspects: ReadonlySet<string>,
): Set<string> {
  const replicas = new Set<string>();
  for (const [replica, master] of replicaMaster) if (suspects.has(master)) replicas.add(replica);
  return replicas;
}

/** Milliseconds until the next read of the cluster's view. */
export function pollDelay(
  suspects: ReadonlySet<string>,
  options: { healthPollInterval: number; failoverPollInterval: number },
): number {
  return suspects.size > 0
    ? Math.min(options.failoverPollInterval, options.healthPollInterval)
    : options.healthPollInterval;
}

/** A shard whose master the cluster replaced: the slot it is known by, the old and new master. */
export interface Replacement {
  slot: number;
  previous: string;
  current: string;
}

/**
 * The shards (by first slot) whose master changed between two views, `before` → `after`
 * (`mastersBySlot` of each, by connection key). A shard new to the view is not a replacement.
 */
export function replacedMasters(
  before: ReadonlyMap<number, string>,
  after: ReadonlyMap<number, string>,
): Replacement[] {
  const replaced: Replacement[] = [];
  for (const [slot, current] of after) {
    const previous = before.get(slot);
    if (previous !== undefined && previous !== current) replaced.push({ slot, previous, current });
  }
  return replaced;
}

/**
 * Whether ioredis' slot map names, as the master of a shard's slots, a node the cluster's view
 * does not list as online at all (`online`: every node the view calls online, by key): a slot
 * map read from the old master itself, thawed and still believing it serves the slots, or from
 * a node that had not heard of the promotion. The client then reads the slot map again from the
 * node whose view it just read. (A node the view lists as online is left alone: the view may be
 * the one lagging behind a `MOVED` ioredis already followed.)
 */
export function slotMapOnFailedNode(
  view: ReadonlyMap<number, string>,
  online: ReadonlySet<string>,
  slotMapMasterOf: (slot: number) => string | undefined,
): boolean {
  for (const [slot, master] of view) {
    const mapped = slotMapMasterOf(slot);
    if (mapped !== undefined && mapped !== master && !online.has(mapped)) return true;
  }
  return false;
}

/**
 * The masters (by key) whose oldest unanswered command has waited `stallTimeout` ms or more,
 * from how long each has waited (`undefined`: nothing waiting).
 */
export function stalledNodes(
  waits: ReadonlyMap<string, number | undefined>,
  stallTimeout: number,
): Set<string> {
  const stalled = new Set<string>();
  for (const [key, wait] of waits) if (wait !== undefined && wait >= stallTimeout) stalled.add(key);
  return stalled;
}

/**
 * How long (ms) the oldest command `redis` holds unanswered has waited, as far as this reader
 * has seen: each queued command is noted the first time it is seen (`firstSeen`, kept by the
 * caller across looks), as the Sentinel client's command watchdog (../watchdog.ts) does, so no
 * timer is armed per command. Commands written and waiting for a reply are in `commandQueue`;
 * commands for a connection still being opened (a new connection to a frozen node accepts TCP
 * but never answers its ready check) are in `offlineQueue`. `undefined` when nothing waits.
 */
export function oldestWait(
  redis: Redis,
  firstSeen: WeakMap<object, number>,
  now: number,
): number | undefined {
  let oldest: number | undefined;
  for (const queue of [redis.commandQueue, offlineQueueOf(redis)]) {
    if (queue === undefined || queue.length === 0) continue;
    // New commands are at the back: note them, back to front, until one already noted.
    for (let i = queue.length - 1; i >= 0; i--) {
      const item = queue.get(i);
      if (item === undefined || firstSeen.has(item)) break;
      firstSeen.set(item, now);
    }
    // The oldest is at the front.
    const front = queue.get(0);
    const seen = front === undefined ? undefined : firstSeen.get(front);
    if (seen !== undefined) oldest = oldest === undefined ? seen : Math.min(oldest, seen);
  }
  return oldest === undefined ? undefined : now - oldest;
}

interface QueueLike {
  readonly length: number;
  get(index: number): object | undefined;
}

/** ioredis' `offlineQueue` (a Denque of `{ command }`), not in its public types. */
function offlineQueueOf(redis: Redis): QueueLike | undefined {
  const queue = (redis as unknown as { offlineQueue?: QueueLike }).offlineQueue;
  return queue !== undefined && typeof queue.get === 'function' ? queue : undefined;
}
