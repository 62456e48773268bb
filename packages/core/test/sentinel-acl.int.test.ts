import {
  type SentinelTopology,
  type SentinelTopologyOptions,
  startSentinelTopology,
} from '@sentinelkit/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createSentinelClient,
  isSentinelKitError,
  type SentinelClient,
  type TopologyEvent,
} from '../src/index.js';

/**
 * Real sentinels whose ACL user (the one clients log in as) lacks a permission sentinelkit uses;
 * the sentinels themselves, and the topology's own checks, run as an admin user of their own.
 * The same cases on a fake sentinel are in sentinel-trust.test.ts.
 */
const SENTINEL_SECRET = 'sentinel-acl-secret';

function aclTopology(rules: string[]): Promise<SentinelTopology> {
  const options: SentinelTopologyOptions = {
    replicas: 1,
    sentinelPassword: SENTINEL_SECRET,
    sentinelUsername: 'app',
    sentinelUserRules: rules,
  };
  return startSentinelTopology(options);
}

function connectClient(topology: SentinelTopology): { client: SentinelClient; errors: Error[] } {
  const client = createSentinelClient(topology.connectionOptions);
  const errors: Error[] = [];
  client.on('error', (error) => errors.push(error));
  return { client, errors };
}

const deniedOf = (errors: Error[]) =>
  errors.filter((e) => isSentinelKitError(e, 'PERMISSION_DENIED'));

describe('a sentinel user without SENTINEL replicas (real sentinels)', () => {
  let topology: SentinelTopology;
  let client: SentinelClient | undefined;

  beforeAll(async () => {
    topology = await aclTopology(['+@all', '&*', '-sentinel|replicas']);
  });
  afterEach(async () => {
    await client?.close();
  });
  afterAll(async () => {
    await topology?.stop();
  });

  it('connects, reports PERMISSION_DENIED naming the command, and its topology lists no replica', async () => {
    // The user really lacks it: a sentinel refuses it to this user (and not to the topology's).
    const asApp = new Redis({
      ...topology.sentinels[0]!,
      username: 'app',
      password: SENTINEL_SECRET,
      lazyConnect: true,
    });
    try {
      await asApp.connect();
      await expect(asApp.call('SENTINEL', 'replicas', topology.masterName)).rejects.toThrow(
        /NOPERM/,
      );
    } finally {
      asApp.disconnect();
    }
    const connected = connectClient(topology);
    client = connected.client;
    await client.connect();

    const denied = deniedOf(connected.errors);
    expect(denied.length, connected.errors.map((e) => e.message).join('\n')).toBeGreaterThan(0);
    expect(denied[0]!.message).toMatch(/SENTINEL replicas/);
    expect(denied[0]!.message).toMatch(/sentinelUsername/);
    for (const error of connected.errors) expect(error.message).not.toContain(SENTINEL_SECRET);

    // Truthful: the master the sentinels name, and no replica (one is running and healthy, as
    // the topology's own admin connections see).
    const master = await topology.currentMaster();
    const view = client.topology();
    expect(view.master?.address.port).toBe(master.port);
    expect(view.replicas).toEqual([]);
    expect((await topology.replicas()).length).toBe(1);
    // Reads then go to the master (the documented fallback), and work.
    await client.write((m) => m.set('sentinel-acl:key', 'v'));
    expect(await client.read((r) => r.get('sentinel-acl:key'))).toBe('v');
    expect(client.stats().masterReads).toBeGreaterThan(0);
  });
});

describe('a sentinel user without SUBSCRIBE (real sentinels)', () => {
  let topology: SentinelTopology;
  let client: SentinelClient | undefined;

  beforeAll(async () => {
    topology = await aclTopology(['+@all', '&*', '-subscribe', '-psubscribe']);
  });
  afterEach(async () => {
    await client?.close();
  });
  afterAll(async () => {
    await topology?.stop();
  });

  it('watches no sentinel, says so, and follows a failover by polling', async () => {
    const connected = connectClient(topology);
    client = connected.client;
    const deniedEvent = new Promise<Error>((resolve) => {
      client!.on('error', (error) => {
        if (isSentinelKitError(error, 'PERMISSION_DENIED')) resolve(error);
      });
    });
    await client.connect();

    expect((await deniedEvent).message).toMatch(/SUBSCRIBE/);
    expect(client.topology().watchedSentinels).toBe(0);
    for (const error of connected.errors) expect(error.message).not.toContain(SENTINEL_SECRET);

    // A failover: no event reaches the client, polling finds the new master.
    const c = client;
    const moved = new Promise<TopologyEvent>((resolve) => {
      c.on('topology-change', (event) => {
        if (event.type === 'MASTER_CHANGE') resolve(event);
      });
    });
    const old = await topology.killMaster();
    const switched = await topology.waitForSwitch();
    const event = await moved;
    expect(event).toMatchObject({ type: 'MASTER_CHANGE' });
    expect(c.topology().master?.address.port).toBe(switched.master.port);
    expect(c.topology().master?.address.port).not.toBe(old.port);
    expect(c.topology().watchedSentinels).toBe(0);
    await c.write((m) => m.set('sentinel-acl:after', 'v'));
    expect(await topology.command(switched.master, 'GET', 'sentinel-acl:after')).toBe('v');
  });
});
