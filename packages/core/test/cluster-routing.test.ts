import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import {
  decideClusterWrite,
  isNotRun,
  isSlotUnavailable,
  SENT_BEFORE_CLOSE,
  shouldRetryRead,
} from '../src/cluster/failure.js';
import {
  groupKeysByNode,
  keyInShardOf,
  keysInEveryShard,
  mergeInOrder,
  slotOf,
} from '../src/cluster/keys.js';
import { chooseReadNode } from '../src/cluster/routing.js';
import type { RoutedConnection } from '../src/redis-connection.js';

const nodes = ['m:1', 'r:2', 'r:3'];
const route = (readFrom: 'replica' | 'master' | 'replica-only', exclude: string[] = []) => ({
  readFrom,
  exclude: new Set(exclude),
});

describe('chooseReadNode', () => {
  it('spreads reads over the readable replicas of the slot', () => {
    const readable = new Set(['r:2', 'r:3']);
    expect(chooseReadNode(nodes, route('replica'), readable, () => 0)).toEqual({ index: 1 });
    expect(chooseReadNode(nodes, route('replica'), readable, () => 0.99)).toEqual({ index: 2 });
  });

  it('skips replicas out of the rotation and those the call saw fail', () => {
    expect(chooseReadNode(nodes, route('replica'), new Set(['r:3']), () => 0)).toEqual({
      index: 2,
    });
    expect(
      chooseReadNode(nodes, route('replica', ['r:2']), new Set(['r:2', 'r:3']), () => 0),
    ).toEqual({ index: 2 });
  });

  it('falls back to the master, or refuses for replica-only', () => {
    expect(chooseReadNode(nodes, route('replica'), new Set(), () => 0)).toEqual({ index: 0 });
    expect(chooseReadNode(['m:1'], route('replica'), new Set(['r:2']), () => 0)).toEqual({
      index: 0,
    });
    expect(chooseReadNode(nodes, route('replica-only'), new Set(), () => 0)).toEqual({
      refused: true,
    });
    expect(chooseReadNode(nodes, route('master'), new Set(['r:2']), () => 0)).toEqual({
      index: 0,
    });
  });

  it('never indexes past the candidates, whatever the random source gives', () => {
    expect(chooseReadNode(nodes, route('replica'), new Set(['r:2']), () => 1)).toEqual({
      index: 1,
    });
  });
});

describe('keys by node and slot', () => {
  it('computes the slot as Redis does, hash tags included', () => {
    expect(slotOf('foo')).toBe(12182);
    expect(slotOf('{user1}.a')).toBe(slotOf('{user1}.b'));
  });

  it('groups by node, one group per slot, and merges answers back in order', () => {
    const keys = ['{a}1', '{b}1', '{a}2', '{c}1', '{b}2'];
    // Two nodes: slots below 8192 on one, the rest on the other.
    const nodeOf = (slot: number) => (slot < 8192 ? 'low' : 'high');
    const groups = groupKeysByNode(keys, '', nodeOf);
    const bySlot = new Map(groups.flatMap((g) => g.slots.map((s) => [s.slot, s.keys])));
    expect(bySlot.get(slotOf('{a}'))).toEqual(['{a}1', '{a}2']);
    expect(bySlot.get(slotOf('{b}'))).toEqual(['{b}1', '{b}2']);
    for (const group of groups) {
      for (const slot of group.slots) expect(nodeOf(slot.slot)).toBe(group.node);
    }
    expect(groups.reduce((n, g) => n + g.slots.length, 0)).toBe(3);
    const answers = groups.flatMap((g) =>
      g.slots.map((group) => ({ group, values: group.keys.map((k) => `v${k}`) })),
    );
    expect(mergeInOrder(keys.length, answers)).toEqual(keys.map((k) => `v${k}`));
  });

  it('computes slots on the prefixed key, as ioredis sends it', () => {
    const [group] = groupKeysByNode(['k'], 'app:', (slot) => slot);
    expect(group?.slots[0]?.slot).toBe(calculateSlot('app:k'));
  });
});

