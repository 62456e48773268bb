import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Clean-up of topologies whose test process died without calling stop() (a
 * worker killed on timeout, a crash, SIGKILL): their exit hook never ran, so
 * their redis-server processes live on. Each work directory records the pid of
 * the process that owns it and, per node, the pid of its redis-server; when
 * the owner is gone, the nodes are killed and the directory removed.
 */

export const WORK_DIR_PREFIX = 'sentinelkit-';
const OWNER_FILE = 'owner.pid';
const NODE_PID_FILE = 'redis.pid';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Marks `root` as owned by this process. */
export function claimWorkDir(root: string): void {
  writeFileSync(join(root, OWNER_FILE), String(process.pid));
}

/** Records the pid of the redis-server running in a node directory. */
export function recordNodePid(nodeDir: string, pid: number): void {
  writeFileSync(join(nodeDir, NODE_PID_FILE), String(pid));
}

/**
 * Kills the nodes of abandoned work directories and removes them. A pid is
 * killed only if that process still works in the node's directory (redis-server
 * changes into it), so a recycled pid is never touched.
 */
export function reapAbandonedWorkDirs(base = tmpdir()): void {
  let entries: string[];
  try {
    entries = readdirSync(base).filter((name) => name.startsWith(WORK_DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of entries) {
    const root = join(base, name);
    const owner = readPid(join(root, OWNER_FILE));
    if (owner === undefined || isAlive(owner)) continue;
    let nodes: string[] = [];
    try {
      nodes = readdirSync(root);
    } catch {
      continue;
    }
    for (const node of nodes) {
      const dir = join(root, node);
      const pid = readPid(join(dir, NODE_PID_FILE));
      if (pid === undefined || !isAlive(pid)) continue;
      try {
        if (readlinkSync(`/proc/${pid}/cwd`) === dir) process.kill(pid, 'SIGKILL');
      } catch {
        // Not Linux, or the process is gone: nothing we can safely do.
      }
    }
    rmSync(root, { recursive: true, force: true });
  }
}
