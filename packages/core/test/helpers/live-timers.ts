import { createHook } from 'node:async_hooks';

// Node's internal fields of a Timeout: its delay (-1 once cleared) and whether it is done.
type Timer = { _idleTimeout?: number; _destroyed?: boolean };

/**
 * Records the timers created from now on that are still pending (neither fired nor cleared), so a
 * test can assert that a client left none behind, whatever other tests in the process left.
 * `stop()` ends the recording and returns the delays (ms) of the timers still pending.
 */
export function recordTimers(): { pending(): number[]; origins(): string; stop(): void } {
  const live = new Map<number, Timer>();
  // Where each timer was created, for the failure message: a leak that shows up only on a
  // loaded machine (seen once in CI) is found from that message or not at all.
  const origins = new WeakMap<Timer, string>();
  const isPending = (t: Timer) => !t._destroyed && (t._idleTimeout ?? 0) >= 0;
  const hook = createHook({
    init(asyncId, type, _trigger, resource) {
      if (type !== 'Timeout') return;
      live.set(asyncId, resource as Timer);
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 30;
      origins.set(resource as Timer, new Error().stack?.split('\n').slice(2).join('\n') ?? '');
      Error.stackTraceLimit = limit;
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  return {
    // destroy hooks run later than clearTimeout(), so a cleared or fired timer may still be listed.
    pending: () => [...live.values()].filter(isPending).map((t) => t._idleTimeout ?? Number.NaN),
    origins: () =>
      [...live.values()]
        .filter(isPending)
        .map((t) => `a ${t._idleTimeout} ms timer created at\n${origins.get(t)}`)
        .join('\n\n'),
    stop: () => hook.disable(),
  };
}