describe('a key per shard (the heartbeat of each shard)', () => {
  /** What the helpers read of ioredis' Cluster: its flag, key prefix and slot map. */
  const fakeCluster = (masterOf: (slot: number) => string, keyPrefix = '') =>
    ({
      isCluster: true,
      options: { keyPrefix },
      slots: Array.from({ length: 16384 }, (_, slot) => [masterOf(slot), 'replica']),
    }) as unknown as RoutedConnection;
  const threeShards = (slot: number) => (slot < 5461 ? 'a:1' : slot < 10923 ? 'b:1' : 'c:1');

  it('is the base key itself on a single node', () => {
    const node = { options: {} } as unknown as RoutedConnection;
    expect(keyInShardOf(node, 'sess:1', 'hb')).toBe('hb');
    expect(keysInEveryShard(node, 'hb')).toEqual(['hb']);
  });

  it('lands in the shard of the key it is asked for, the smallest tag that does', () => {
    const cluster = fakeCluster(threeShards);
    for (const key of ['sess:1', 'sess:2', 'sess:3', 'user:{x}']) {
      const beat = keyInShardOf(cluster, key, 'hb');
      expect(beat).toMatch(/^hb\{\d+\}$/);
      expect(threeShards(slotOf(beat))).toBe(threeShards(slotOf(key)));
      const n = Number(/\{(\d+)\}/.exec(beat)?.[1]);
      for (let smaller = 0; smaller < n; smaller++) {
        expect(threeShards(slotOf(`hb{${smaller}}`))).not.toBe(threeShards(slotOf(key)));
      }
    }
    const every = keysInEveryShard(cluster, 'hb');
    expect(every.map((k) => threeShards(slotOf(k))).sort()).toEqual(['a:1', 'b:1', 'c:1']);
  });

  it('follows the slot map: a failover keeps the key, a moved slot gives another', () => {
    const before = keyInShardOf(fakeCluster(threeShards), 'sess:1', 'hb');
    // The shard's replica promoted: the same slots, another master.
    const promoted = (slot: number) =>
      threeShards(slot) === threeShards(slotOf('sess:1')) ? 'p:1' : threeShards(slot);
    expect(keyInShardOf(fakeCluster(promoted), 'sess:1', 'hb')).toBe(before);
    // The heartbeat's slot moved to another shard: the key of that shard is another.
    const moved = (slot: number) => (slot === slotOf(before) ? 'other:1' : threeShards(slot));
    const after = keyInShardOf(fakeCluster(moved), 'sess:1', 'hb');
    expect(after).not.toBe(before);
    expect(moved(slotOf(after))).toBe(moved(slotOf('sess:1')));
  });

  it('computes slots on the prefixed keys', () => {
    const cluster = fakeCluster(threeShards, 'app:');
    const beat = keyInShardOf(cluster, 'sess:1', 'hb');
    expect(threeShards(slotOf(`app:${beat}`))).toBe(threeShards(slotOf('app:sess:1')));
  });
});

describe('what the cluster client does with a failure', () => {
  const ctx = (idempotent: boolean, elapsed = 0) => ({
    idempotent,
    elapsed,
    failoverTimeout: 1000,
  });
  // Never written: ioredis failed it from the offline queue of a closing connection.
  const closed = new Error('Connection is closed.');
  // Written, its reply lost when the connection closed (sent-commands.ts).
  const sent = new Error(SENT_BEFORE_CLOSE);
  const exhausted = new Error(
    'Too many Cluster redirections. Last error: Error: Connection is closed.',
  );
  const exhaustedOnMoved = new Error(
    'Too many Cluster redirections. Last error: ReplyError: MOVED 866 127.0.0.1:7001',
  );
  const exhaustedOnSent = new Error(
    `Too many Cluster redirections. Last error: Error: ${SENT_BEFORE_CLOSE}`,
  );
  const exhaustedOnTimeout = new Error(
    'Too many Cluster redirections. Last error: Error: Command timed out',
  );
  const aborted = new Error('Command aborted due to connection close');
  const clusterDown = new Error('CLUSTERDOWN The cluster is down');

  it('runs an idempotent write again while the slot has no master, within failoverTimeout', () => {
    for (const error of [closed, sent, exhausted, exhaustedOnSent, aborted, clusterDown]) {
      expect(decideClusterWrite(error, ctx(true))).toBe('rerun');
    }
    expect(decideClusterWrite(new Error('Command timed out'), ctx(true))).toBe('rerun');
    expect(decideClusterWrite(sent, ctx(true, 1000))).toBe('reject-unavailable');
    expect(decideClusterWrite(closed, ctx(false, 1000))).toBe('reject-unavailable');
  });

  it('rejects a non-idempotent write whose reply was lost (sent, then closed or timed out)', () => {
    for (const error of [
      sent,
      aborted,
      new Error('Command timed out'),
      exhaustedOnSent,
      exhaustedOnTimeout,
    ]) {
      expect(decideClusterWrite(error, ctx(false))).toBe('reject-may-have-executed');
    }
  });

  it('reruns a non-idempotent write that never ran: refused, or never written', () => {
    for (const error of [
      closed,
      exhausted,
      exhaustedOnMoved,
      clusterDown,
      new Error('TRYAGAIN x'),
      new Error('MASTERDOWN x'),
    ]) {
      expect(isNotRun(error)).toBe(true);
      expect(decideClusterWrite(error, ctx(false))).toBe('rerun');
    }
    expect(isNotRun(sent)).toBe(false);
    expect(isNotRun(new Error('Too many Cluster redirections.'))).toBe(false);
  });

  it("leaves the command's own errors to the caller", () => {
    expect(decideClusterWrite(new Error('WRONGTYPE x'), ctx(true))).toBe('rethrow');
    expect(decideClusterWrite(new Error('CROSSSLOT x'), ctx(true))).toBe('rethrow');
    expect(isSlotUnavailable('not an error')).toBe(false);
  });

  it('retries a read once elsewhere after LOADING or a lost reply', () => {
    expect(shouldRetryRead(new Error('LOADING Redis is loading'), 0)).toBe(true);
    expect(shouldRetryRead(closed, 0)).toBe(true);
    expect(shouldRetryRead(closed, 1)).toBe(false);
    expect(shouldRetryRead(new Error('WRONGTYPE x'), 0)).toBe(false);
  });
});
