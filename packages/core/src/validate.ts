// Checks shared by the option resolvers; internal, not exported from the package.
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
    received: describe(value),
    ...(hint === undefined ? {} : { hint }),
  });
}

/** A short description of a value for error messages: scalars shown, objects only named. */
export function describe(value: unknown): string {
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
