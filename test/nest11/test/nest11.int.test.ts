// @sentinelkit/nestjs in a NestJS 11 application, run the way Nest 11 apps run: CommonJS,
// compiled by TypeScript with decorator metadata (constructor injection by type), loading the
// published CommonJS build (dist/*.cjs) of the sentinelkit packages. The app runs in a process of
// its own; this test drives it over HTTP and breaks the topology under it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  callsByRole,
  onMaster,
  resetStats,
  type SentinelTopology,
  startSentinelTopology,
  untilOnReplicas,
} from '@sentinelkit/testing';
import { Redis } from 'ioredis';
import ts from 'typescript';
import { afterAll, beforeAll, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const repo = join(root, '..', '..');

/** Newest modification time of the files under `dir`, recursively. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * Builds a package with its own build script unless its CommonJS build is newer than its
 * sources (CI builds everything before testing; a developer may not have).
 */
function ensureBuilt(name: string, entries: string[]): void {
  const dir = join(repo, 'packages', name);
  const sources = Math.max(newest(join(dir, 'src')), statSync(join(dir, 'package.json')).mtimeMs);
  const built = entries.map((entry) => {
    try {
      return statSync(join(dir, 'dist', entry)).mtimeMs;
    } catch {
      return 0;
    }
  });
  if (Math.min(...built) > sources) return;
  execFileSync('pnpm', ['run', 'build'], { cwd: dir, stdio: 'ignore' });
}

/** Compiles the app to CommonJS as `nest build` does (tsc, with decorator metadata). */
function compileApp(): string {
  const src = join(root, 'app', 'src');
  const out = join(root, 'app', 'dist');
  mkdirSync(out, { recursive: true });
  for (const file of readdirSync(src).filter((f) => f.endsWith('.ts'))) {
    const { outputText } = ts.transpileModule(readFileSync(join(src, file), 'utf8'), {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        esModuleInterop: true,
      },
    });
    writeFileSync(join(out, file.replace(/\.ts$/, '.js')), outputText);
  }
  return join(out, 'main.js');
}

interface Started {
  url: string;
  nest: string;
  resolved: Record<string, string>;
}

let topology: SentinelTopology;
let app: ChildProcess;
let started: Started;
const lines: string[] = [];
let exited: Promise<{ code: number | null; signal: string | null }>;

