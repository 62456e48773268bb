import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConnectionSetupError,
  createSentinelClient,
  isSentinelKitError,
} from '../src/index.js';

/**
 * ACL users on the data nodes that lack a command sentinelkit needs. ACL rules
 * are per node (not replicated), so each user is created on every data node.
 */
describe('ACL data-node users without a needed command (real topology with an ACL user)', () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    topology = await startSentinelTopology({
      replicas: 1,
      username: 'app',
      password: 'app-secret',
      sentinelPassword: 'sentinel-secret',
    });
    const users: Record<string, string[]> = {
      'no-role': ['-role'],
      'no-info': ['-info'],
      'no-wait': ['-wait'],
    };
    for (const node of topology.dataNodes) {
      for (const [user, rules] of Object.entries(users)) {
        await topology.command(
          node,
          'ACL',
          'SETUSER',
          user,
          'on',
          '>user-secret',
          '~*',
          '&*',
          '+@all',
          ...rules,
        );
      }
    }
  });

  afterAll(async () => {
    await topology?.stop();
  });

  async function connectAs(username: string) {
    const client = createSentinelClient({
      ...topology.connectionOptions,
      username,
      password: 'user-secret',
      connectTimeout: 5000,
    });
    client.on('error', () => {});
    const started = Date.now();
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    const ms = Date.now() - started;
    await client.close();
    return { error: error as ConnectionSetupError, ms };
  }

  it('a user without ROLE fails connect() at once with PERMISSION_DENIED naming +role', async () => {
    const { error, ms } = await connectAs('no-role');
    expect(isSentinelKitError(error, 'PERMISSION_DENIED')).toBe(true);
    expect(error.message).toMatch(/ROLE.*\+role/);
    expect(error.message).not.toMatch(/secret/);
    expect(ms).toBeLessThan(2000);
  });

  it('a user without INFO connects and serves (documented fallback: ioredis skips its ready check)', async () => {
    const client = createSentinelClient({
      ...topology.connectionOptions,
      username: 'no-info',
      password: 'user-secret',
    });
    try {
      await client.connect();
      await client.write((r) => r.set('acl:no-info', 'v'));
      expect(await client.read((r) => r.get('acl:no-info'), { readFrom: 'master' })).toBe('v');
    } finally {
      await client.close();
    }
  });

  it('a user without WAIT writing with waitReplicas: PERMISSION_DENIED saying the write ran', async () => {
    const client = createSentinelClient({
      ...topology.connectionOptions,
      username: 'no-wait',
      password: 'user-secret',
    });
    try {
      await client.connect();
      const error = await client
        .write((r) => r.set('acl:no-wait', 'written'), { waitReplicas: 1 })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isSentinelKitError(error, 'PERMISSION_DENIED')).toBe(true);
      expect((error as Error).message).toMatch(/RAN on the master.*\+wait/);
      // It did run: the key is on the master.
      expect(await topology.command(await topology.currentMaster(), 'GET', 'acl:no-wait')).toBe(
        'written',
      );
    } finally {
      await client.close();
    }
  });

  it('a wrong password for the ACL user fails at once with AUTH_FAILED', async () => {
    const client = createSentinelClient({
      ...topology.connectionOptions,
      password: 'wrong-secret',
      connectTimeout: 5000,
    });
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    await client.close();
    expect(isSentinelKitError(error, 'AUTH_FAILED')).toBe(true);
    expect((error as ConnectionSetupError).option).toBe('username/password');
  });
});
