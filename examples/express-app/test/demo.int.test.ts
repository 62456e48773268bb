/**
 * `pnpm demo` as a reader runs it (shortened): it starts its own topology, kills the master, ends
 * with zero failures and draws the run; the picture holds what the run printed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTimelineSvg } from '@sentinelkit/testing';
import { afterAll, expect, it } from 'vitest';

// Run from the repository's root, as `pnpm demo` does.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DEMO = fileURLToPath(new URL('../src/demo.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sentinelkit-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runDemo(args: string[]): Promise<{ code: number | null; output: string }> {
  const env = {
    ...process.env,
    VITEST: undefined,
    VITEST_POOL_ID: undefined,
    NODE_OPTIONS: undefined,
  };
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@sentinelkit/source', DEMO, ...args],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

it('runs through a master kill with no failure and draws the run it printed', async () => {
  const report = join(dir, 'timeline.svg');
  const { code, output } = await runDemo([
    '--duration',
    '7',
    '--kill-at',
    '2',
    '--users',
    '5',
    '--report',
    report,
  ]);
  expect({ code, output }).toEqual({
    code: 0,
    output: expect.stringContaining('Result: zero failed requests'),
  });
  const printed = /requests: (\d+), failed: (\d+), sessions lost: (\d+)/.exec(output);
  expect(printed, output).not.toBeNull();
  const [requests, failed] = [Number(printed![1]), Number(printed![2])];
  expect(requests).toBeGreaterThan(0);
  expect(output).toContain(`Timeline of this run: ${report}`);

  const svg = readFileSync(report, 'utf8');
  const [panel, ...others] = readTimelineSvg(svg);
  expect(others).toEqual([]);
  // Every response the run counted is in one of the picture's slices, and every failure.
  expect(sum(panel!.ok)).toBe(requests);
  expect(sum(panel!.failed)).toBe(failed);
  expect(panel!.bucketMs).toBe(100);
  // The kill is at 0 on the axis; Sentinel's switch and the move of the writes come after it.
  const marks = [...svg.matchAll(/data-kind="(\w+)" data-ms="(-?\d+)"/g)].map((m) => ({
    kind: m[1],
    ms: Number(m[2]),
  }));
  expect(marks.find((m) => m.kind === 'fault')).toEqual({ kind: 'fault', ms: 0 });
  expect(marks.find((m) => m.kind === 'switch')?.ms).toBeGreaterThan(0);
  const master = /requests answered, (\d+) failed/.exec(svg);
  expect(Number(master?.[1])).toBe(failed);
}, 60_000);
