import { describe, expect, it } from 'vitest';
import { TickBatch } from '../src/tick-batch.js';

/** A batch that records what it sent, answering each key with itself upper-cased. */
function recording(maxKeys?: number) {
  const calls: string[][] = [];
  const batch = new TickBatch(
    async (keys: string[]) => {
      calls.push(keys);
      return keys.map((k) => k.toUpperCase());
    },
    maxKeys === undefined ? {} : { maxWeight: maxKeys },
  );
  return { batch, calls };
}

describe('TickBatch', () => {
  it('after a quiet tick the first key goes at once; the rest of the tick goes together', async () => {
    const { batch, calls } = recording();
    const answers = await Promise.all(['a', 'b', 'c'].map((k) => batch.get(k)));
    expect(answers).toEqual(['A', 'B', 'C']);
    expect(calls).toEqual([['a'], ['b', 'c']]);
  });

  it('after a busy tick every key of the tick goes together', async () => {
    const { batch, calls } = recording();
    await Promise.all(['a', 'b'].map((k) => batch.get(k)));
    calls.length = 0;
    expect(await Promise.all(['c', 'd', 'e'].map((k) => batch.get(k)))).toEqual(['C', 'D', 'E']);
    expect(calls).toEqual([['c', 'd', 'e']]);
    // A lone key after a busy tick still waits for the tick's end, then the batch is quiet again.
    expect(await batch.get('f')).toBe('F');
    expect(await batch.get('g')).toBe('G');
    expect(calls).toEqual([['c', 'd', 'e'], ['f'], ['g']]);
  });

  it('starts a new batch beyond maxWeight', async () => {
    const { batch, calls } = recording(2);
    expect(await Promise.all(['a', 'b', 'c', 'd'].map((k) => batch.get(k)))).toEqual([
      'A',
      'B',
      'C',
      'D',
    ]);
    expect(calls).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('rejects every key of a batch that failed, sync or async, and goes on', async () => {
    let fail = true;
    const batch = new TickBatch(async (keys: string[]) => {
      if (fail) throw new Error('rejected');
      return keys;
    });
    const throwing = new TickBatch<string>(() => {
      throw new Error('thrown');
    });
    const thrown = await Promise.allSettled(['a', 'b', 'c'].map((k) => throwing.get(k)));
    expect(thrown.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const rejected = await Promise.allSettled(['a', 'b', 'c'].map((k) => batch.get(k)));
    expect(rejected.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    fail = false;
    expect(await batch.get('d')).toBe('d');
  });

  it('weighs items: a new batch starts before an item that would take it past maxWeight', async () => {
    const calls: string[][][] = [];
    const batch = new TickBatch(
      async (reads: string[][]) => {
        calls.push(reads);
        return reads.map((keys) => keys.length);
      },
      { maxWeight: 3, weigh: (keys) => keys.length },
    );
    const sizes = await Promise.all(
      [['a'], ['b', 'c'], ['d'], ['e', 'f', 'g', 'h']].map((r) => batch.get(r)),
    );
    expect(sizes).toEqual([1, 2, 1, 4]);
    // The first goes at once; ['b','c'] + ['d'] weigh 3; an item heavier than maxWeight goes alone.
    expect(calls).toEqual([[['a']], [['b', 'c'], ['d']], [['e', 'f', 'g', 'h']]]);
  });
});
