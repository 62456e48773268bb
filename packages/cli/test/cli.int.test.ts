import { createServer } from 'node:net';
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

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('sentinelkit --version / help', () => {
  it('--version prints the package version, exit 0', async () => {
    const { code, out } = await run(['--version']);
    expect(code).toBe(0);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([['help'], ['--help'], ['-h']])('%s prints the usage, exit 0', async (arg) => {
    const { code, out } = await run([arg]);
    expect(code).toBe(0);
    expect(out).toMatch(/Usage:/);
    expect(out).toMatch(/--tls-ca/);
    expect(out).toMatch(/exit codes/i);
  });
});

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
      // The tests after this one expect a healthy topology: a thawed replica may still be
      // subjectively down for Sentinel, or resyncing, for a moment.
      await topology.waitForHealthy({ timeoutMs: 30_000 });
    }
  });

  it('wrong sentinel password: exit 4, each sentinel refuses, no password printed', async () => {
    const { code, out } = await run(['status', topology.location], {
      SENTINELKIT_SENTINEL_PASSWORD: 'wrong-secret',
    });
    expect(code).toBe(4);
    expect(out).toMatch(/^mymaster: REFUSED/);
    expect(out).toMatch(/sentinel +\S+ +refused \(WRONGPASS\)/);
    expect(out).not.toMatch(/unreachable|DISAGREE/);
    expect(out).not.toMatch(/secret/);
  });

  it('no sentinel password: exit 4, each sentinel "refused", not "unreachable" nor "DISAGREE"', async () => {
    const { code, out } = await run(['status', topology.location], {});
    expect(code).toBe(4);
    expect(out).toMatch(/^mymaster: REFUSED/);
    expect(out).toMatch(/sentinels refuse our credentials/);
    expect(out).toMatch(/sentinel +\S+ +refused \(NOAUTH\)/);
    expect(out).not.toMatch(/unreachable|DISAGREE|disagree/);
  });

  it('a master name no sentinel monitors: exit 5, in its own words', async () => {
    const location = `othermaster/${topology.sentinelNodes.map((n) => n.address).join(',')}`;
    const { code, out } = await run(['status', location], env);
    expect(code).toBe(5);
    expect(out).toMatch(/^othermaster: UNKNOWN MASTER/);
    expect(out).toMatch(/no sentinel monitors a master named "othermaster"/);
    expect(out).not.toMatch(/DISAGREE|disagree|none/);
  });

  it('no sentinel listening: exit 3, "no sentinel is reachable", no "DISAGREE"', async () => {
    const port = await closedPort();
    const { code, out } = await run(['status', `mymaster/127.0.0.1:${port}`], env);
    expect(code).toBe(3);
    expect(out).toMatch(/^mymaster: UNREACHABLE/);
    expect(out).toMatch(/no sentinel is reachable/);
    expect(out).not.toMatch(/DISAGREE|disagree/);
  });

  it('watch on a name no sentinel monitors says so and exits 5 (does not wait forever)', async () => {
    const location = `othermaster/${topology.sentinelNodes.map((n) => n.address).join(',')}`;
    const { code, err } = await run(['watch', location], env);
    expect(code).toBe(5);
    expect(err).toMatch(/no sentinel monitors a master named "othermaster"/);
  });

  it('watch with refused credentials says so and exits 4', async () => {
    const { code, err } = await run(['watch', topology.location], {});
    expect(code).toBe(4);
    expect(err).toMatch(/refuse/);
  });

  it('takes the location from SENTINELKIT_LOCATION (keeps URL passwords out of the process list)', async () => {
    const url = `redis+sentinel://:data-secret@${topology.sentinelNodes
      .map((n) => n.address)
      .join(',')}/mymaster/0?sentinelPassword=sentinel-secret`;
    const { code, out } = await run(['status'], { SENTINELKIT_LOCATION: url });
    expect(code).toBe(0);
    expect(out).toMatch(/^mymaster: HEALTHY/);
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
