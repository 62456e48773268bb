import { describe, expect, it } from 'vitest';
import { asReportable, codeOf, ErrorThrottle } from '../src/error-reports.js';
import { SentinelKitError } from '../src/errors.js';

describe('asReportable', () => {
  it('wraps a plain connection error with a code, the errno kept on the cause', () => {
    const raw = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6380'), {
      code: 'ECONNREFUSED',
    });
    const reported = asReportable(raw, []);
    expect(reported).toBeInstanceOf(SentinelKitError);
    expect(reported.code).toBe('CONNECTION_FAILED');
    expect(reported.cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('keeps a SentinelKitError as it is, and redacts secrets from others', () => {
    const own = new SentinelKitError('TIMEOUT', 'x');
    expect(asReportable(own, [])).toBe(own);
    const leaky = asReportable(new Error('WRONGPASS for s3cret'), ['s3cret']);
    expect(leaky.code).toBe('AUTH_FAILED');
    expect(`${leaky.message} ${(leaky.cause as Error).message}`).not.toContain('s3cret');
  });

  it('classifies by message', () => {
    expect(codeOf("NOPERM this user has no permissions to run the 'role' command")).toBe(
      'PERMISSION_DENIED',
    );
    expect(codeOf('Command timed out')).toBe('TIMEOUT');
    expect(codeOf('read ECONNRESET')).toBe('CONNECTION_FAILED');
  });
});

describe('ErrorThrottle', () => {
  const error = (message: string) => new SentinelKitError('CONNECTION_FAILED', message);

  it('lets the first of each cause through, holds repeats for a window, then counts them', () => {
    let now = 0;
    const throttle = new ErrorThrottle(10_000, () => now);
    expect(throttle.admit(error('could not connect to 10.0.0.1:6379: refused'))).toBeDefined();
    now = 100;
    expect(throttle.admit(error('could not connect to 10.0.0.1:6379: reset'))).toBeUndefined();
    // Another node is another cause.
    expect(throttle.admit(error('could not connect to 10.0.0.2:6379: refused'))).toBeDefined();
    now = 200;
    expect(throttle.admit(error('could not connect to 10.0.0.1:6379: refused'))).toBeUndefined();
    now = 10_100;
    const next = throttle.admit(error('could not connect to 10.0.0.1:6379: refused'));
    expect(next?.message).toMatch(/and 2 more like it in the last 10 s/);
    expect(next?.code).toBe('CONNECTION_FAILED');
  });
});
