/**
 * Processes with a time limit, for the packaging and example checks. A process still running at
 * its limit is killed with its whole process group and reported as a hang: nothing waits forever.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
  timedOut: boolean;
}

// The environment of a user's shell: without what pnpm adds for its scripts (npm_config_*, …),
// which npm would read as its own configuration.
export const USER_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(npm|pnpm)_/i.test(name)),
);

export function startProcess(
  command: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): ChildProcess {
  const [file, ...args] = command as [string, ...string[]];
  // Its own process group, so that a hang is killed with everything it started.
  return spawn(file, args, {
    cwd,
    env: { ...USER_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

export function waitForExit(
  child: ChildProcess,
  limitMs: number,
  output: () => string,
): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const finish = (timedOut: boolean) => {
      clearTimeout(timer);
      resolve({
        code: child.exitCode,
        signal: child.signalCode,
        output: output(),
        ms: Date.now() - started,
        timedOut,
      });
    };
    const timer = setTimeout(() => {
      child.off('close', onClose);
      killGroup(child);
      child.once('close', () => finish(true));
    }, limitMs);
    const onClose = () => finish(false);
    if (child.exitCode !== null || child.signalCode !== null) finish(false);
    else child.once('close', onClose);
  });
}

export function collect(child: ChildProcess): () => string {
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk;
  });
  return () => text;
}

export function run(
  command: string[],
  cwd: string,
  limitMs: number,
  env: NodeJS.ProcessEnv = {},
): Promise<Outcome> {
  const child = startProcess(command, cwd, env);
  const output = collect(child);
  return waitForExit(child, limitMs, output);
}

export function describe(outcome: Outcome, limitMs: number): string {
  if (outcome.timedOut) return `still running after ${limitMs / 1000} s: killed (a hang)`;
  if (outcome.signal) return `killed by ${outcome.signal}`;
  return `exit code ${outcome.code}`;
}

/**
 * The first match of `pattern` in a process's output, or undefined when the process ends or the
 * time runs out first.
 */
export function waitForOutput(
  child: ChildProcess,
  output: () => string,
  pattern: RegExp,
  limitMs: number,
): Promise<RegExpExecArray | undefined> {
  return new Promise((resolve) => {
    const done = (match: RegExpExecArray | undefined) => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.off('close', ended);
      resolve(match);
    };
    const check = () => {
      const match = pattern.exec(output());
      if (match) done(match);
    };
    const ended = () => done(pattern.exec(output()) ?? undefined);
    const timer = setTimeout(() => done(undefined), limitMs);
    child.stdout?.on('data', check);
    child.once('close', ended);
    child.once('error', () => done(undefined));
    check();
  });
}

/**
 * Whether any process of the child's process group is still alive `graceMs` after the child itself
 * ended. The grace is for helpers that end on their own when their parent does, a moment later:
 * tsx's esbuild service (started only when tsx's transform cache is cold, as on a fresh clone)
 * exits when it reads end-of-file on its stdin, a few milliseconds after the app's process.
 */
export async function groupAliveAfter(child: ChildProcess, graceMs: number): Promise<boolean> {
  const deadline = Date.now() + graceMs;
  while (groupAlive(child)) {
    if (Date.now() >= deadline) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

/** Whether any process of the child's process group is still alive. */
export function groupAlive(child: ChildProcess): boolean {
  try {
    // Signal 0 only asks.
    if (child.pid) process.kill(-child.pid, 0);
    return true;
  } catch {
    return false; // ESRCH: the group is empty.
  }
}
