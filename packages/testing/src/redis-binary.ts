import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TopologyError } from './errors.js';

/** Environment variable that points at a `redis-server` binary, checked before `PATH`. */
export const REDIS_SERVER_ENV = 'SENTINELKIT_REDIS_SERVER';

const INSTALL_HINT =
  `redis-server not found on PATH or in $${REDIS_SERVER_ENV}: install it ` +
  '(Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`) ' +
  `or set ${REDIS_SERVER_ENV}=/path/to/redis-server`;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks for `redis-server` without running it; `undefined` when absent. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env[REDIS_SERVER_ENV];
  if (explicit) return isExecutable(explicit) ? explicit : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Like {@link findRedisServer} but throws a one-line install hint when it is missing. */
export function requireRedisServer(env: NodeJS.ProcessEnv = process.env): string {
  const found = findRedisServer(env);
  if (!found) throw new TopologyError('REDIS_SERVER_NOT_FOUND', INSTALL_HINT);
  return found;
}