beforeAll(async () => {
  ensureBuilt('core', ['index.cjs']);
  ensureBuilt('cache-manager', ['index.cjs']);
  ensureBuilt('nestjs', ['index.cjs', 'cache.cjs', 'health.cjs']);
  const main = compileApp();
  topology = await startSentinelTopology();

  const env: NodeJS.ProcessEnv = { ...process.env, LOCATION: topology.location };
  // The test runner's own --conditions (the TypeScript sources) must not reach the app.
  delete env.NODE_OPTIONS;
  app = spawn(process.execPath, ['--require', './app/peers.cjs', main], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = new Promise((resolve) => {
    app.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let stderr = '';
  app.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  started = await new Promise<Started>((resolve, reject) => {
    let buffer = '';
    app.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk;
      for (;;) {
        const end = buffer.indexOf('\n');
        if (end < 0) break;
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        lines.push(line);
        if (line.includes('"url"')) resolve(JSON.parse(line) as Started);
      }
    });
    void exited.then(({ code }) =>
      reject(new Error(`the app exited (${code}) before listening\n${stderr}`)),
    );
  });
}, 120_000);

afterAll(async () => {
  if (app && app.exitCode === null && app.signalCode === null) app.kill('SIGKILL');
  await topology?.stop();
});

const get = async (path: string) => {
  const response = await fetch(`${started.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

it('is a NestJS 11 app loading the CommonJS build of @sentinelkit/nestjs', () => {
  expect(started.nest).toMatch(/^11\./);
  expect(started.resolved['@sentinelkit/nestjs']).toMatch(/packages\/nestjs\/dist\/index\.cjs$/);
  expect(started.resolved['@sentinelkit/nestjs/health']).toMatch(/dist\/health\.cjs$/);
  expect(started.resolved['@nestjs/common']).toMatch(/@nestjs\+common@11\./);
});

it('CacheInterceptor: the second request is served from the cache, read from a replica', async () => {
  expect(await get('/cached/1')).toEqual({ status: 200, body: { id: '1', call: 1 } });
  await untilOnReplicas(topology, 'app11:/cached/1');
  await resetStats(topology);
  for (let i = 0; i < 6; i++) {
    expect(await get('/cached/1')).toEqual({ status: 200, body: { id: '1', call: 1 } });
  }
  expect((await get('/calls')).body).toEqual({ 'cached/1': 1 });
  const gets = await callsByRole(topology, 'get');
  expect(gets.master).toBe(0);
  expect(gets.replicas.reduce((a, b) => a + b, 0)).toBe(6);
});

it('@CacheKey/@CacheTTL in milliseconds, and CACHE_MANAGER', async () => {
  expect((await get('/report')).status).toBe(200);
  await untilOnReplicas(topology, 'app11:report');
  const pttl = (await onMaster(topology, 'PTTL', 'app11:report')) as number;
  expect(pttl).toBeGreaterThan(25_000);
  expect(pttl).toBeLessThanOrEqual(30_000);
  expect((await get('/through-cache/9')).status).toBe(200);
  expect(await onMaster(topology, 'EXISTS', 'app11:through:9')).toBe(1);
});

it('forRootAsync from ConfigService, and a second named client on its own database', async () => {
  const put = (client: string, value: string) =>
    fetch(`${started.url}/items/${client}/n11`, {
      method: 'PUT',
      body: JSON.stringify({ value }),
      headers: { 'content-type': 'application/json' },
    });
  expect((await put('default', 'zero')).status).toBe(200);
  expect((await put('sessions', 'one')).status).toBe(200);
  const master = await topology.currentMaster();
  for (const [db, value] of [
    [0, 'zero'],
    [1, 'one'],
  ] as const) {
    const direct = new Redis({ host: master.host, port: master.port, db, lazyConnect: true });
    try {
      expect(await direct.get('item:n11')).toBe(value);
    } finally {
      direct.disconnect();
    }
  }
});

it('health on Terminus 11: up, then up flagged degraded with the replicas frozen', async () => {
  const up = await get('/health');
  expect(up.status).toBe(200);
  expect(up.body).toMatchObject({
    status: 'ok',
    info: { redis: { status: 'up' }, sessions: { status: 'up' } },
  });

  for (const replica of await topology.replicas()) await topology.freeze(replica);
  // The app's clients see Sentinel flag the replicas down (about a second); poll its answer.
  const deadline = Date.now() + 20_000;
  let health = await get('/health');
  while (!(health.body.info as { redis: { degraded?: boolean } }).redis.degraded) {
    if (Date.now() > deadline) throw new Error(`never degraded: ${JSON.stringify(health.body)}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 100));
    health = await get('/health');
  }
  // Terminus 11 knows no 'degraded' state: still 200, up, with the flag and the reason.
  expect(health.status).toBe(200);
  expect(health.body.info).toMatchObject({
    redis: {
      status: 'up',
      degraded: true,
      replicas: [],
      message: expect.stringMatching(/replica/),
    },
  });
  await topology.thaw();
});

it('app.close() (on SIGUSR2) closes the clients and the process exits by itself', async () => {
  app.kill('SIGUSR2');
  const timeout = new Promise<never>((_, reject) => {
    setTimeout(
      () => reject(new Error('the app did not exit by itself (open handles)')),
      30_000,
    ).unref();
  });
  const { code, signal } = await Promise.race([exited, timeout]);
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(lines.at(-1)).toBe('{"closed":true}');
});
