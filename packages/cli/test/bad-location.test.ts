// A location the CLI cannot parse is echoed in its error: never the password in it (issue 14).
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/index.js';

async function stderrOf(args: string[]): Promise<{ code: number; err: string }> {
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

describe('sentinelkit with a location that hides a password where the grammar does not expect one', () => {
  it.each([
    ['redis+sentinel://app:S3cret/mymaster', 'S3cret'],
    ['redis+sentinel://app:S3cret:host:26379/mymaster', 'S3cret'],
    ['mymaster/app:S3cret', 'S3cret'],
    ['redis+sentinel://h/mymaster?pasword=S3cret', 'S3cret'],
  ])('status %s: exit 64, names the option, no password', async (location, secret) => {
    const { code, err } = await stderrOf(['status', location]);
    expect(code).toBe(64);
    expect(err).toMatch(/Invalid option "location/);
    expect(err).not.toContain(secret);
  });

  it('quotes at most a short piece of a huge location', async () => {
    const { code, err } = await stderrOf(['status', `mymaster/${'h'.repeat(100_000)}!`]);
    expect(code).toBe(64);
    expect(err.length).toBeLessThan(2_000);
  });
});
