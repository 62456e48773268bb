import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDeadline } from '../src/deadline.js';
import { isSentinelKitError } from '../src/errors.js';

describe('withDeadline (the timeout of read/write)', () => {
  // Fake timers: the deadline is asserted on the clock withDeadline itself uses, not on wall time
  // (a loaded machine delays real timers by tens of ms).
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes the result through when in time', async () => {
    const result = await withDeadline(
      50,
      'read',
      async (n: number) => n * 2,
      (guarded) => guarded(21),
    );
    expect(result).toBe(42);
  });

  it('rejects with TIMEOUT in time, and never runs the operation late', async () => {
    vi.useFakeTimers();
    let ran = false;
    let late: Promise<unknown> | undefined;
    let settled: unknown;
    const result = withDeadline(
      30,
      'write',
      async () => {
        ran = true;
        return 'OK';
      },
      (guarded) =>
        new Promise((resolve, reject) => {
          // A master turns up only after the deadline.
          setTimeout(() => {
            late = guarded(undefined).then(resolve, reject);
          }, 60);
        }),
    ).catch((e: unknown) => {
      settled = e;
    });
    await vi.advanceTimersByTimeAsync(29);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(isSentinelKitError(settled, 'TIMEOUT')).toBe(true);
    expect((settled as Error).message).toMatch(/not sent/);
    await vi.advanceTimersByTimeAsync(30);
    await result;
    expect(late).toBeDefined();
    await late;
    expect(ran).toBe(false);
  });

  it('says an operation already sent may still take effect', async () => {
    const error = await withDeadline(
      20,
      'write',
      () => new Promise(() => {}),
      (guarded) => guarded(undefined),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/was sent and may still take effect/);
  });

  it.each([0, -1, Number.NaN])('refuses a timeout of %s, naming the option', async (timeout) => {
    await expect(
      withDeadline(
        timeout,
        'read',
        async () => 1,
        (g) => g(undefined),
      ),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'timeout' });
  });
});
