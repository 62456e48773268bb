import { describe, expect, it } from 'vitest';
import {
  isSentinelKitError,
  MasterNameUnknownError,
  NoSentinelReachableError,
  redactSecrets,
  SENTINELKIT_ERROR_CODES,
  SentinelConfigError,
  SentinelKitError,
} from '../src/errors.js';

describe('SentinelKitError', () => {
  it('carries code, cause and its class name', () => {
    const cause = new Error('socket hang up');
    const error = new SentinelKitError('MASTER_UNAVAILABLE', 'no master', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SentinelKitError');
    expect(error.code).toBe('MASTER_UNAVAILABLE');
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('no master');
    expect(error.stack?.startsWith('SentinelKitError: no master')).toBe(true);
    expect(String(error)).toBe('SentinelKitError: no master');
  });

  it('has no cause property when none was given', () => {
    expect('cause' in new SentinelKitError('TIMEOUT', 'slow')).toBe(false);
  });

  it('recognises its errors by class and code', () => {
    const error = new SentinelKitError('CLIENT_CLOSED', 'closed');
    expect(isSentinelKitError(error)).toBe(true);
    expect(isSentinelKitError(error, 'CLIENT_CLOSED')).toBe(true);
    expect(isSentinelKitError(error, 'TIMEOUT')).toBe(false);
    // A plain Error with a sentinelkit code is not one (copies of the class: types.test.ts).
    const impostor = Object.assign(new Error('closed'), { code: 'CLIENT_CLOSED' });
    expect(isSentinelKitError(impostor, 'CLIENT_CLOSED')).toBe(false);
    expect(isSentinelKitError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isSentinelKitError({ code: 'TIMEOUT' })).toBe(false);
  });

  it("lists every code once, frozen, the other packages' included", () => {
    expect(new Set(SENTINELKIT_ERROR_CODES).size).toBe(SENTINELKIT_ERROR_CODES.length);
    expect([...SENTINELKIT_ERROR_CODES].sort()).toEqual([
      'AUTH_FAILED',
      'CLIENT_CLOSED',
      'COMMAND_MAY_HAVE_EXECUTED',
      'COMMAND_NOT_ALLOWED',
      'CONNECTION_FAILED',
      'CONTAINER_ENGINE_NOT_FOUND',
      'INVALID_OPTION',
      'INVALID_SESSION_ID',
      'MASTER_NAME_UNKNOWN',
      'MASTER_UNAVAILABLE',
      'NODE_NOT_RUNNING',
      'NODE_START_FAILED',
      'NOT_CONNECTED',
      'NOT_READY',
      'NOT_REPLICATED',
      'NO_BACKEND',
      'NO_REPLICA_AVAILABLE',
      'NO_SENTINEL_REACHABLE',
      'NO_SUCH_NODE',
      'PARSE_FAILED',
      'PERMISSION_DENIED',
      'REDIS_SERVER_NOT_FOUND',
      'SERIALIZE_FAILED',
      'SESSION_TOO_LARGE',
      'STOPPED',
      'TIMEOUT',
      'TLS_FAILED',
      'WRITE_IN_READ',
    ]);
    expect(Object.isFrozen(SENTINELKIT_ERROR_CODES)).toBe(true);
  });
});

describe('SentinelConfigError', () => {
  it('names the option, the expectation and what was received', () => {
    const error = new SentinelConfigError({
      option: 'sentinels[1].port',
      expected: 'an integer 1-65535',
      received: '"abc"',
    });
    expect(error).toBeInstanceOf(SentinelKitError);
    expect(error.name).toBe('SentinelConfigError');
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.option).toBe('sentinels[1].port');
    expect(error.expected).toBe('an integer 1-65535');
    expect(error.message).toBe(
      'Invalid option "sentinels[1].port": expected an integer 1-65535, got "abc"',
    );
  });

  it('says "required" for a missing option and appends hints', () => {
    const error = new SentinelConfigError({
      option: 'masterName',
      expected: 'a master name',
      missing: true,
      hint: 'See sentinel.conf',
    });
    expect(error.message).toBe(
      'Invalid option "masterName": required; expected a master name. See sentinel.conf',
    );
  });
});

describe('NoSentinelReachableError', () => {
  it('lists every failure, scrubbed of secrets', () => {
    const cause = new AggregateError([]);
    const error = new NoSentinelReachableError({
      failures: [
        { sentinel: '10.0.0.1:26379', error: 'connect ECONNREFUSED' },
        { sentinel: '[::1]:26380', error: 'WRONGPASS invalid password hunter2' },
      ],
      cause,
      secrets: ['hunter2', undefined],
    });
    expect(error.name).toBe('NoSentinelReachableError');
    expect(error.code).toBe('NO_SENTINEL_REACHABLE');
    expect(error.cause).toBe(cause);
    expect(error.failures).toEqual([
      { sentinel: '10.0.0.1:26379', error: 'connect ECONNREFUSED' },
      { sentinel: '[::1]:26380', error: 'WRONGPASS invalid password ***' },
    ]);
    expect(error.message).toContain('10.0.0.1:26379 (connect ECONNREFUSED)');
    expect(error.message).toContain('[::1]:26380 (WRONGPASS invalid password ***)');
    expect(error.message).toContain('"sentinels"');
    expect(error.message).not.toContain('hunter2');
  });
});

describe('MasterNameUnknownError', () => {
  it('names the master and the sentinels asked', () => {
    const error = new MasterNameUnknownError({
      masterName: 'mymaster',
      sentinels: ['a:26379', 'b:26379'],
    });
    expect(error.name).toBe('MasterNameUnknownError');
    expect(error.code).toBe('MASTER_NAME_UNKNOWN');
    expect(error.masterName).toBe('mymaster');
    expect(error.sentinels).toEqual(['a:26379', 'b:26379']);
    expect(error.message).toContain('"mymaster"');
    expect(error.message).toContain('a:26379, b:26379');
    expect(error.message).toContain('"masterName"');
    expect('cause' in error).toBe(false);
  });

  it('says when no sentinel was tried at all', () => {
    expect(new NoSentinelReachableError({ failures: [] }).message).toContain(
      'no sentinels were tried',
    );
  });
});

describe('redactSecrets', () => {
  it('masks every occurrence of every non-empty secret', () => {
    expect(redactSecrets('pw=s3cret, again s3cret; other=tok', ['s3cret', 'tok'])).toBe(
      'pw=***, again ***; other=***',
    );
  });

  it('ignores empty and missing secrets', () => {
    expect(redactSecrets('nothing to hide', ['', undefined])).toBe('nothing to hide');
  });

  it('masks a longer secret whole when it contains a shorter one', () => {
    expect(redactSecrets('abc123', ['abc', 'abc123'])).toBe('***');
  });

  it('masks the percent-encoded form too', () => {
    expect(redactSecrets('redis+sentinel://:p%40ss%2Fw@h/m', ['p@ss/w'])).toBe(
      'redis+sentinel://:***@h/m',
    );
  });

  it('treats secrets literally, not as patterns', () => {
    expect(redactSecrets('a.b and axb', ['a.b'])).toBe('*** and axb');
  });
});
