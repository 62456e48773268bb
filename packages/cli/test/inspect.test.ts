// What `status` sends to each data node, against a fake sentinel (RESP) naming a node by hostname.
import { createServer } from 'node:net';
import { type NodeAddress, resolveOptions } from '@sentinelkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeSentinel, fakes, MASTER_NAME } from '../../core/test/helpers/fake-topology.js';
import { inspectDeployment } from '../src/inspect.js';

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

describe('inspectDeployment: per-node TLS options (review item 4)', () => {
  it('the tls function gets the address Sentinel announces, not the natMap target, as in the core', async () => {
    const sentinel = await fakeSentinel({ master: () => ['redis-a.internal', '7000'] });
    const mapped = await closedPort();
    const seen: NodeAddress[] = [];
    const options = resolveOptions({
      masterName: MASTER_NAME,
      sentinels: [{ host: sentinel.host, port: sentinel.port }],
      natMap: { 'redis-a.internal:7000': { host: '127.0.0.1', port: mapped } },
      tls: (node) => {
        seen.push({ ...node });
        return {};
      },
      connectTimeout: 2000,
      sentinelTimeout: 2000,
    });
    const report = await inspectDeployment(options);
    expect(report.master?.address).toBe('redis-a.internal:7000');
    expect(report.master?.reachable).toBe(false);
    expect(seen).toEqual([{ host: 'redis-a.internal', port: 7000 }]);
  });
});
