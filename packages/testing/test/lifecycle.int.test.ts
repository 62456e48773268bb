import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startSentinelTopology } from '../src/index.js';
import { isPortFree } from '../src/ports.js';
import { isProcessAlive, onNode, onPort } from './helpers.js';

describe('stop()', () => {
  it('leaves no process, no port and no temp directory, even with a frozen node', async () => {
    const topology = await startSentinelTopology({ replicas: 1 });
    const nodes = [...topology.dataNodes, ...topology.sentinelNodes];
    const pids = nodes.flatMap((n) => (n.pid === undefined ? [] : [n.pid]));
    const dir = topology.workDir;
    expect(dir && existsSync(dir)).toBe(true);
    await topology.freezeMaster();

    await topology.stop();

    expect(pids.filter(isProcessAlive)).toEqual([]);
    for (const node of nodes) expect(await isPortFree(node.port)).toBe(true);
    expect(existsSync(dir!)).toBe(false);
    await expect(topology.killMaster()).rejects.toMatchObject({ code: 'STOPPED' });
  });
});

describe('credentials', () => {
  it('an ACL user on the data nodes and a separate sentinel password', async () => {
    const topology = await startSentinelTopology({
      replicas: 1,
      username: 'app',
      password: 'data-secret',
      sentinelPassword: 'sentinel-secret',
    });
    try {
      const master = await topology.currentMaster();
      expect(await onNode(topology, master, 'ACL', 'WHOAMI')).toBe('app');
      expect(topology.connectionOptions).toMatchObject({
        username: 'app',
        password: 'data-secret',
        sentinelPassword: 'sentinel-secret',
      });
      // Without the ACL user, the default user is switched off.
      await expect(onPort(master.port, {}, 'PING')).rejects.toThrow(/NOAUTH/);
      // Sentinels want their own password, not the data nodes'.
      const sentinel = topology.sentinelNodes[0]!;
      await expect(onPort(sentinel.port, {}, 'AUTH', 'data-secret')).rejects.toThrow(
        /WRONGPASS|invalid password/i,
      );
      expect(await onPort(sentinel.port, { password: 'sentinel-secret' }, 'PING')).toBe('PONG');

      // Direct access for assertions, with the right credentials for each kind of node.
      await topology.resetCommandStats();
      expect(await topology.command(master, 'SET', 'direct', '1')).toBe('OK');
      expect(await topology.commandCalls(master, 'set')).toBe(1);
      expect(await topology.commandCalls(master, 'get')).toBe(0);
      expect(
        await topology.command(sentinel, 'SENTINEL', 'get-master-addr-by-name', 'mymaster'),
      ).toEqual(['127.0.0.1', String(master.port)]);
    } finally {
      await topology.stop();
    }
  });
});
