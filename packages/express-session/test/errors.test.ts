// One error hierarchy: a store's errors are SentinelKitErrors, recognised by the core's guard,
// also by another copy of the core (its ESM and CommonJS builds both loaded, or two versions).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as core from '@sentinelkit/core';
import { describe, expect, it } from 'vitest';
import { isSessionStoreError, SESSION_STORE_ERROR_CODES, SessionStoreError } from '../src/index.js';

/**
 * The core's errors module evaluated a second time, as a separate module (a query makes it one):
 * what a second copy of the core in an app has.
 */
async function secondCopyOfCore(): Promise<typeof core> {
  const root = dirname(createRequire(import.meta.url).resolve('@sentinelkit/core/package.json'));
  const specifier = `${pathToFileURL(join(root, 'src/errors.ts')).href}?second-copy`;
  const copy = (await import(/* @vite-ignore */ specifier)) as typeof core;
  expect(copy.SentinelKitError).not.toBe(core.SentinelKitError);
  return copy;
}

describe('SessionStoreError', () => {
  it('is a SentinelKitError with its own name, code, message and cause', () => {
    const cause = new SyntaxError('Unexpected token');
    const error = new SessionStoreError('PARSE_FAILED', 'could not parse', { cause });
    expect(error).toBeInstanceOf(core.SentinelKitError);
    expect(error).toBeInstanceOf(Error);
    expect(core.isSentinelKitError(error)).toBe(true);
    expect(core.isSentinelKitError(error, 'PARSE_FAILED')).toBe(true);
    expect(core.isSentinelKitError(error, 'TIMEOUT')).toBe(false);
    expect(isSessionStoreError(error, 'PARSE_FAILED')).toBe(true);
    expect(error.name).toBe('SessionStoreError');
    expect(String(error)).toBe('SessionStoreError: could not parse');
    expect(error.cause).toBe(cause);
    expect('cause' in new SessionStoreError('SESSION_TOO_LARGE', 'too large')).toBe(false);
  });

  it("has its codes in the core's one list", () => {
    for (const code of SESSION_STORE_ERROR_CODES) {
      expect(core.SENTINELKIT_ERROR_CODES).toContain(code);
    }
  });

  it("is recognised by another copy of the core's guard, which instanceof cannot do", async () => {
    const copy = await secondCopyOfCore();
    const error = new SessionStoreError('INVALID_SESSION_ID', 'bad id');
    expect(error instanceof copy.SentinelKitError).toBe(false);
    expect(copy.isSentinelKitError(error, 'INVALID_SESSION_ID')).toBe(true);
    // A plain Error with a store's code is not one, for either copy.
    const impostor = Object.assign(new Error('bad id'), { code: 'INVALID_SESSION_ID' });
    expect(copy.isSentinelKitError(impostor)).toBe(false);
    expect(core.isSentinelKitError(impostor)).toBe(false);
  });
});
