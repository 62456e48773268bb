import { TopologyError } from '../errors.js';
import { findRedisServer, REDIS_SERVER_ENV } from '../redis-binary.js';
import type { NodeBackend } from './backend.js';
import {
  type ContainerNetwork,
  containerEngineAvailable,
  createContainerBackend,
} from './container.js';
import { createProcessBackend } from './process.js';

/** Environment variable choosing the backend when the `backend` option is not given. */
export const BACKEND_ENV = 'SENTINELKIT_BACKEND';

/** Names of the built-in backends, and `'auto'` to pick one. */
export type BackendName = 'auto' | 'process' | 'container';

const BACKEND_NAMES: readonly BackendName[] = ['auto', 'process', 'container'];

export interface BackendChoice {
  backend?: BackendName | NodeBackend | undefined;
  redisServer?: string | undefined;
  image?: string | undefined;
  containerNetwork?: ContainerNetwork | undefined;
}

const NO_BACKEND_HINT =
  `no way to run Redis nodes: install redis-server (Debian/Ubuntu: \`apt-get install -y redis-server\`; ` +
  `macOS: \`brew install redis\`; or set ${REDIS_SERVER_ENV}), or start a container engine ` +
  '(Docker, or podman serving DOCKER_HOST) and install testcontainers 11 (`npm i -D testcontainers@11`)';

/** The backend name in force: the option, else `$SENTINELKIT_BACKEND`, else `'auto'`. */
export function backendName(
  option: BackendChoice['backend'],
  env: NodeJS.ProcessEnv = process.env,
): BackendName | NodeBackend {
  if (typeof option === 'object') return option;
  const fromEnv = env[BACKEND_ENV] || undefined;
  const name = option ?? fromEnv ?? 'auto';
  if (!BACKEND_NAMES.includes(name as BackendName)) {
    const source = option === undefined ? `$${BACKEND_ENV}` : 'option "backend"';
    throw new TopologyError(
      'INVALID_OPTION',
      `Invalid ${source}: expected 'auto', 'process', 'container' or a NodeBackend, got ${JSON.stringify(name)}`,
    );
  }
  return name as BackendName;
}

/** What `'auto'` looks at; injectable so the choice can be tested without either. */
export interface BackendProbes {
  redisServerFound: () => boolean;
  containerEngineAnswers: () => Promise<boolean>;
}

const defaultProbes: BackendProbes = {
  redisServerFound: () => findRedisServer() !== undefined,
  containerEngineAnswers: () => containerEngineAvailable(),
};

/**
 * Resolves a backend name to a built-in backend: `'auto'` picks local
 * processes when `redis-server` is found, containers when a container engine
 * answers, and otherwise fails with one line saying how to get either.
 */
export async function pickBackend(
  name: BackendName,
  probes: BackendProbes = defaultProbes,
): Promise<'process' | 'container'> {
  if (name !== 'auto') return name;
  if (probes.redisServerFound()) return 'process';
  if (await probes.containerEngineAnswers()) return 'container';
  throw new TopologyError('NO_BACKEND', NO_BACKEND_HINT);
}

/** Creates the backend the options (or `$SENTINELKIT_BACKEND`) ask for. */
export async function createBackend(choice: BackendChoice): Promise<NodeBackend> {
  const name = backendName(choice.backend);
  if (typeof name === 'object') return name;
  const picked =
    name === 'auto' && choice.redisServer !== undefined ? 'process' : await pickBackend(name);
  return picked === 'process'
    ? createProcessBackend({ redisServer: choice.redisServer })
    : createContainerBackend({ image: choice.image, network: choice.containerNetwork });
}
