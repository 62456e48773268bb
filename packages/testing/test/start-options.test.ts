import { describe, expect, it } from 'vitest';
import {
  findRedisServer,
  requireRedisServer,
  startSentinelTopology,
  TopologyError,
} from '../src/index.js';

describe('finding redis-server', () => {
  it('fails with one line saying how to install it', () => {
    const env = { PATH: '/nonexistent' };
    expect(findRedisServer(env)).toBeUndefined();
    try {
      requireRedisServer(env);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TopologyError);
      expect(error).toMatchObject({ code: 'REDIS_SERVER_NOT_FOUND', name: 'TopologyError' });
      const message = (error as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toMatch(/apt-get install -y redis-server/);
      expect(message).toMatch(/SENTINELKIT_REDIS_SERVER/);
    }
  });

  it('honours $SENTINELKIT_REDIS_SERVER before PATH', () => {
    expect(findRedisServer({ SENTINELKIT_REDIS_SERVER: '/bin/sh', PATH: '' })).toBe('/bin/sh');
    expect(
      findRedisServer({ SENTINELKIT_REDIS_SERVER: '/nonexistent/redis', PATH: '' }),
    ).toBeUndefined();
  });
});

describe('startSentinelTopology option validation (before anything starts)', () => {
  it.each([
    [{ replicas: -1 }, /"replicas"/],
    [{ sentinels: 0 }, /"sentinels"/],
    [{ sentinels: 3, quorum: 4 }, /"quorum"/],
    [{ masterName: 'my master' }, /"masterName"/],
    [{ username: 'app' }, /"username".*password/],
    [{ sentinelUsername: 'app' }, /"sentinelUsername".*sentinelPassword/],
    [{ sentinelUsername: 'topology-admin', sentinelPassword: 'x' }, /"sentinelUsername"/],
    [{ sentinelUserRules: ['+@all'] }, /"sentinelUserRules".*sentinelUsername/],
    [
      { sentinelUsername: 'app', sentinelPassword: 'x', sentinelUserRules: ['on >pw'] },
      /"sentinelUserRules"/,
    ],
    [{ downAfterMs: 0 }, /"downAfterMs"/],
    [{ failoverTimeoutMs: 1.5 }, /"failoverTimeoutMs"/],
  ])('rejects %o', async (options, message) => {
    await expect(startSentinelTopology(options)).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(message),
    });
  });
});
