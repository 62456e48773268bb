import { describe, expect, it } from 'vitest';
import { TickBatch } from '../src/batch.js';

describe('TickBatch', () => {
  it('sends the keys of one tick together and answers each with its own value', async () => {
    const calls: string[][] = [];
    const batch = new TickBatch(async (keys: string[]) => {
      calls.push(keys);
      return keys.map((k) => k.toUpperCase());
    });
    const answers = await Promise.all(['a', 'b', 'c'].map((k) => batch.get(k)));
    expect(answers).toEqual(['A', 'B', 'C']);
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(await batch.get('d')).toBe('D');
    expect(calls).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('starts a new batch beyond maxKeys', async () => {
    const calls: string[][] = [];
    const batch = new TickBatch(async (keys: string[]) => {
      calls.push(keys);
      return keys;
    }, 2);
    expect(await Promise.all(['a', 'b', 'c'].map((k) => batch.get(k)))).toEqual(['a', 'b', 'c']);
    expect(calls).toEqual([['a', 'b'], ['c']]);
  });

  it('rejects every key of a batch that failed, sync or async, and goes on', async () => {
    let mode: 'throw' | 'reject' | 'ok' = 'throw';
    const batch = new TickBatch(async (keys: string[]) => {
      if (mode === 'reject') throw new Error('rejected');
      return keys;
    });
    const syncFailing = new TickBatch<string>((() => {
      throw new Error('thrown');
    }) as never);
    await expect(Promise.all([syncFailing.get('a'), syncFailing.get('b')])).rejects.toThrow(
      'thrown',
    );
    mode = 'reject';
    const settled = await Promise.allSettled([batch.get('a'), batch.get('b')]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    mode = 'ok';
    expect(await batch.get('c')).toBe('c');
  });
});
