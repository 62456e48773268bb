import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import type * as Testcontainers from 'testcontainers';
import { TopologyError } from '../errors.js';
import type { BackendNode, NodeBackend, NodeSpec } from './backend.js';

/** Environment variable naming the default image of the container backend. */
export const REDIS_IMAGE_ENV = 'SENTINELKIT_REDIS_IMAGE';

/** Label put on every container, valued with the topology's work directory. */
export const CONTAINER_LABEL = 'org.sentinelkit.testing';

/** How the container backend connects its nodes. */
export type ContainerNetwork = 'auto' | 'host' | 'bridge';

export interface ContainerBackendOptions {
  /**
   * Image with `redis-server` (7.x) on its `PATH`; it is run as the entrypoint.
   * @default `$SENTINELKIT_REDIS_IMAGE`, else `'redis:7'`
   */
  image?: string | undefined;
  /**
   * `'host'`: containers share the host's network, so nodes listen on and
   * announce 127.0.0.1 exactly as processes do (Linux engines: Docker, podman).
   * `'bridge'`: a network of the topology's own; nodes announce their names,
   * ports are published on the host, and clients need the topology's `natMap`
   * (Docker Desktop, remote engines). `'auto'`: `'host'` when the engine runs on
   * this Linux host, `'bridge'` otherwise.
   * @default 'auto'
   */
  network?: ContainerNetwork | undefined;
  /** How long one node may take to answer after its container starts. @default 30000 */
  startTimeoutMs?: number | undefined;
}

type TestcontainersModule = typeof Testcontainers;
type RuntimeClient = Testcontainers.ContainerRuntimeClient;
/** dockerode's container handle, typed through testcontainers (dockerode is its dependency, not ours). */
type EngineContainer = ReturnType<RuntimeClient['container']['getById']>;
type InspectInfo = Awaited<ReturnType<EngineContainer['inspect']>>;

const ENGINE_HINT =
  'start a container engine (Docker, or `podman system service` with DOCKER_HOST pointing at its socket) ' +
  'and install testcontainers 11 (`npm i -D testcontainers@11`)';

