// The cluster client's watchdog for a hung shard master (src/cluster/watchdog.ts): which master
// is suspect, where the view is read from while one is, what counts as a replacement, and when
// ioredis' slot map must be read again. Pure functions, plus the queue reader on a stand-in.
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  choosePollNode,
  oldestWait,
  pollDelay,
  replacedMasters,
  replicasOfSuspects,
  slotMapOnFailedNode,
  stalledNodes,
} from '../src/cluster/watchdog.js';

const nodes = [
  { key: 'm1:1', masterKey: undefined },
  { key: 'm2:1', masterKey: undefined },
  { key: 'r1:1', masterKey: 'm1:1' },
  { key: 'r2:1', masterKey: 'm2:1' },
];

describe('choosePollNode', () => {
  it('reads from a replica of a suspect master: it is the node that gets promoted', () => {
    expect(choosePollNode(nodes, new Set(['m1:1']), undefined, () => 0.99)).toBe('r1:1');
  });

  it('never from a suspect node or the one the last read failed on', () => {
    const picks = new Set(
      [0, 0.3, 0.6, 0.99].map((r) => choosePollNode(nodes, new Set(['m2:1']), 'r2:1', () => r)),
    );
    expect(picks).toEqual(new Set(['m1:1', 'r1:1']));
    // With m1 suspect and its replica the one that failed: any other node.
    expect(choosePollNode(nodes, new Set(['m1:1']), 'r1:1', () => 0)).toBe('m2:1');
  });

  it('spreads over every node when nothing is suspect, none when every node is excluded', () => {
    expect(choosePollNode(nodes, new Set(), undefined, () => 0)).toBe('m1:1');
    expect(choosePollNode(nodes, new Set(), undefined, () => 0.99)).toBe('r2:1');
    expect(choosePollNode(nodes.slice(0, 1), new Set(['m1:1']), undefined, () => 0)).toBe(
      undefined,
    );
  });
});

describe('replicasOfSuspects', () => {
  it('names the replicas of the suspect masters only, none when nothing is suspect', () => {
    const replicaMaster = new Map([
      ['r1:1', 'm1:1'],
      ['r1:2', 'm1:1'],
      ['r2:1', 'm2:1'],
    ]);
    expect(replicasOfSuspects(replicaMaster, new Set(['m1:1']))).toEqual(new Set(['r1:1', 'r1:2']));
    expect(replicasOfSuspects(replicaMaster, new Set(['m1:1', 'm2:1'])).size).toBe(3);
    expect(replicasOfSuspects(replicaMaster, new Set())).toEqual(new Set());
  });
});

describe('pollDelay', () => {
  const options = { healthPollInterval: 1000, failoverPollInterval: 50 };
  it('polls fast while a master is suspect, at the health pace otherwise', () => {
    expect(pollDelay(new Set(), options)).toBe(1000);
    expect(pollDelay(new Set(['m1:1']), options)).toBe(50);
    expect(pollDelay(new Set(['m1:1']), { ...options, healthPollInterval: 20 })).toBe(20);
  });
});

describe('stalledNodes', () => {
  it('names the masters whose oldest unanswered command waited stallTimeout or more', () => {
    const waits = new Map([
      ['m1:1', 499],
      ['m2:1', 500],
      ['m3:1', undefined],
    ]);
    expect(stalledNodes(waits, 500)).toEqual(new Set(['m2:1']));
  });
});

describe('replacedMasters', () => {
  it('a shard whose master changed, not a shard new to the view', () => {
    const before = new Map([
      [0, 'm1:1'],
      [5461, 'm2:1'],
    ]);
    const after = new Map([
      [0, 'r1:1'],
      [5461, 'm2:1'],
      [10923, 'm3:1'],
    ]);
    expect(replacedMasters(before, after)).toEqual([
      { slot: 0, previous: 'm1:1', current: 'r1:1' },
    ]);
  });
});

describe('slotMapOnFailedNode', () => {
  const view = new Map([
    [0, 'r1:1'],
    [5461, 'm2:1'],
  ]);
  const online = new Set(['r1:1', 'm2:1', 'r2:1']);
  it('the slot map names a master the view does not call online (the old, failed master)', () => {
    const slotMap = (slot: number) => (slot === 0 ? 'm1:1' : 'm2:1');
    expect(slotMapOnFailedNode(view, online, slotMap)).toBe(true);
  });

  it('not when it agrees, nor when it names an online node (the view may be the one lagging)', () => {
    expect(slotMapOnFailedNode(view, online, (slot) => view.get(slot))).toBe(false);
    expect(slotMapOnFailedNode(view, online, (slot) => (slot === 0 ? 'r2:1' : 'm2:1'))).toBe(false);
    expect(slotMapOnFailedNode(view, online, () => undefined)).toBe(false);
  });
});

describe('oldestWait', () => {
  /** A stand-in for ioredis' queues: Denque-like `length` and `get(i)`, oldest first. */
  const queue = (items: object[]) => ({ length: items.length, get: (i: number) => items[i] });
  const redis = (written: object[], offline: object[] = []) =>
    ({ commandQueue: queue(written), offlineQueue: queue(offline) }) as unknown as Redis;

  it('times each command from when it was first seen, the oldest first', () => {
    const firstSeen = new WeakMap<object, number>();
    const a = {};
    const b = {};
    expect(oldestWait(redis([a]), firstSeen, 1000)).toBe(0);
    expect(oldestWait(redis([a, b]), firstSeen, 1300)).toBe(300);
    // `a` answered: `b` is the oldest now, seen at 1300.
    expect(oldestWait(redis([b]), firstSeen, 1400)).toBe(100);
    expect(oldestWait(redis([]), firstSeen, 1500)).toBe(undefined);
  });

  it('counts commands waiting for a connection to open (a new connection to a frozen node)', () => {
    const firstSeen = new WeakMap<object, number>();
    const c = {};
    oldestWait(redis([], [c]), firstSeen, 0);
    expect(oldestWait(redis([], [c]), firstSeen, 700)).toBe(700);
  });
});
