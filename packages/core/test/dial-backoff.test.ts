import { describe, expect, it } from 'vitest';
import {
  afterDialFailure,
  type DialBackoff,
  MAX_DIAL_BACKOFF_MS,
  mayDial,
} from '../src/dial-backoff.js';

const POLL = 1000;

/** The waits after each of `n` consecutive failures, each failing as soon as allowed. */
function waits(n: number): number[] {
  const result: number[] = [];
  let backoff: DialBackoff | undefined;
  let now = 0;
  for (let i = 0; i < n; i++) {
    backoff = afterDialFailure(backoff, now, POLL);
    result.push(backoff.retryAt - now);
    now = backoff.retryAt;
  }
  return result;
}

describe('dial backoff of an unreachable replica', () => {
  it('an address that never failed is dialled', () => {
    expect(mayDial(undefined, 0)).toBe(true);
  });

  it('retries at the next refresh after a first failure, then waits 1, 2, 4… polls up to the cap', () => {
    expect(waits(10)).toEqual([0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  });

  it('is not dialled before its retry time, and is at it', () => {
    const once = afterDialFailure(undefined, 5000, POLL);
    expect(mayDial(once, 5000)).toBe(true);
    const twice = afterDialFailure(once, 5000, POLL);
    expect(mayDial(twice, 5999)).toBe(false);
    expect(mayDial(twice, 6000)).toBe(true);
  });

  it('never waits longer than MAX_DIAL_BACKOFF_MS, however long it fails', () => {
    let backoff: DialBackoff | undefined;
    for (let i = 0; i < 100; i++) backoff = afterDialFailure(backoff, 0, POLL);
    expect(backoff?.retryAt).toBe(MAX_DIAL_BACKOFF_MS);
  });
});
