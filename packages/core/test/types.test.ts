// What users' code sees of the core's types, checked by `pnpm typecheck` (the repository compiles
// with `exactOptionalPropertyTypes` on, as strict users do) and by vitest at run time.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createSentinelClient,
  isSentinelKitError,
  MasterNameUnknownError,
  NoSentinelReachableError,
  type SentinelClientOptions,
  SentinelConfigError,
  SentinelKitError,
  type SentinelKitErrorCode,
  type SentinelKitErrorOf,
} from '../src/index.js';

describe('isSentinelKitError narrows to the type of the code it is given', () => {
  it('a code with a class of its own gives that class, its fields and its literal code', () => {
    const e: unknown = new NoSentinelReachableError({ failures: [] });
    if (isSentinelKitError(e, 'NO_SENTINEL_REACHABLE')) {
      expectTypeOf(e).toEqualTypeOf<NoSentinelReachableError>();
      expectTypeOf(e.code).toEqualTypeOf<'NO_SENTINEL_REACHABLE'>();
      expectTypeOf(e.failures).toEqualTypeOf<NoSentinelReachableError['failures']>();
      expect(e.failures).toEqual([]);
    } else {
      expect.unreachable('a NoSentinelReachableError is one');
    }
    // INVALID_OPTION is the core's SentinelConfigError or a store's / a topology's own error
    // (they extend SentinelKitError too); `option` tells them apart.
    expectTypeOf<SentinelConfigError>().toMatchTypeOf<SentinelKitErrorOf<'INVALID_OPTION'>>();
    const invalid: unknown = new SentinelConfigError({ option: 'db', expected: 'an integer' });
    if (isSentinelKitError(invalid, 'INVALID_OPTION') && invalid.option !== undefined) {
      expectTypeOf(invalid).toEqualTypeOf<SentinelConfigError>();
      expect(invalid.expected).toBe('an integer');
    } else {
      expect.unreachable('a SentinelConfigError names its option');
    }
    expectTypeOf<
      SentinelKitErrorOf<'MASTER_NAME_UNKNOWN'>
    >().toEqualTypeOf<MasterNameUnknownError>();
  });

  it('any other code gives a SentinelKitError whose code is that literal', () => {
    const e: unknown = new SentinelKitError('TIMEOUT', 'slow');
    if (isSentinelKitError(e, 'TIMEOUT')) {
      expectTypeOf(e.code).toEqualTypeOf<'TIMEOUT'>();
      expectTypeOf(e).toMatchTypeOf<SentinelKitError>();
    }
  });

  it('without a code, a union that narrows again on `code`', () => {
    const e: unknown = new MasterNameUnknownError({ masterName: 'm', sentinels: ['h:1'] });
    if (isSentinelKitError(e)) {
      expectTypeOf(e.code).toEqualTypeOf<SentinelKitErrorCode>();
      expectTypeOf(e).toMatchTypeOf<SentinelKitError>();
      if (e.code === 'MASTER_NAME_UNKNOWN') {
        expectTypeOf(e).toEqualTypeOf<MasterNameUnknownError>();
        expect(e.masterName).toBe('m');
      }
      if (e.code === 'INVALID_OPTION') expectTypeOf(e.option).toEqualTypeOf<string | undefined>();
    }
  });
});

describe('isSentinelKitError checks what it claims', () => {
  it('refuses a plain Error or object whose code happens to be in the list', () => {
    expect(isSentinelKitError(Object.assign(new Error('slow'), { code: 'TIMEOUT' }))).toBe(false);
    expect(isSentinelKitError(Object.assign(new Error('x'), { code: 'INVALID_OPTION' }))).toBe(
      false,
    );
    expect(isSentinelKitError({ code: 'TIMEOUT', message: 'x' })).toBe(false);
  });

  it('recognises an error of another copy of the package (ESM and CJS both loaded) by its brand', () => {
    // What an instance of a second copy of the class looks like here: not `instanceof` this
    // one, but carrying the brand every copy shares through Symbol.for.
    class OtherCopy extends Error {
      readonly code = 'CLIENT_CLOSED';
    }
    Object.defineProperty(OtherCopy.prototype, Symbol.for('@sentinelkit/core.SentinelKitError'), {
      value: true,
    });
    const foreign = new OtherCopy('closed');
    expect(foreign instanceof SentinelKitError).toBe(false);
    expect(isSentinelKitError(foreign, 'CLIENT_CLOSED')).toBe(true);
    expect(isSentinelKitError(foreign, 'TIMEOUT')).toBe(false);
  });

  it('the brand does not show in JSON or own keys', () => {
    const error = new SentinelKitError('TIMEOUT', 'slow');
    expect(Object.getOwnPropertySymbols(error)).toEqual([]);
    expect(isSentinelKitError(error)).toBe(true);
  });
});

describe('options accept undefined where users pass environment variables', () => {
  it('type-checks { password: process.env.X } under exactOptionalPropertyTypes', () => {
    const env: Record<string, string | undefined> = {};
    const options: SentinelClientOptions = {
      masterName: 'mymaster',
      sentinels: [{ host: '127.0.0.1', port: undefined }],
      username: env.REDIS_USERNAME,
      password: env.REDIS_PASSWORD,
      sentinelPassword: env.SENTINEL_PASSWORD,
      db: undefined,
      readFrom: undefined,
    };
    const client = createSentinelClient('mymaster/127.0.0.1:26379', {
      password: env.REDIS_PASSWORD,
    });
    expect(client).toBeDefined();
    expect(() => createSentinelClient(options)).not.toThrow();
  });
});
