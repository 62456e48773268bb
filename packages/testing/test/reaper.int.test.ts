import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { reapAbandonedWorkDirs } from '../src/backends/reaper.js';

/** Alive and not a zombie (a killed orphan may wait a while for init to reap it). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('abandoned topologies', () => {
  // Regression: a test worker killed on timeout left its redis-server processes running.
  it('are killed and removed by the next topology start when their owner died without stop()', async () => {
    const script = fileURLToPath(new URL('./fixtures/start-and-die.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@sentinelkit/source', script],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk) => {
        buffered += chunk;
        if (buffered.includes('\n')) resolve(buffered.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`fixture exited early (${code})`)));
    });
    const { pids, workDir } = JSON.parse(line) as { pids: number[]; workDir: string };
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // Its nodes outlive it: nothing ran its exit hook.
    expect(pids.filter(running)).toEqual(pids);

    reapAbandonedWorkDirs();

    expect(existsSync(workDir)).toBe(false);
    // SIGKILL is delivered at once; the kernel may take a moment to tear each process down.
    for (const pid of pids) {
      while (running(pid)) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(pids.filter(running)).toEqual([]);
  });
});
