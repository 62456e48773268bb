/**
 * The packaging check: what a new user does, from tarballs to a running app.
 *
 *   pnpm test:packaging [--skip-build] [--keep] [--pending name,name]
 *
 * Builds and `pnpm pack`s every package under packages/, copies the apps of test/packaging/apps
 * (ESM, CommonJS, NestJS 11, NestJS 12, and a user's tests using @sentinelkit/testing) into a
 * temporary directory outside the workspace, installs
 * into each, with npm, the tarballs it uses together with `ioredis@6` (the newest 6.x, as a user
 * asking for it gets), and proves for each app:
 *   - one copy of ioredis in node_modules, and `npm ls ioredis --all` content;
 *   - `tsc` strict under `module: nodenext` (the app's build) and `moduleResolution: bundler`, on
 *     code that passes callbacks typed with the app's own `import type { Redis } from 'ioredis'`
 *     to `client.write()` / `client.read()`;
 *   - it runs against a topology started with the shipped `sentinelkit-topology` bin, writes and
 *     reads back, and exits by itself (a process still running after its time limit fails).
 * The tests app runs its suites instead: with its own vitest, a test that starts a topology, kills
 * the master and checks the client followed, next to docs/testing.md's first sample copied word
 * for word; then, under jest with CI=true, the doc's jest sample, copied word for word.
 * The topology bin must then stop on SIGTERM, leaving no redis-server behind.
 *
 * `--pending` names checks known to fail until a change lands (see CHECKS); they are still run and
 * reported, as PENDING, but do not fail the run. Also from SENTINELKIT_PACKAGING_PENDING.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { extractBlocks } from '../docs/blocks.js';
import {
  collect,
  describe,
  groupAlive,
  killGroup,
  type Outcome,
  run,
  startProcess,
  waitForExit,
  waitForOutput,
} from './processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const APPS_DIR = join(ROOT, 'test/packaging/apps');
/** The line the topology bin prints once every node is ready. */
const LOCATION = /^location: (\S+)$/m;

/** Every check this script reports, with what a failure means. */
const CHECKS = {
  pack: 'every package packs',
  install: 'npm installs the tarballs and ioredis@6 into the app',
  'one-ioredis': 'exactly one ioredis in the app, the version the app asked for',
  'tsc-nodenext': 'tsc strict, module nodenext (the build)',
  'tsc-bundler': 'tsc strict, moduleResolution bundler',
  'topology-bin': '@sentinelkit/testing ships a working sentinelkit-topology bin',
  run: 'the app writes, reads back and exits by itself',
  suite:
    "the user's tests pass: vitest (a master kill followed, docs/testing.md's sample) and jest (CI=true)",
  'cli-status': 'the shipped sentinelkit bin reports the topology healthy and exits',
  'topology-stop': 'the topology bin stops on SIGTERM and leaves no process behind',
} as const;
type CheckName = keyof typeof CHECKS;

interface App {
  /** Directory under test/packaging/apps. */
  name: string;
  /** Workspace packages whose tarballs the app installs. */
  packages: string[];
  /** What the app runs to prove itself, after its build. */
  run: string[];
  /** A test suite (passes when its runner does), not an app printing its `{"app": …}` line. */
  suite?: boolean;
}

// @sentinelkit/testing goes into every app, as users add it to write their tests: its own
// ioredis must be the app's too.
const APPS: App[] = [
  {
    name: 'esm',
    packages: ['core', 'cache-manager', 'cli', 'testing'],
    run: ['node', 'dist/main.js'],
  },
  { name: 'cjs', packages: ['core', 'express-session', 'testing'], run: ['node', 'dist/main.js'] },
  { name: 'nest11', packages: ['core', 'nestjs', 'testing'], run: ['node', 'dist/smoke.js'] },
  { name: 'nest12', packages: ['core', 'nestjs', 'testing'], run: ['node', 'dist/smoke.js'] },
  { name: 'tests', packages: ['core', 'testing'], run: [], suite: true },
];

/** The tests app's runs: each starts its own topology. */
const SUITES = [
  { runner: 'vitest', command: ['node_modules/.bin/vitest', 'run'], env: {} },
  // CI=true as on a CI machine: it once made the sample pick the container backend.
  { runner: 'jest', command: ['node_modules/.bin/jest'], env: { CI: 'true' } },
];

/** docs/testing.md's vitest and jest samples, into the tests app as written. */
async function copyDocsSamples(appDir: string): Promise<void> {
  const file = 'docs/testing.md';
  const blocks = extractBlocks(file, await readFile(join(ROOT, file), 'utf8'));
  const samples = [
    { uses: /from 'vitest'/, to: 'test/docs-testing.test.ts' },
    { uses: /require\('@jest\/globals'\)/, to: 'test/docs-testing.jest.cjs' },
  ];
  for (const { uses, to } of samples) {
    const sample = blocks.find((block) => uses.test(block.code));
    if (!sample) throw new Error(`${file} has no block matching ${uses}: update copyDocsSamples`);
    await writeFile(join(appDir, to), `${sample.code}\n`);
  }
}

