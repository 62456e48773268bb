import { resolveOptions } from '@sentinelkit/core';
import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main, type WatchedEvent, watchSentinelEvents } from '../src/index.js';

/** Runs the CLI in-process and captures what it prints. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => {
    out += `${a.join(' ')}\n`;
  });
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => {
    err += `${a.join(' ')}\n`;
  });
  try {
    const code = await main(args, env);
    return { code, out, err };
  } finally {
    write.mockRestore();
    log.mockRestore();
    error.mockRestore();
  }
}

describe('sentinelkit status / watch on a real topology', () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    topology = await startSentinelTopology({
      password: 'data-secret',
      sentinelPassword: 'sentinel-secret',
    });
  });

  afterAll(async () => {
    await topology?.stop();
  });

  const env = {
    SENTINELKIT_PASSWORD: 'data-secret',
    SENTINELKIT_SENTINEL_PASSWORD: 'sentinel-secret',
  };

  it('healthy: exit 0 and a table of every node', async () => {
    const { code, out } = await run(['status', topology.location], env);
    expect(code).toBe(0);
    expect(out).toMatch(/^mymaster: HEALTHY/);
    const master = await topology.currentMaster();
    expect(out).toMatch(new RegExp(`master +${master.address} +master`));
    for (const node of [...topology.dataNodes, ...topology.sentinelNodes])
      expect(out).toContain(node.address);
    expect(out).not.toMatch(/secret/);
  });

  it('one frozen replica: exit 1, the replica reported, and --json for machines', async () => {
    const frozen = (await topology.replicas())[0]!;
    await topology.freeze(frozen);
    try {
      const { code, out } = await run(['status', topology.location, '--json'], env);
      expect(code).toBe(1);
      const report = JSON.parse(out);
      expect(report.verdict).toBe('degraded');
      const row = report.replicas.find((r: { address: string }) => r.address === frozen.address);
      expect(row.error).toMatch(/no answer/);
      expect(report.healthyReplicas).toHaveLength(1);
      expect(report.problems.join('\n')).toContain(frozen.address);
      expect(out).not.toMatch(/secret/);
    } finally {
      await topology.thaw(frozen);
    }
  });

  it('wrong sentinel password: exit 2, each sentinel unreachable, no password printed', async () => {
    const { code, out } = await run(['status', topology.location], {
      SENTINELKIT_SENTINEL_PASSWORD: 'wrong-secret',
    });
    expect(code).toBe(2);
    expect(out).toMatch(/DOWN/);
    expect(out).toMatch(/no sentinel is reachable/);
    expect(out).not.toMatch(/secret/);
  });

  it('a bad location: exit 64 with the expected format, no password', async () => {
    const { code, err } = await run(['status', 'redis://:hunter2@host/mymaster']);
    expect(code).toBe(64);
    expect(err).toMatch(/location/);
    expect(err).not.toContain('hunter2');
  });

  it("watch streams this master name's events with timestamps", async () => {
    const events: WatchedEvent[] = [];
    const options = resolveOptions(topology.location, {
      sentinelPassword: 'sentinel-secret',
    });
    let resolveSwitch: () => void = () => {};
    const switched = new Promise<void>((resolve) => {
      resolveSwitch = resolve;
    });
    const watch = watchSentinelEvents(
      options,
      (e) => {
        events.push(e);
        if (e.type === '+switch-master') resolveSwitch();
      },
      () => {},
    );
    try {
      await watch.ready;
      await topology.waitForHealthy({ timeoutMs: 30_000 });
      await topology.failover();
      await switched;
    } finally {
      await watch.stop();
    }
    const sw = events.find((e) => e.type === '+switch-master')!;
    expect(sw.message.startsWith('mymaster ')).toBe(true);
    expect(sw.at).toBeInstanceOf(Date);
    expect(events.every((e) => e.message.includes('mymaster'))).toBe(true);
  });
});