/** Loads the optional `testcontainers` peer dependency; `undefined` when absent. */
async function loadTestcontainers(): Promise<TestcontainersModule | undefined> {
  try {
    return await import('testcontainers');
  } catch {
    return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Whether a container engine answers, through testcontainers (DOCKER_HOST,
 * ~/.testcontainers.properties, the usual sockets). Never throws.
 */
export async function containerEngineAvailable(timeoutMs = 5000): Promise<boolean> {
  const tc = await loadTestcontainers();
  if (!tc) return false;
  try {
    await withTimeout(tc.getContainerRuntimeClient(), timeoutMs, 'the container engine');
    return true;
  } catch {
    return false;
  }
}

/** Connects to the engine or throws a one-line TopologyError saying how to get one. */
async function connectEngine(): Promise<{ tc: TestcontainersModule; client: RuntimeClient }> {
  const tc = await loadTestcontainers();
  if (!tc) {
    throw new TopologyError(
      'CONTAINER_ENGINE_NOT_FOUND',
      `the container backend needs the testcontainers package: ${ENGINE_HINT}`,
    );
  }
  try {
    const client = await withTimeout(
      tc.getContainerRuntimeClient(),
      10_000,
      'the container engine',
    );
    return { tc, client };
  } catch (error) {
    throw new TopologyError(
      'CONTAINER_ENGINE_NOT_FOUND',
      `no container engine answers (${(error as Error).message}): ${ENGINE_HINT}`,
      { cause: error },
    );
  }
}

/** What decides whether containers can share this machine's loopback. */
export interface EngineFacts {
  /** `process.platform` of the test process. */
  platform: string;
  /** The engine is reached through a local unix socket (not tcp://, not ssh://). */
  localSocket: boolean;
  /** The engine's `OSType` (`linux` for Linux containers). */
  osType: string;
  /** The engine's `OperatingSystem`, e.g. `Debian GNU/Linux 12` or `Docker Desktop`. */
  operatingSystem: string;
  /** The engine's `SecurityOptions` (`name=rootless` for a rootless engine). */
  securityOptions: readonly string[];
}

/**
 * Host networking gives 127.0.0.1 to the containers only where the engine runs
 * on this very Linux host as root: not Docker Desktop (a VM), not a remote
 * engine, not rootless Docker (its "host" is the rootlesskit namespace).
 */
export function hostNetworkingAvailable(facts: EngineFacts): boolean {
  return (
    facts.platform === 'linux' &&
    facts.localSocket &&
    facts.osType === 'linux' &&
    !/docker desktop/i.test(facts.operatingSystem) &&
    !facts.securityOptions.some((o) => o.includes('rootless'))
  );
}

async function engineFacts(client: RuntimeClient): Promise<EngineFacts> {
  const dockerode = client.container.dockerode;
  const info = (await dockerode.info()) as {
    OSType?: string;
    OperatingSystem?: string;
    SecurityOptions?: string[];
  };
  const modem = (dockerode as unknown as { modem?: { socketPath?: unknown } }).modem;
  return {
    platform: process.platform,
    localSocket: typeof modem?.socketPath === 'string' && modem.socketPath !== '',
    osType: info.OSType ?? '',
    operatingSystem: info.OperatingSystem ?? '',
    securityOptions: info.SecurityOptions ?? [],
  };
}

/**
 * Resolves true once something on host:port answers a RESP `PING` (with
 * `+PONG` or an error such as `-NOAUTH`). A bare TCP connect is not enough
 * behind published ports: the engine's proxy accepts before Redis listens.
 */
function answersPing(
  host: string,
  port: number,
  clientTls: ConnectionOptions | undefined,
  timeoutMs = 1000,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = clientTls ? tlsConnect({ ...clientTls, host, port }) : connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once(clientTls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data[0] === 0x2b || data[0] === 0x2d)); // '+' or '-'
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

const isNotRunning = (error: unknown) =>
  /not running|is not running|state (exited|stopped|configured)|no such container|409/i.test(
    String((error as { message?: string })?.message ?? error),
  ) || (error as { statusCode?: number })?.statusCode === 409;

interface BackendContext {
  tc: TestcontainersModule;
  image: string;
  root: string;
  network: 'host' | 'bridge';
  /** Created lazily by the first bridge-mode node. */
  sharedNetwork: Promise<Testcontainers.StartedNetwork> | undefined;
  startTimeoutMs: number;
  containers: Set<EngineContainer>;
}

class ContainerNode implements BackendNode {
  private container: EngineContainer | undefined;
  private readonly dir: string;
  private readonly configPath: string;
  private readonly logPath: string;

  constructor(
    private readonly ctx: BackendContext,
    private readonly spec: NodeSpec,
  ) {
    this.dir = join(ctx.root, spec.name);
    mkdirSync(this.dir, { recursive: true });
    this.configPath = join(this.dir, 'redis.conf');
    this.logPath = join(this.dir, 'redis.log');
    // The node's directory is bind-mounted at the same path inside its
    // container, so these paths hold on both sides. Redis and Sentinel rewrite
    // the config there as roles change; the file outlives the container's
    // process, so a restarted node comes back with what it last knew.
    for (const [file, content] of Object.entries(spec.files ?? {})) {
      writeFileSync(join(this.dir, file), content, { mode: 0o600 });
    }
    writeFileSync(this.configPath, `${spec.config}dir ${this.dir}\nlogfile ${this.logPath}\n`);
  }

  /** Containers have no pid in this machine's namespace worth exposing (and none at all on a VM). */
  get pid(): number | undefined {
    return undefined;
  }

  async start(): Promise<void> {
    if (this.container) {
      if ((await this.inspect())?.State?.Running) {
        throw new TopologyError('NODE_START_FAILED', `${this.spec.name} is already running`);
      }
      // Same container, same bind mount: the process starts on the config it last wrote.
      await this.container.start();
    } else {
      this.container = await this.create();
      this.ctx.containers.add(this.container);
    }
    await this.waitUntilAnswering();
  }

  async kill(): Promise<void> {
    const container = this.container;
    if (!container) return;
    try {
      // SIGKILL is delivered to stopped (SIGSTOPped) processes too.
      await container.kill({ signal: 'SIGKILL' });
    } catch (error) {
      if (!isNotRunning(error)) throw error;
    }
    await container.wait({ condition: 'not-running' }).catch(() => {});
  }

  async freeze(): Promise<void> {
    // From outside its PID namespace, SIGSTOP reaches the container's init
    // (redis-server) like any process: sockets stay open, nothing answers.
    await this.container?.kill({ signal: 'SIGSTOP' });
  }

  async thaw(): Promise<void> {
    await this.container?.kill({ signal: 'SIGCONT' });
  }

  async logTail(lines = 20): Promise<string> {
    try {
      const text = await readFile(this.logPath, 'utf8');
      return text.trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private async create(): Promise<EngineContainer> {
    const { tc, ctx, spec } = { tc: this.ctx.tc, ctx: this.ctx, spec: this.spec };
    const args = [this.configPath, ...(spec.kind === 'sentinel' ? ['--sentinel'] : [])];
    let definition = new tc.GenericContainer(ctx.image)
      // Run redis-server itself (as root, so it can write the bind-mounted
      // directory): the official image's entrypoint would switch to its
      // `redis` user, which may not write the host's directory.
      .withEntrypoint(['redis-server'])
      .withCommand(args)
      .withBindMounts([{ source: this.dir, target: this.dir, mode: 'rw' }])
      .withLabels({ [CONTAINER_LABEL]: ctx.root, [`${CONTAINER_LABEL}.node`]: spec.name })
      // Readiness is a real PING below; testcontainers' port check would exec a
      // shell, which a minimal redis image does not have.
      .withWaitStrategy(noWait(ctx.startTimeoutMs));
    if (ctx.network === 'host') {
      definition = definition.withNetworkMode('host');
    } else {
      ctx.sharedNetwork ??= new tc.Network().start();
      // The port is the same inside and on the host, so a node keeps its
      // address across restarts and the NAT map is the same for every node.
      definition = definition
        .withNetwork(await ctx.sharedNetwork)
        .withNetworkAliases(spec.name)
        .withExposedPorts({ container: spec.port, host: spec.port });
    }
    try {
      const started = await definition.start();
      const client = await ctx.tc.getContainerRuntimeClient();
      return client.container.getById(started.getId());
    } catch (error) {
      // A container the engine created but could not start would otherwise stay behind.
      await this.removeLeftovers();
      throw new TopologyError(
        'NODE_START_FAILED',
        `${spec.name}: could not start a container from image ${ctx.image}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Removes the containers of this node that a failed start left (created, not running). */
  private async removeLeftovers(): Promise<void> {
    try {
      const { dockerode } = (await this.ctx.tc.getContainerRuntimeClient()).container;
      const leftovers = await dockerode.listContainers({
        all: true,
        filters: {
          label: [
            `${CONTAINER_LABEL}=${this.ctx.root}`,
            `${CONTAINER_LABEL}.node=${this.spec.name}`,
          ],
        },
      });
      for (const { Id } of leftovers) {
        await dockerode
          .getContainer(Id)
          .remove({ force: true, v: true })
          .catch(() => {});
      }
    } catch {
      // The engine is not answering: nothing more to clean up from here.
    }
  }

  private async inspect(): Promise<InspectInfo | undefined> {
    try {
      return await this.container?.inspect();
    } catch {
      return undefined;
    }
  }

  private async waitUntilAnswering(): Promise<void> {
    const { host, port, name } = this.spec;
    const deadline = Date.now() + this.ctx.startTimeoutMs;
    while (Date.now() < deadline) {
      if (await answersPing(host, port, this.spec.clientTls)) return;
      const state = (await this.inspect())?.State;
      if (state && !state.Running) {
        throw new TopologyError(
          'NODE_START_FAILED',
          `${name} (port ${port}) exited during start-up (code ${state.ExitCode}): ${await this.logTail(5)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await this.kill();
    throw new TopologyError(
      'NODE_START_FAILED',
      `${name} did not answer on ${host}:${port} within ${this.ctx.startTimeoutMs} ms: ${await this.logTail(5)}`,
    );
  }
}

/** A wait strategy that waits for nothing (we PING ourselves). */
function noWait(timeoutMs: number): Testcontainers.WaitStrategy {
  return {
    waitUntilReady: async () => {},
    withStartupTimeout() {
      return this;
    },
    isStartupTimeoutSet: () => true,
    getStartupTimeout: () => timeoutMs,
  };
}

/**
 * Runs every node in its own container (testcontainers `GenericContainer`),
 * from an image with `redis-server` 7. Faults go through the engine: kill is
 * `SIGKILL`, freeze and thaw are `SIGSTOP`/`SIGCONT`, restart starts the same
 * container on the config it last wrote (kept in a bind-mounted host directory).
 */
export async function createContainerBackend(
  options: ContainerBackendOptions = {},
): Promise<NodeBackend> {
  const network = options.network ?? 'auto';
  if (!['auto', 'host', 'bridge'].includes(network)) {
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid option "containerNetwork": expected 'auto', 'host' or 'bridge', got ${JSON.stringify(network)}`,
    );
  }
  const { tc, client } = await connectEngine();
  const image = options.image ?? process.env[REDIS_IMAGE_ENV] ?? 'redis:7';
  const resolvedNetwork =
    network !== 'auto'
      ? network
      : hostNetworkingAvailable(await engineFacts(client))
        ? 'host'
        : 'bridge';
  const root = await mkdtemp(join(tmpdir(), 'sentinelkit-'));
  const ctx: BackendContext = {
    tc,
    image,
    root,
    network: resolvedNetwork,
    sharedNetwork: undefined,
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    containers: new Set(),
  };
  return {
    name: `container (${image}, ${resolvedNetwork} network)`,
    workDir: root,
    addressing: resolvedNetwork === 'host' ? 'loopback' : 'hostname',
    createNode: (spec) => new ContainerNode(ctx, spec),
    dispose: async () => {
      await Promise.all(
        [...ctx.containers].map((c) => c.remove({ force: true, v: true }).catch(() => {})),
      );
      ctx.containers.clear();
      if (ctx.sharedNetwork) await (await ctx.sharedNetwork).stop().catch(() => {});
      await rm(root, { recursive: true, force: true });
    },
  };
}
