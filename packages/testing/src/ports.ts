import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Free-port allocation that holds across processes. Test runners start
 * topologies in parallel worker processes; a port that is free when one worker
 * checks it can be taken by another before its redis-server binds. So each
 * port is claimed with a lock file (created exclusively, holding our pid) for
 * as long as the topology lives; locks of dead processes are reclaimed.
 */
const LOCK_DIR = join(tmpdir(), 'sentinelkit-ports');
const claimed = new Set<number>();
let exitHookInstalled = false;

/**
 * The kernel picks source ports for outgoing connections from the ephemeral
 * range. A server port chosen there can be taken by some client socket while
 * its node is down, and a restart would then fail to bind. So we pick below it.
 */
function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/);
    const value = Number(low);
    return Number.isInteger(value) && value > 12_000 ? value : 32_768;
  } catch {
    return 32_768;
  }
}

const RANGE_LOW = 10_000;
const RANGE_HIGH = ephemeralRangeStart();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `port` for this process; false when a live process holds it. */
function claim(port: number): boolean {
  mkdirSync(LOCK_DIR, { recursive: true });
  const path = join(LOCK_DIR, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      claimed.add(port);
      installExitHook();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) return false;
      rmSync(path, { force: true }); // a dead process's claim
    }
  }
  return false;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => releasePorts([...claimed]));
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Claims `count` distinct free TCP ports on `host`, outside the ephemeral range. */
export async function allocatePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  for (let attempts = 0; ports.length < count; attempts++) {
    if (attempts > 1000) {
      releasePorts(ports);
      throw new Error(`could not find ${count} free ports on ${host}`);
    }
    const port = RANGE_LOW + Math.floor(Math.random() * (RANGE_HIGH - RANGE_LOW));
    if (claimed.has(port) || !claim(port)) continue;
    if (await canBind(port, host)) ports.push(port);
    else releasePorts([port]);
  }
  return ports;
}

/** Gives ports back once the nodes that used them are gone. */
export function releasePorts(ports: readonly number[]): void {
  for (const port of ports) {
    if (!claimed.delete(port)) continue;
    rmSync(join(LOCK_DIR, String(port)), { force: true });
  }
}

/** Resolves true when nothing listens on `port` any more. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return canBind(port, host);
}
