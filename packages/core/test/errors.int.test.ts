import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSentinelClient, isSentinelKitError } from '../src/index.js';

describe('typed errors and a clean close on a real topology', () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    topology = await startSentinelTopology({
      replicas: 1,
      password: 'data-secret',
      sentinelPassword: 'sentinel-secret',
    });
  });

  afterAll(async () => {
    await topology?.stop();
  });

  const good = () => ({ ...topology.connectionOptions });

  it('connects with separate data and sentinel passwords', async () => {
    const client = createSentinelClient(good());
    try {
      await client.connect();
      await client.write((r) => r.set('auth', 'ok'));
      expect(await client.read((r) => r.get('auth'))).toBe('ok');
      expect(String(client)).not.toMatch(/secret/);
    } finally {
      await client.close();
    }
  });

  it('a wrong data-node password gives AUTH_FAILED quickly, without the password', async () => {
    const client = createSentinelClient({ ...good(), password: 'wrong-secret' });
    const started = Date.now();
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(isSentinelKitError(error, 'AUTH_FAILED')).toBe(true);
    expect(String((error as Error).message)).not.toMatch(/secret/);
    await client.close();
  });

  it('a wrong sentinel password gives NO_SENTINEL_REACHABLE listing each sentinel, redacted', async () => {
    const client = createSentinelClient({ ...good(), sentinelPassword: 'wrong-secret' });
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSentinelKitError(error, 'NO_SENTINEL_REACHABLE')).toBe(true);
    expect((error as { failures: unknown[] }).failures).toHaveLength(3);
    expect(JSON.stringify(error) + String((error as Error).message)).not.toMatch(/secret/);
    await client.close();
  });

  it('a wrong master name gives MASTER_NAME_UNKNOWN quickly', async () => {
    const client = createSentinelClient({ ...good(), masterName: 'nosuchmaster' });
    const started = Date.now();
    await expect(client.connect()).rejects.toMatchObject({ code: 'MASTER_NAME_UNKNOWN' });
    expect(Date.now() - started).toBeLessThan(2000);
    await client.close();
  });

  it('no reachable sentinel gives NO_SENTINEL_REACHABLE within connectTimeout', async () => {
    // Stopped sentinels of a finished topology: their ports refuse connections.
    const gone = await startSentinelTopology({ replicas: 0, sentinels: 2 });
    const sentinels = gone.sentinels;
    await gone.stop();
    const client = createSentinelClient({
      masterName: 'mymaster',
      sentinels,
      connectTimeout: 1500,
    });
    const started = Date.now();
    await expect(client.connect()).rejects.toMatchObject({ code: 'NO_SENTINEL_REACHABLE' });
    expect(Date.now() - started).toBeLessThan(1500);
    await client.close();
  });

  it('close() leaves nothing open: a process that used a client exits by itself', async () => {
    const script = fileURLToPath(new URL('./fixtures/connect-and-close.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@sentinelkit/source', script],
      {
        env: { ...process.env, OPTIONS: JSON.stringify(good()) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await once(child, 'exit');
    clearTimeout(timer);
    // Killed by the timer means something kept the event loop alive after close().
    expect({ code, signal, output }).toMatchObject({ code: 0, signal: null });
    expect(output).toContain('closed');
  });
});
