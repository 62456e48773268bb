// Checks shared by the option resolvers of the core and of the adapters (cache-manager,
// express-session, nestjs: through @sentinelkit/core/internal), so that every package describes a
// bad value and suggests a misspelt option the same way. Each package throws its own error.
import { SentinelConfigError } from './errors.js';

/**
 * Master names and host names: what fits between a location's delimiters. Sentinel itself
 * accepts more in a master name, but anything else could not round-trip through a location.
 */
export const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

/** Throws the {@link SentinelConfigError} for `option`, describing `value` without secrets. */
export function invalid(option: string, expected: string, value: unknown, hint?: string): never {
  throw new SentinelConfigError({
    option,
    expected,
    received: describeValue(value),
    ...(hint === undefined ? {} : { hint }),
  });
}

/**
 * A short description of a value for error messages: scalars shown (a string cut to 60
 * characters), anything else only named — an options object may hold a password.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  if (value == null || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  if (Array.isArray(value) && value.length === 0) return 'an empty array';
  return kindOf(value);
}

/** The kind of a value, never its content: for places where the value may be a secret. */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** `value` as a non-array object, or a {@link SentinelConfigError}. */
export function plainObject(
  option: string,
  value: unknown,
  expected: string,
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(option, expected, value);
  }
  return value as Record<string, unknown>;
}

/** `value` as an integer in `[min, max]`, or a {@link SentinelConfigError}. */
export function integer(
  option: string,
  value: unknown,
  min: number,
  max: number,
  expected = `an integer ${min}-${max}`,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(option, expected, value);
  }
  return value;
}

/**
 * `Did you mean "name"?` for an unknown option `key` that is a known one in another case or a
 * typo away (at most two edits, one for keys under six characters); `undefined` when none is
 * that close. The nearest wins; on a tie, the first of `names`.
 */
export function didYouMean(key: string, names: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const allowed = key.length < 6 ? 1 : 2;
  let best: { name: string; edits: number } | undefined;
  for (const name of names) {
    const edits = name.toLowerCase() === lower ? 0 : editDistance(name.toLowerCase(), lower);
    if (edits <= allowed && (best === undefined || edits < best.edits)) best = { name, edits };
  }
  return best === undefined ? undefined : `Did you mean "${best.name}"?`;
}

/** Levenshtein distance: insertions, deletions and substitutions from `a` to `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
