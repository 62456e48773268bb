// An error while a command runs (not while its arguments are read) is reported the same way for
// a cluster location as for a Sentinel one: `sentinelkit: <message>` on stderr and an exit code,
// main() resolving rather than throwing past its own error handling. The inspections are
// replaced by failing ones here: the error's path through main() is what is tested.
import { SentinelConfigError } from '@sentinelkit/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

const failures = vi.hoisted(() => ({ next: undefined as unknown }));

vi.mock('../src/cluster-inspect.js', () => ({
  inspectCluster: () => Promise.reject(failures.next),
}));
vi.mock('../src/inspect.js', async (original) => ({
  ...(await original<typeof import('../src/inspect.js')>()),
  inspectDeployment: () => Promise.reject(failures.next),
}));

const { main } = await import('../src/cli.js');

async function run(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => {
    err += `${a.join(' ')}\n`;
  });
  try {
    return { code: await main(args, {}), err };
  } finally {
    error.mockRestore();
  }
}

afterEach(() => {
  failures.next = undefined;
});

describe('an error while status runs', () => {
  it.each([
    ['a cluster', 'redis+cluster://127.0.0.1:7000'],
    ['a Sentinel deployment', 'mymaster/127.0.0.1:26379'],
  ])('on %s: "sentinelkit: <message>", exit 2 (down)', async (_, location) => {
    failures.next = new Error('the inspection broke');
    expect(await run(['status', location])).toEqual({
      code: 2,
      err: 'sentinelkit: the inspection broke\n',
    });
  });

  it('a config error found while running is a usage error (exit 64), as when the location is read', async () => {
    failures.next = new SentinelConfigError({
      option: 'tls',
      expected: 'Node TLS options',
      received: 'a number',
    });
    const { code, err } = await run(['status', 'redis+cluster://127.0.0.1:7000']);
    expect(code).toBe(64);
    expect(err).toMatch(/^sentinelkit: Invalid option "tls"/);
  });
});
