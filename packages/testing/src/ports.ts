import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

// Ports handed out by this process and not yet released: two topologies started
// by the same test worker never race for the same port.
const reserved = new Set<number>();

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

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Reserves `count` distinct free TCP ports on `host`, outside the ephemeral range. */
export async function allocatePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  for (let attempts = 0; ports.length < count; attempts++) {
    if (attempts > 1000) throw new Error(`could not find ${count} free ports on ${host}`);
    const port = RANGE_LOW + Math.floor(Math.random() * (RANGE_HIGH - RANGE_LOW));
    if (reserved.has(port)) continue;
    reserved.add(port);
    if (await canBind(port, host)) ports.push(port);
    else reserved.delete(port);
  }
  return ports;
}

/** Gives ports back once the nodes that used them are gone. */
export function releasePorts(ports: readonly number[]): void {
  for (const port of ports) reserved.delete(port);
}

/** Resolves true when nothing listens on `port` any more. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return canBind(port, host);
}
