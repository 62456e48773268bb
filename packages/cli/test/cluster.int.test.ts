// `sentinelkit status` on a real Redis Cluster (3 masters, 1 replica each): healthy, then, after
// a master kill and its replica's promotion, degraded (that shard has no replica, the dead node
// is failing); the JSON names shards, links and coverage. `sentinelkit watch`, run as the command
// itself (a child process, stopped by SIGINT as Ctrl-C stops it), prints the cluster, then the
// promotion of another shard's replica and the dead master's flags as they change.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type ClusterTopology, startClusterTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { main } from '../src/index.js';

let cluster: ClusterTopology;

beforeAll(async () => {
  cluster = await startClusterTopology({ masters: 3, replicasPerMaster: 1 });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Runs the CLI in-process and captures what it prints. */
async function run(args: string[]) {
  let out = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    return { code: await main(args, {}), out };
  } finally {
    write.mockRestore();
    error.mockRestore();
  }
}

it('status shows shards, masters, replicas, links and coverage, through a master kill', async () => {
  const healthy = await run(['status', cluster.location]);
  expect(healthy.code).toBe(0);
  const shards = await cluster.shards();
  for (const shard of shards) {
    expect(healthy.out).toContain(`  master   ${shard.master.address} (link connected)`);
    for (const r of shard.replicas)
      expect(healthy.out).toContain(`  replica  ${r.address} (link connected)`);
  }
  expect(healthy.out).toContain('cluster: HEALTHY');
  expect(healthy.out).toContain('slots covered 16384/16384');

  const killed = await cluster.killMaster({ shard: 0 });
  const { master } = await cluster.waitForFailover({ shard: 0 });
  // The promoted replica serves shard 0, which has no replica left; the dead node is failing.
  await vi.waitFor(
    async () => {
      const after = await run(['status', '--json', cluster.location]);
      const json = JSON.parse(after.out);
      expect(after.code).toBe(1);
      expect(json).toMatchObject({ verdict: 'degraded', clusterState: 'ok', slotsCovered: 16384 });
      expect(json.shards[0].master.address).toBe(master.address);
      expect(json.problems).toContain('shard 0-5460 has no healthy replica');
      expect(json.problems.some((p: string) => p.startsWith(`${killed.address} is fail`))).toBe(
        true,
      );
    },
    { timeout: 15_000, interval: 100 },
  );
}, 60_000);

const REPO = fileURLToPath(new URL('../../..', import.meta.url));

/** `sentinelkit <args>` as a child process, through tsx on the sources (as `pnpm sentinelkit`). */
function spawnCli(args: string[]) {
  const child = spawn(
    `${REPO}node_modules/.bin/tsx`,
    ['--conditions=@sentinelkit/source', 'packages/cli/src/cli.ts', ...args],
    { cwd: REPO, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = { out: '', err: '' };
  child.stdout.on('data', (chunk) => {
    output.out += String(chunk);
  });
  child.stderr.on('data', (chunk) => {
    output.err += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output, exited };
}

it("watch prints the cluster, then a promotion and the dead master's flags; Ctrl-C ends it with 0", async () => {
  const cli = spawnCli(['watch', '--interval', '100', cluster.location]);
  let exitedEarly: number | null | undefined;
  void cli.exited.then((code) => {
    exitedEarly = code;
  });
  try {
    await vi.waitFor(
      () => {
        if (exitedEarly !== undefined) {
          throw new Error(`watch exited with ${exitedEarly}: ${cli.output.err}`);
        }
        expect(cli.output.err).toContain('watching the cluster');
      },
      { timeout: 20_000, interval: 50 },
    );
    const before = await cluster.shard({ shard: 1 });
    expect(cli.output.out).toContain(`shard 5461-10922\n  master   ${before.master.address}`);

    const killed = await cluster.killMaster({ shard: 1 });
    const { master } = await cluster.waitForFailover({ shard: 1 });
    await vi.waitFor(
      () => {
        expect(cli.output.out).toMatch(
          new RegExp(`master +shard 5461-10922: ${killed.address} -> ${master.address}$`, 'm'),
        );
        expect(cli.output.out).toMatch(new RegExp(`flags +${killed.address}: .* -> fail$`, 'm'));
        expect(cli.output.out).toMatch(
          new RegExp(`replica-removed +shard 5461-10922: ${master.address}$`, 'm'),
        );
      },
      { timeout: 15_000, interval: 100 },
    );
    // Every change line is stamped and names the node that answered.
    const changeLines = cli.output.out.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
    expect(changeLines.length).toBeGreaterThan(0);
    for (const l of changeLines) expect(l).toMatch(/^\S+Z {2}127\.0\.0\.1:\d+ +\S+ +\S/);
  } finally {
    cli.child.kill('SIGINT');
  }
  expect(await cli.exited).toBe(0);
}, 60_000);
