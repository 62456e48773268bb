import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopologyError } from '../errors.js';
import { requireRedisServer } from '../redis-binary.js';
import type { BackendNode, NodeBackend, NodeSpec } from './backend.js';
import { claimWorkDir, reapAbandonedWorkDirs, recordNodePid, WORK_DIR_PREFIX } from './reaper.js';

// Children still alive in this process. If the test process dies without
// calling stop() (a crash, a killed worker), they are killed on the way out so
// no redis-server outlives the tests that started it.
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Resolves when something accepts TCP connections on host:port. */
function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

class ProcessNode implements BackendNode {
  private child: ChildProcess | undefined;
  private readonly configPath: string;
  private readonly logPath: string;
  private readonly dir: string;

  constructor(
    private readonly binary: string,
    private readonly spec: NodeSpec,
    root: string,
    private readonly startTimeoutMs: number,
  ) {
    const dir = join(root, spec.name);
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    this.configPath = join(dir, 'redis.conf');
    this.logPath = join(dir, 'redis.log');
    // Redis (and Sentinel) rewrite this file as roles change, so a restarted
    // node comes back with what it last knew, as on a real host.
    for (const [file, content] of Object.entries(spec.files ?? {})) {
      writeFileSync(join(dir, file), content, { mode: 0o600 });
    }
    writeFileSync(this.configPath, `${spec.config}dir ${dir}\nlogfile ${this.logPath}\n`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      throw new TopologyError('NODE_START_FAILED', `${this.spec.name} is already running`);
    }
    installExitHook();
    const args = [this.configPath, ...(this.spec.kind === 'sentinel' ? ['--sentinel'] : [])];
    const child = spawn(this.binary, args, { stdio: 'ignore' });
    if (child.pid !== undefined) recordNodePid(this.dir, child.pid);
    this.child = child;
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });

    const deadline = Date.now() + this.startTimeoutMs;
    while (Date.now() < deadline) {
      if (spawnError || child.exitCode !== null || child.signalCode !== null) {
        throw new TopologyError(
          'NODE_START_FAILED',
          `${this.spec.name} (port ${this.spec.port}) exited during start-up: ${
            spawnError?.message ?? (await this.logTail(5))
          }`,
          { cause: spawnError },
        );
      }
      if (await acceptsConnections(this.spec.host, this.spec.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await this.kill();
    throw new TopologyError(
      'NODE_START_FAILED',
      `${this.spec.name} did not accept connections on port ${this.spec.port} within ${this.startTimeoutMs} ms`,
    );
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    // SIGKILL is delivered to stopped processes too, so a frozen node dies here.
    child.kill('SIGKILL');
    await exited(child);
  }

  async freeze(): Promise<void> {
    this.child?.kill('SIGSTOP');
  }

  async thaw(): Promise<void> {
    this.child?.kill('SIGCONT');
  }

  async logTail(lines = 20): Promise<string> {
    try {
      const text = await readFile(this.logPath, 'utf8');
      return text.trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

export interface ProcessBackendOptions {
  /** Path to `redis-server`; found on PATH or `$SENTINELKIT_REDIS_SERVER` when omitted. */
  redisServer?: string | undefined;
  /** How long one node may take to accept connections. @default 10000 */
  startTimeoutMs?: number | undefined;
}

/** Runs every node as a local `redis-server` process in one temp directory. */
export async function createProcessBackend(
  options: ProcessBackendOptions = {},
): Promise<NodeBackend> {
  const binary = options.redisServer ?? requireRedisServer();
  // Topologies of test processes that died without stop() are cleaned up first.
  reapAbandonedWorkDirs();
  const root = await mkdtemp(join(tmpdir(), WORK_DIR_PREFIX));
  claimWorkDir(root);
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  return {
    name: 'process',
    workDir: root,
    createNode: (spec) => new ProcessNode(binary, spec, root, startTimeoutMs),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}
