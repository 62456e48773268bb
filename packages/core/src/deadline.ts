import { SentinelConfigError, SentinelKitError } from './errors.js';

/**
 * Runs an operation of the client under a per-call `timeout` (the `timeout` of
 * `read`/`write`): `start` gets `fn` wrapped, to hand to the client instead of
 * `fn`. Past `timeout` ms the result rejects with `TIMEOUT`, and the wrapped
 * function refuses to run `fn` from then on: an operation still waiting for a
 * master or a replica is dropped, never sent late (a cache `SET` sent after its
 * caller gave up could overwrite a newer value). One already sent may still
 * take effect on the server; the message says which.
 */
/**
 * The deadline of a wrapped function, for the client's waits (see {@link deadlineOf}). Its
 * AbortController is made only when a wait asks for it: most calls never wait, and a controller
 * per call costs about as much as the rest of the wrapping.
 */
interface Deadline {
  controller: AbortController | undefined;
  /** Set once the call is past its timeout. */
  error: Error | undefined;
}

const deadlines = new WeakMap<object, Deadline>();

/**
 * The signal that aborts when the call that `fn` belongs to is past its timeout, if `fn` was
 * wrapped by {@link withDeadline}: a wait for a node ends then (and frees its place) instead of
 * at failoverTimeout. The client looks it up where it waits, so no path has to pass it along.
 */
export function deadlineOf(fn: object): AbortSignal | undefined {
  const deadline = deadlines.get(fn);
  if (deadline === undefined) return undefined;
  if (deadline.controller === undefined) {
    deadline.controller = new AbortController();
    if (deadline.error !== undefined) deadline.controller.abort(deadline.error);
  }
  return deadline.controller.signal;
}

export function withDeadline<N, T, R extends unknown[] = []>(
  timeout: number,
  what: 'read' | 'write',
  fn: (node: N, ...rest: R) => Promise<T>,
  start: (guarded: (node: N, ...rest: R) => Promise<T>) => Promise<T>,
): Promise<T> {
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    return Promise.reject(
      new SentinelConfigError({
        option: 'timeout',
        expected: `milliseconds > 0 for this ${what}`,
        received: String(timeout),
      }),
    );
  }
  let expired = false;
  let sent = false;
  const guarded = (node: N, ...rest: R): Promise<T> => {
    if (expired) return Promise.reject(timedOut(what, timeout, false));
    sent = true;
    return fn(node, ...rest);
  };
  const deadline: Deadline = { controller: undefined, error: undefined };
  deadlines.set(guarded, deadline);
  return settleWithin(start(guarded), timeout, () => {
    expired = true;
    const error = timedOut(what, timeout, sent);
    deadline.error = error;
    deadline.controller?.abort(error);
    return error;
  });
}

/**
 * `promise`, or a rejection with `expire()`'s error once `ms` have passed first: one timer and
 * one promise, cleared when `promise` settles (a cost every call with a timeout pays).
 */
export function settleWithin<T>(promise: Promise<T>, ms: number, expire: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(expire()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function timedOut(what: string, timeout: number, sent: boolean): SentinelKitError {
  return new SentinelKitError(
    'TIMEOUT',
    sent
      ? `${what} did not complete within its timeout (${timeout} ms); it was sent and may still take effect`
      : `${what} found no node to run on within its timeout (${timeout} ms); it was not sent`,
  );
}
