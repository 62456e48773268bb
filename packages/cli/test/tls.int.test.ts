import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/index.js';

/** Runs the CLI in-process and captures what it prints. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => {
    out += `${a.join(' ')}\n`;
  });
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => {
    out += `${a.join(' ')}\n`;
  });
  try {
    return { code: await main(args, env), out };
  } finally {
    write.mockRestore();
    log.mockRestore();
    error.mockRestore();
  }
}

describe('sentinelkit status over mutual TLS (TLS-only topology)', () => {
  let topology: SentinelTopology;
  let dir: string;
  const files = { ca: '', cert: '', key: '' };

  beforeAll(async () => {
    topology = await startSentinelTopology({ tls: { clientCertificates: 'required' } });
    dir = mkdtempSync(join(tmpdir(), 'sentinelkit-cli-tls-'));
    for (const name of ['ca', 'cert', 'key'] as const) {
      files[name] = join(dir, `${name}.pem`);
      writeFileSync(files[name], topology.tls?.[name] ?? '');
    }
  });

  afterAll(async () => {
    await topology?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function expectHealthy(out: string, code: number) {
    expect(out).toMatch(/^mymaster: HEALTHY/);
    expect(code).toBe(0);
    const master = await topology.currentMaster();
    expect(out).toMatch(new RegExp(`master +${master.address} +master`));
    for (const node of [...topology.dataNodes, ...topology.sentinelNodes])
      expect(out).toContain(node.address);
  }

  it('--tls-ca/--tls-cert/--tls-key: exit 0 and every node over TLS', async () => {
    const { code, out } = await run([
      'status',
      topology.location,
      '--tls-ca',
      files.ca,
      '--tls-cert',
      files.cert,
      '--tls-key',
      files.key,
    ]);
    await expectHealthy(out, code);
  });

  it('the same from SENTINELKIT_TLS_* variables', async () => {
    const { code, out } = await run(['status', topology.location], {
      SENTINELKIT_TLS_CA: files.ca,
      SENTINELKIT_TLS_CERT: files.cert,
      SENTINELKIT_TLS_KEY: files.key,
    });
    await expectHealthy(out, code);
  });

  it('without TLS options: a non-zero exit', async () => {
    const { code } = await run(['status', topology.location]);
    expect(code).not.toBe(0);
  });
});
