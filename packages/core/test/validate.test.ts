import { describe, expect, it } from 'vitest';
import { describeValue, didYouMean, kindOf } from '../src/validate.js';

// The words every package's option checks use (through @sentinelkit/core/internal).
describe('didYouMean', () => {
  const names = ['readFrom', 'retryDelay', 'ttl', 'tls', 'client'];

  it('suggests a name in another case, or a typo or two away', () => {
    expect(didYouMean('READFROM', names)).toBe('Did you mean "readFrom"?');
    expect(didYouMean('retryDeley', names)).toBe('Did you mean "retryDelay"?');
    expect(didYouMean('retyDelai', names)).toBe('Did you mean "retryDelay"?');
    expect(didYouMean('clent', names)).toBe('Did you mean "client"?');
  });

  it('allows one typo only in a short key, and suggests nothing far off', () => {
    expect(didYouMean('tl', names)).toBe('Did you mean "ttl"?');
    expect(didYouMean('db', names)).toBeUndefined();
    expect(didYouMean('password', names)).toBeUndefined();
  });

  it('prefers the nearest, then the first listed', () => {
    expect(didYouMean('tls', ['ttl', 'tls'])).toBe('Did you mean "tls"?');
    expect(didYouMean('tlx', ['ttl', 'tls'])).toBe('Did you mean "tls"?');
    expect(didYouMean('tl', ['tls', 'ttl'])).toBe('Did you mean "tls"?');
  });
});

describe('describeValue', () => {
  it('shows scalars, cuts long strings, only names the rest', () => {
    expect(describeValue('abc')).toBe('"abc"');
    expect(describeValue('x'.repeat(61))).toBe(`"${'x'.repeat(57)}..."`);
    expect(describeValue(5)).toBe('5');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue([])).toBe('an empty array');
    expect(describeValue({ password: 'hunter2' })).toBe('an object');
    expect(describeValue(() => 1)).toBe('a function');
    expect(kindOf('hunter2')).toBe('a string');
  });
});
