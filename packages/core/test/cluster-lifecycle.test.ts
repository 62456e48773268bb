// The cluster client's lifecycle without a cluster: no I/O before connect(), a typed error when
// no seed answers, and nothing (socket or timer) left behind by close() in any of those states.
import { describe, expect, it } from 'vitest';
import { createClusterClient, isClusterClient } from '../src/cluster/client.js';
import { isSentinelKitError } from '../src/errors.js';
import { createSentinelClient } from '../src/index.js';
import { closedPort } from './helpers/fake-topology.js';
import { recordTimers } from './helpers/live-timers.js';

describe('isClusterClient', () => {
  it('recognises a cluster client, also one made by another copy of the package (ESM and CommonJS builds, two versions)', async () => {
    const c = createClusterClient({ nodes: [await closedPort()] });
    expect(isClusterClient(c)).toBe(true);
    // What another copy's ClusterClient carries: the brand, not this copy's prototype.
    const other = Object.defineProperty({}, Symbol.for('@sentinelkit/core.ClusterClient'), {
      value: true,
    });
    expect(isClusterClient(other)).toBe(true);
    const sentinel = createSentinelClient('mymaster/127.0.0.1:1');
    expect(isClusterClient(sentinel)).toBe(false);
    expect(isClusterClient(undefined)).toBe(false);
    expect(Object.keys(c)).not.toContain(String(Symbol.for('@sentinelkit/core.ClusterClient')));
    await c.close();
    await sentinel.close();
  });
});

describe('ClusterClient lifecycle', () => {
  it('is idle until connect() and refuses use before it', async () => {
    const c = createClusterClient({ nodes: [await closedPort()] });
    expect(c.status).toBe('idle');
    const error = await c.write((m) => m.get('k')).catch((e: unknown) => e);
    expect(isSentinelKitError(error, 'NOT_CONNECTED')).toBe(true);
    await c.close();
    expect(c.status).toBe('closed');
    const after = await c.connect().catch((e: unknown) => e);
    expect(isSentinelKitError(after, 'CLIENT_CLOSED')).toBe(true);
  });

  it('rejects connect() with CONNECTION_FAILED when no seed answers; close() leaves nothing', async () => {
    const timers = recordTimers();
    const c = createClusterClient(
      { nodes: [await closedPort(), await closedPort()] },
      { password: 'Sup3rSecret', connectTimeout: 300 },
    );
    const error = await c.connect().catch((e: unknown) => e);
    expect(isSentinelKitError(error, 'CONNECTION_FAILED')).toBe(true);
    expect((error as Error).message).not.toContain('Sup3rSecret');
    expect(c.status).toBe('idle');
    await c.close();
    timers.stop();
    expect(timers.pending(), timers.origins()).toEqual([]);
  });

  it('close() during connect() leaves nothing and rejects the connect', async () => {
    const timers = recordTimers();
    const c = createClusterClient({ nodes: [await closedPort()] }, { connectTimeout: 300 });
    const connecting = c.connect().catch((e: unknown) => e);
    await c.close();
    const error = await connecting;
    expect(isSentinelKitError(error)).toBe(true);
    timers.stop();
    expect(timers.pending(), timers.origins()).toEqual([]);
  });
});
