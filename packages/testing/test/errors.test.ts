// One error hierarchy: a topology's errors are SentinelKitErrors, recognised by the core's guard,
// also by another copy of the core (its ESM and CommonJS builds both loaded, or two versions).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as core from '@sentinelkit/core';
import { describe, expect, it } from 'vitest';
import { isTopologyError, TOPOLOGY_ERROR_CODES, TopologyError } from '../src/index.js';

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

describe('TopologyError', () => {
  it('is a SentinelKitError with its own name, code, message and cause', () => {
    const cause = new Error('ENOENT');
    const error = new TopologyError('NODE_START_FAILED', 'could not start', { cause });
    expect(error).toBeInstanceOf(core.SentinelKitError);
    expect(core.isSentinelKitError(error)).toBe(true);
    expect(core.isSentinelKitError(error, 'NODE_START_FAILED')).toBe(true);
    expect(core.isSentinelKitError(error, 'TIMEOUT')).toBe(false);
    expect(isTopologyError(error, 'NODE_START_FAILED')).toBe(true);
    expect(error.name).toBe('TopologyError');
    expect(String(error)).toBe('TopologyError: could not start');
    expect(error.cause).toBe(cause);
  });

  it("has its codes in the core's one list", () => {
    for (const code of TOPOLOGY_ERROR_CODES) expect(core.SENTINELKIT_ERROR_CODES).toContain(code);
  });

  it("is recognised by another copy of the core's guard, which instanceof cannot do", async () => {
    const copy = await secondCopyOfCore();
    const error = new TopologyError('STOPPED', 'stopped');
    expect(error instanceof copy.SentinelKitError).toBe(false);
    expect(copy.isSentinelKitError(error, 'STOPPED')).toBe(true);
    expect(copy.isSentinelKitError(Object.assign(new Error('x'), { code: 'STOPPED' }))).toBe(false);
  });
});
