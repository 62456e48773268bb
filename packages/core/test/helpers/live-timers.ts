import { createHook } from 'node:async_hooks';

// Node's internal fields of a Timeout: its delay (-1 once cleared) and whether it is done.
type Timer = { _idleTimeout?: number; _destroyed?: boolean };

/**
 * Records the timers created from now on that are still pending (neither fired nor cleared), so a
 * test can assert that a client left none behind, whatever other tests in the process left.
 * `stop()` ends the recording and returns the delays (ms) of the timers still pending.
 */
export function recordTimers(): { pending(): number[]; stop(): void } {
  const live = new Map<number, Timer>();
  const hook = createHook({
    init(asyncId, type, _trigger, resource) {
      if (type === 'Timeout') live.set(asyncId, resource as Timer);
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  return {
    // destroy hooks run later than clearTimeout(), so a cleared or fired timer may still be listed.
    pending: () =>
      [...live.values()]
        .filter((t) => !t._destroyed && (t._idleTimeout ?? 0) >= 0)
        .map((t) => t._idleTimeout ?? Number.NaN),
    stop: () => hook.disable(),
  };
}
