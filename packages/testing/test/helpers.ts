import { Redis } from 'ioredis';
import { onNode } from '../src/client-waits.js';
import type { SentinelTopology, TopologyNode } from '../src/index.js';
import { isPortFree } from '../src/ports.js';

/** Runs one command on a node directly, with the topology's credentials. */
export { onNode };

/** Runs one command on 127.0.0.1:`port` as the given user (none: the default user). */
export async function onPort(
  port: number,
  auth: { username?: string | undefined; password?: string | undefined },
  ...command: [string, ...(string | number)[]]
): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    ...(auth.username !== undefined && { username: auth.username }),
    ...(auth.password !== undefined && { password: auth.password }),
    lazyConnect: true,
    // A bare connection (no HELLO, no CLIENT SETINFO, no ready check), so the
    // command itself meets the node: a frozen node surfaces as a command timeout.
    protocol: 2,
    disableClientInfo: true,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 2000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(...command);
  } finally {
    client.disconnect();
  }
}

/** `master` or `slave`, as the node itself reports in `ROLE`. */
export async function roleOf(topology: SentinelTopology, node: TopologyNode): Promise<string> {
  const reply = (await onNode(topology, node, 'ROLE')) as unknown[];
  return String(reply[0]);
}

/**
 * Whether `node`'s server is gone, whatever the backend: its process (when the
 * backend knows a pid) no longer exists and its port is free.
 */
export async function isNodeGone(node: TopologyNode): Promise<boolean> {
  if (node.pid !== undefined && isProcessAlive(node.pid)) return false;
  return isPortFree(node.port);
}

/** Label for test titles: the backend `$SENTINELKIT_BACKEND` selects (default `auto`). */
export const backendLabel = `${process.env.SENTINELKIT_BACKEND || 'auto'} backend`;

export function isProcessAlive(pid: number): boolean {
  // kill(-1 | 0, 0) would signal a whole group and "succeed".
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
