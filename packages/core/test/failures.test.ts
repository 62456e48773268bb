import { describe, expect, it } from 'vitest';
import {
  isConnectionFailure,
  isReadonlyError,
  isRetryableReadError,
  isTimeout,
} from '../src/failures.js';

describe('classifying command failures', () => {
  it.each([
    ["READONLY You can't write against a read only replica.", true],
    // Redis 6 wraps a write refused inside a script.
    [
      "ERR Error running script (call to f_0a1b): @user_script:1: @user_script: 1: -READONLY You can't write against a read only replica.",
      true,
    ],
    ['ERR Error running script (call to f_0a1b): @user_script:1: WRONGTYPE Operation', false],
    ['ERR value is not an integer or out of range', false],
    ['NOREADONLY', false],
  ])('%s → readonly: %s', (message, expected) => {
    expect(isReadonlyError(new Error(message))).toBe(expected);
  });

  it('timeouts and broken connections may have run; replies from the node did', () => {
    expect(isTimeout(new Error('Command timed out'))).toBe(true);
    expect(isConnectionFailure(new Error('Command timed out'))).toBe(true);
    expect(isConnectionFailure(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionFailure(new Error('read ECONNRESET'))).toBe(true);
    expect(isConnectionFailure(new Error('WRONGTYPE Operation against a key'))).toBe(false);
    expect(isRetryableReadError(new Error('LOADING Redis is loading the dataset'))).toBe(true);
    expect(isRetryableReadError(new Error('WRONGTYPE Operation against a key'))).toBe(false);
  });
});
