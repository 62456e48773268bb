import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import { decideClusterWrite, isSlotUnavailable, shouldRetryRead } from '../src/cluster/failure.js';
import { groupKeysByNode, mergeInOrder, slotOf } from '../src/cluster/keys.js';
import { chooseReadNode } from '../src/cluster/routing.js';

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

describe('what the cluster client does with a failure', () => {
  const ctx = (idempotent: boolean, elapsed = 0) => ({
    idempotent,
    elapsed,
    failoverTimeout: 1000,
  });
  const closed = new Error('Connection is closed.');
  const exhausted = new Error(
    'Too many Cluster redirections. Last error: Error: Connection is closed.',
  );
  const clusterDown = new Error('CLUSTERDOWN The cluster is down');

  it('runs an idempotent write again while the slot has no master, within failoverTimeout', () => {
    expect(decideClusterWrite(closed, ctx(true))).toBe('rerun');
    expect(decideClusterWrite(exhausted, ctx(true))).toBe('rerun');
    expect(decideClusterWrite(new Error('Command timed out'), ctx(true))).toBe('rerun');
    expect(decideClusterWrite(closed, ctx(true, 1000))).toBe('reject-unavailable');
  });

  it('rejects a non-idempotent write whose reply was lost, reruns one refused unrun', () => {
    expect(decideClusterWrite(closed, ctx(false))).toBe('reject-may-have-executed');
    expect(decideClusterWrite(exhausted, ctx(false))).toBe('reject-may-have-executed');
    expect(decideClusterWrite(clusterDown, ctx(false))).toBe('rerun');
    expect(decideClusterWrite(new Error('TRYAGAIN x'), ctx(false))).toBe('rerun');
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