const TIME_LIMIT = {
  build: 600_000,
  pack: 60_000,
  install: 240_000,
  ls: 30_000,
  tsc: 120_000,
  topologyReady: 60_000,
  run: 30_000,
  suite: 180_000,
  cli: 20_000,
  topologyStop: 20_000,
};

const { values: flags } = parseArgs({
  options: {
    'skip-build': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    pending: { type: 'string', default: process.env.SENTINELKIT_PACKAGING_PENDING ?? '' },
  },
});
const pending = new Set(
  flags.pending
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean),
);
for (const name of pending) {
  if (!(name in CHECKS)) throw new Error(`--pending: no check named "${name}"`);
}

// ---------------------------------------------------------------------------------------------
// Results.

interface Result {
  check: CheckName;
  subject: string;
  ok: boolean;
  detail: string;
}
const results: Result[] = [];

function record(check: CheckName, subject: string, ok: boolean, detail = ''): boolean {
  results.push({ check, subject, ok, detail });
  const state = ok ? 'ok  ' : pending.has(check) ? 'PENDING' : 'FAIL';
  const line = `${state} ${check} [${subject}] ${CHECKS[check]}`;
  console.log(ok || !detail ? line : `${line}\n${indent(detail)}`);
  return ok;
}

function indent(text: string): string {
  const lines = text.trimEnd().split('\n');
  const shown = lines.length > 40 ? ['…', ...lines.slice(-40)] : lines;
  return shown.map((line) => `       ${line}`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Steps.

async function packAll(tarballDir: string): Promise<Map<string, string>> {
  const tarballs = new Map<string, string>();
  const names = (await readdir(join(ROOT, 'packages'))).sort();
  await Promise.all(
    names.map(async (dir) => {
      const cwd = join(ROOT, 'packages', dir);
      const manifest = JSON.parse(await readFile(join(cwd, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
      };
      const outcome = await run(
        ['pnpm', 'pack', '--pack-destination', tarballDir],
        cwd,
        TIME_LIMIT.pack,
      );
      const file = `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`;
      if (record('pack', manifest.name, outcome.code === 0, outcome.output)) {
        tarballs.set(dir, join(tarballDir, file));
      }
    }),
  );
  return tarballs;
}

/** Every installed copy of a package under node_modules, nested ones included. */
async function installedCopies(appDir: string, name: string): Promise<string[]> {
  const copies: string[] = [];
  async function visit(nodeModules: string): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(nodeModules);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      const packages = entry.startsWith('@')
        ? (await readdir(join(nodeModules, entry)).catch(() => [])).map((n) => `${entry}/${n}`)
        : [entry];
      for (const packageName of packages) {
        const dir = join(nodeModules, packageName);
        if (packageName === name) {
          const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
            version: string;
          };
          copies.push(`${relative(appDir, dir)}@${manifest.version}`);
        }
        await visit(join(dir, 'node_modules'));
      }
    }
  }
  await visit(join(appDir, 'node_modules'));
  return copies;
}

async function prepareApp(
  app: App,
  appsRoot: string,
  tarballs: Map<string, string>,
  npmEnv: NodeJS.ProcessEnv,
): Promise<boolean> {
  const dir = join(appsRoot, app.name);
  await cp(join(APPS_DIR, app.name), dir, { recursive: true });
  if (app.suite) await copyDocsSamples(dir);
  const missing = app.packages.filter((name) => !tarballs.has(name));
  if (missing.length > 0) {
    return record('install', app.name, false, `no tarball of: ${missing.join(', ')}`);
  }
  const install = await run(
    [
      'npm',
      'install',
      '--no-audit',
      '--no-fund',
      ...app.packages.map((name) => tarballs.get(name) as string),
      'ioredis@6',
    ],
    dir,
    TIME_LIMIT.install,
    npmEnv,
  );
  if (!record('install', app.name, install.code === 0, install.output)) return false;

  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const asked = manifest.dependencies.ioredis;
  const copies = await installedCopies(dir, 'ioredis');
  const ls = await run(['npm', 'ls', 'ioredis', '--all'], dir, TIME_LIMIT.ls, npmEnv);
  record(
    'one-ioredis',
    app.name,
    copies.length === 1 && copies[0] === `node_modules/ioredis@${installedVersion(copies[0])}`,
    `the app asked for ioredis ${asked}; installed copies: ${copies.join(', ') || 'none'}\n` +
      `npm ls ioredis --all (${describe(ls, TIME_LIMIT.ls)}):\n${ls.output}`,
  );
  console.log(`     [${app.name}] ioredis asked ${asked}, installed: ${copies.join(', ')}`);

  const tsc = join(dir, 'node_modules/.bin/tsc');
  const [build, bundler] = await Promise.all([
    run(
      [tsc, '-p', app.name.startsWith('nest') ? 'tsconfig.build.json' : 'tsconfig.json'],
      dir,
      TIME_LIMIT.tsc,
    ),
    run([tsc, '-p', 'tsconfig.bundler.json'], dir, TIME_LIMIT.tsc),
  ]);
  const version = await run([tsc, '--version'], dir, TIME_LIMIT.tsc);
  const tscDetail = (outcome: Outcome) =>
    `${version.output.trim()}, ${describe(outcome, TIME_LIMIT.tsc)}\n${outcome.output}`;
  record('tsc-bundler', app.name, bundler.code === 0, tscDetail(bundler));
  record('tsc-nodenext', app.name, build.code === 0, tscDetail(build));
  // tsc emits despite type errors, so the app still runs and its other checks still say something.
  return true;
}

function installedVersion(copy: string | undefined): string {
  return copy?.slice(copy.lastIndexOf('@') + 1) ?? '';
}

interface Topology {
  location: string;
  child: ChildProcess;
  output: () => string;
  /** The repository's `pnpm topology` (a stand-in), stopped through its whole process group. */
  standIn?: boolean;
}

/** Starts the shipped bin and waits for the location it prints. */
async function startTopology(appDir: string): Promise<Topology | undefined> {
  const bin = join(appDir, 'node_modules/.bin/sentinelkit-topology');
  if (!existsSync(bin)) {
    record(
      'topology-bin',
      'testing',
      false,
      'the @sentinelkit/testing tarball has no sentinelkit-topology bin',
    );
    return undefined;
  }
  const child = startProcess([bin, '--replicas', '2', '--sentinels', '3'], appDir);
  const output = collect(child);
  const location = (await waitForOutput(child, output, LOCATION, TIME_LIMIT.topologyReady))?.[1];
  if (!location) {
    killGroup(child);
    record(
      'topology-bin',
      'testing',
      false,
      `${relative(appDir, bin)} printed no location within ${TIME_LIMIT.topologyReady / 1000} s:\n${output()}`,
    );
    return undefined;
  }
  record('topology-bin', 'testing', true);
  console.log(`     topology: ${location}`);
  return { location, child, output };
}

/**
 * Until the bin ships, the apps still get run, on the repository's own `pnpm topology`, so that
 * the other checks keep proving something; the topology-bin check itself stays red (or PENDING).
 */
async function startRepositoryTopology(): Promise<Topology | undefined> {
  const child = startProcess(['pnpm', '--silent', 'topology'], ROOT);
  const output = collect(child);
  const location = (await waitForOutput(child, output, LOCATION, TIME_LIMIT.topologyReady))?.[1];
  if (!location) {
    killGroup(child);
    console.log(`     the repository's topology did not start either:\n${indent(output())}`);
    return undefined;
  }
  console.log(`     topology (repository's pnpm topology, not the shipped bin): ${location}`);
  return { location, child, output, standIn: true };
}

/** Each runner of the tests app, at once, each starting its own topology with the packed package. */
async function runSuites(app: App, appsRoot: string): Promise<void> {
  await Promise.all(SUITES.map((suite) => runSuite(app, appsRoot, suite)));
}

async function runSuite(app: App, appsRoot: string, suite: (typeof SUITES)[number]): Promise<void> {
  const outcome = await run(suite.command, join(appsRoot, app.name), TIME_LIMIT.suite, {
    NO_COLOR: '1',
    ...suite.env,
  });
  // vitest: "Tests  2 passed (2)", jest: "Tests:       1 passed, 1 total"; a failure is
  // counted before the passes ("Tests  1 failed | 1 passed", "Tests: 1 failed, 1 passed").
  const passed = /Tests:?\s+(\d+) passed/.exec(outcome.output);
  const ok = !outcome.timedOut && outcome.code === 0 && passed !== null;
  record(
    'suite',
    `${app.name}: ${suite.runner}`,
    ok,
    `${suite.command.join(' ')}: ${describe(outcome, TIME_LIMIT.suite)} after ${outcome.ms} ms\n${outcome.output}`,
  );
  if (ok) console.log(`     [${suite.runner}] ${passed?.[1]} tests passed (${outcome.ms} ms)`);
}

async function runApp(app: App, appsRoot: string, location: string): Promise<void> {
  const outcome = await run(app.run, join(appsRoot, app.name), TIME_LIMIT.run, {
    SENTINEL_LOCATION: location,
  });
  const line = outcome.output.split('\n').find((text) => text.startsWith('{"app"'));
  const report = line ? (JSON.parse(line) as { wrote?: string; read?: string | null }) : {};
  const ok =
    !outcome.timedOut &&
    outcome.code === 0 &&
    report.wrote !== undefined &&
    report.read === report.wrote;
  record(
    'run',
    app.name,
    ok,
    `${app.run.join(' ')}: ${describe(outcome, TIME_LIMIT.run)} after ${outcome.ms} ms\n${outcome.output}`,
  );
  if (ok) console.log(`     [${app.name}] ${line} (${outcome.ms} ms)`);
}

async function cliStatus(appDir: string, location: string): Promise<void> {
  const outcome = await run(
    [join(appDir, 'node_modules/.bin/sentinelkit'), 'status', location],
    appDir,
    TIME_LIMIT.cli,
  );
  record(
    'cli-status',
    'cli',
    !outcome.timedOut && outcome.code === 0,
    `${describe(outcome, TIME_LIMIT.cli)}\n${outcome.output}`,
  );
}

/** SIGTERM, as Ctrl-C would: the bin must stop every node and exit, leaving its group empty. */
async function stopTopology(topology: Topology): Promise<void> {
  const { child } = topology;
  if (topology.standIn) {
    // Not what is being checked: pnpm and tsx stand between it and its node process.
    killGroup(child, 'SIGTERM');
    await waitForExit(child, TIME_LIMIT.topologyStop, topology.output);
    killGroup(child);
    return;
  }
  child.kill('SIGTERM');
  const outcome = await waitForExit(child, TIME_LIMIT.topologyStop, topology.output);
  const leftovers = groupAlive(child);
  if (leftovers) killGroup(child);
  record(
    'topology-stop',
    'testing',
    !outcome.timedOut && outcome.code === 0 && !leftovers,
    `${describe(outcome, TIME_LIMIT.topologyStop)} after ${outcome.ms} ms` +
      `${leftovers ? '; processes of its group were still running (killed)' : ''}\n${outcome.output}`,
  );
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  const work = await mkdtemp(join(tmpdir(), 'sentinelkit-packaging-'));
  const cache =
    process.env.SENTINELKIT_CI_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sentinelkit-ci');
  // A cache of its own, so that repeated runs install from disk; metadata is still revalidated,
  // so `ioredis@6` is the newest 6.x the registry has.
  const npmEnv = { npm_config_cache: join(cache, 'npm'), npm_config_update_notifier: 'false' };
  console.log(`packaging check in ${work} (npm cache ${npmEnv.npm_config_cache})`);
  let topology: Topology | undefined;
  try {
    if (!flags['skip-build']) {
      const build = await run(['pnpm', 'build'], ROOT, TIME_LIMIT.build);
      if (build.code !== 0) throw new Error(`pnpm build failed:\n${build.output}`);
    }
    const tarballDir = join(work, 'tarballs');
    await mkdir(tarballDir);
    const tarballs = await packAll(tarballDir);

    const appsRoot = join(work, 'apps');
    await mkdir(appsRoot);
    const prepared = await Promise.all(
      APPS.map(async (app) => ((await prepareApp(app, appsRoot, tarballs, npmEnv)) ? app : null)),
    );
    const runnable = prepared.filter((app): app is App => app !== null);
    console.log(
      `     apps installed and built after ${Math.round((Date.now() - started) / 1000)} s`,
    );

    if (runnable.length > 0) {
      const esm = join(appsRoot, 'esm');
      topology = await startTopology(esm);
      if (!topology && pending.has('topology-bin')) topology = await startRepositoryTopology();
      if (topology) {
        const { location } = topology;
        await Promise.all([
          ...runnable.map((app) =>
            app.suite ? runSuites(app, appsRoot) : runApp(app, appsRoot, location),
          ),
          runnable.some((app) => app.name === 'esm') ? cliStatus(esm, location) : undefined,
        ]);
        await stopTopology(topology);
        topology = undefined;
      } else {
        for (const app of runnable) record('run', app.name, false, 'no topology to run against');
      }
    }
  } finally {
    if (topology) killGroup(topology.child);
    if (flags.keep) console.log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }

  const failed = results.filter((result) => !result.ok && !pending.has(result.check));
  const held = results.filter((result) => !result.ok && pending.has(result.check));
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(
    `\npackaging check: ${results.length - failed.length - held.length} ok, ${failed.length} failed, ` +
      `${held.length} pending, in ${seconds} s`,
  );
  for (const result of held) console.log(`  pending: ${result.check} [${result.subject}]`);
  for (const result of failed) console.log(`  FAILED: ${result.check} [${result.subject}]`);
  if (failed.length > 0) process.exitCode = 1;
}

await main();
