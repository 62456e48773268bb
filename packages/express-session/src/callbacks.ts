/** Node-style callback of the store methods. */
export type StoreCallback<T> = (error: unknown, value?: T) => void;

/**
 * Settles `work` for a callback the way connect-redis 9 does: `(null, value)`,
 * `(null, null)` for a call with no value, `(error, null)`.
 */
export function finish<T>(work: Promise<T>, callback: StoreCallback<T> | undefined): Promise<T> {
  if (!callback) return work;
  const done = callback as (error: unknown, value: T | null) => void;
  return work.then(
    (value) => {
      done(null, value ?? null);
      return value;
    },
    (error: unknown) => {
      done(error, null);
      return undefined as T;
    },
  );
}
