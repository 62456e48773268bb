/**
 * Each example's own `pnpm start` against a real topology (`pnpm topology`), as its README says to
 * run it: the cache-manager example runs and exits; the Express and Nest apps answer HTTP, then
 * stop on Ctrl-C (SIGINT to their process group, as a terminal sends it) without help: a process
 * still running after its time limit fails. Then the examples marked `cluster` run again, the same
 * code, on a Redis Cluster (`pnpm topology --cluster`), its location given as the argument: moving
 * from Sentinel to a cluster changes the location, nothing else. `.ci/run` runs it on Node 20, 22
 * and 24.
 *
 *   pnpm test:examples
 */
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  collect,
  describe,
  groupAliveAfter,
  killGroup,
  run,
  startProcess,
  waitForExit,
  waitForOutput,
} from './processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TIME_LIMIT = {
  topologyReady: 60_000,
  start: 60_000,
  run: 60_000,
  stop: 20_000,
  /** For the group to empty once the app ended (see groupAliveAfter). */
  leftovers: 3_000,
};

interface Example {
  name: string;
  /** What proves the running example works, given the URL it printed (servers only). */
  probe?: { path: string; expect: RegExp };
  /** What it prints when done (one-shot examples) or listening (servers). */
  ready: RegExp;
  /** Also run on a Redis Cluster, the location given as the argument (`pnpm start <location>`). */
  cluster?: boolean;
}

const EXAMPLES: Example[] = [
  { name: 'cache-manager', ready: /price \d+ \(lookups so far: 1\)/, cluster: true },
  {
    name: 'express-app',
    ready: /example app on (http:\/\/\S+)/,
    probe: { path: '/items/1', expect: /"id":\s*"1"/ },
  },
  {
    name: 'nestjs-app',
    ready: /example app on (http:\/\/\S+?) /,
    probe: { path: '/health', expect: /"status":\s*"ok"/ },
  },
];

let failures = 0;
/** One line when it worked; the example's whole output when it did not. */
function report(ok: boolean, name: string, summary: string, output: string): void {
  if (!ok) failures++;
  const shown = summary.length > 160 ? `${summary.slice(0, 160)}…` : summary;
  console.log(`${ok ? 'ok  ' : 'FAIL'} example ${name}: ${shown}`);
  if (!ok) console.log(output.trimEnd().replace(/^/gm, '       '));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * The example's `start` script (`tsx <flags> <entry>`) as `node --import tsx <flags> <entry>`: the
 * same loader, in the one process that gets the signal. The `tsx` command runs the entry in a
 * child and relays signals to it, SIGKILLing a child that does not confirm one within 30 ms, which
 * a loaded 2-core CI machine missed 1 run in 5: the example was killed, not stopped.
 */
async function startCommand(dir: string): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const [tool, ...args] = manifest.scripts.start.split(/\s+/);
  if (tool !== 'tsx') throw new Error(`${dir}: expected "start" to run tsx, found ${tool}`);
  return ['node', '--import', 'tsx', ...args];
}

/** Runs one example on `location`: in SENTINEL_LOCATION, or as the argument (`asArgument`). */
async function smoke(
  example: Example,
  location: string,
  { asArgument = false, label = example.name } = {},
): Promise<void> {
  const dir = join(ROOT, 'examples', example.name);
  const command = [...(await startCommand(dir)), ...(asArgument ? [location] : [])];
  const env = {
    ...(!asArgument && { SENTINEL_LOCATION: location }),
    PORT: String(await freePort()),
  };
  if (!example.probe) {
    const outcome = await run(command, dir, TIME_LIMIT.run, env);
    const ok = outcome.code === 0 && example.ready.test(outcome.output);
    const last = outcome.output.trimEnd().split('\n').at(-1) ?? '';
    report(ok, label, `${describe(outcome, TIME_LIMIT.run)}, ${last}`, outcome.output);
    return;
  }
  const child = startProcess(command, dir, env);
  const output = collect(child);
  const url = (await waitForOutput(child, output, example.ready, TIME_LIMIT.start))?.[1];
  let answer = 'no answer';
  if (url) {
    const response = await fetch(`${url}${example.probe.path}`).catch((error: Error) => error);
    answer =
      response instanceof Error ? response.message : `${response.status} ${await response.text()}`;
  }
  // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
  killGroup(child, 'SIGINT');
  const outcome = await waitForExit(child, TIME_LIMIT.stop, output);
  const leftovers = await groupAliveAfter(child, TIME_LIMIT.leftovers);
  if (leftovers) killGroup(child);
  const ok =
    url !== undefined && example.probe.expect.test(answer) && !outcome.timedOut && !leftovers;
  report(
    ok,
    label,
    `after Ctrl-C: ${describe(outcome, TIME_LIMIT.stop)}` +
      `${leftovers ? ', processes left running (killed)' : ''}; GET ${example.probe.path}: ${answer}`,
    output(),
  );
}

/** `pnpm topology` (with `--cluster`: a Redis Cluster) in the background, and its location. */
async function startTopology(
  ...flags: string[]
): Promise<{ child: ChildProcess; location: string }> {
  const child = startProcess(['pnpm', '--silent', 'topology', ...flags], ROOT);
  const output = collect(child);
  const match = await waitForOutput(child, output, /^location: (\S+)$/m, TIME_LIMIT.topologyReady);
  if (!match?.[1]) {
    killGroup(child);
    throw new Error(`pnpm topology printed no location:\n${output()}`);
  }
  return { child, location: match[1] };
}

/** Runs `each` on a topology started with `flags`, then stops it (one topology at a time). */
async function onTopology(flags: string[], each: (location: string) => Promise<void>) {
  const topology = await startTopology(...flags);
  try {
    await each(topology.location);
  } finally {
    killGroup(topology.child, 'SIGINT');
    await waitForExit(topology.child, TIME_LIMIT.stop, () => '');
    killGroup(topology.child);
  }
}

console.log(`examples on Node ${process.version}`);
await onTopology([], async (location) => {
  for (const example of EXAMPLES) await smoke(example, location);
});
await onTopology(['--cluster'], async (location) => {
  for (const example of EXAMPLES.filter((e) => e.cluster)) {
    await smoke(example, location, { asArgument: true, label: `${example.name} (cluster)` });
  }
});
if (failures > 0) process.exitCode = 1;
