import { describe, expect, it } from 'vitest';
import { admitReplica } from '../src/admission.js';
import type { RoleInfo } from '../src/role.js';

const master = { host: '10.0.0.1', port: 6379 };
const replica = (over: Partial<Extract<RoleInfo, { role: 'replica' }>> = {}): RoleInfo => ({
  role: 'replica',
  masterHost: '10.0.0.1',
  masterPort: 6379,
  linkState: 'connected',
  replOffset: 1000,
  ...over,
});

describe('admitReplica', () => {
  it('admits a replica of the master that has reached the target offset', () => {
    expect(admitReplica(replica(), master, 1000)).toEqual({ verdict: 'admit' });
    expect(admitReplica(replica({ replOffset: 1200 }), master, 1000)).toEqual({
      verdict: 'admit',
    });
  });

  it('waits for one connected but behind (a full resync just loaded, its stream still coming)', () => {
    expect(admitReplica(replica({ replOffset: 400 }), master, 1000)).toEqual({
      verdict: 'catching-up',
      behindBytes: 600,
    });
  });

  it('needs every byte: one byte short of the target is still catching up', () => {
    expect(admitReplica(replica({ replOffset: 999 }), master, 1000)).toEqual({
      verdict: 'catching-up',
      behindBytes: 1,
    });
  });

  it('refuses one whose link is not up, whatever its offset', () => {
    expect(
      admitReplica(replica({ linkState: 'sync', replOffset: 5000 }), master, 1000),
    ).toMatchObject({ verdict: 'refuse' });

    for (const linkState of ['connect', 'connecting', 'handshake', 'sync']) {
      expect(admitReplica(replica({ linkState, replOffset: -1 }), master, 0)).toMatchObject({
        verdict: 'refuse',
        why: `its link to the master is ${linkState}`,
      });
    }
  });

  it('refuses one that follows another node', () => {
    expect(admitReplica(replica({ masterPort: 6380 }), master, 0)).toMatchObject({
      verdict: 'refuse',
      why: 'replicates from 10.0.0.1:6380',
    });
    expect(admitReplica(replica({ masterHost: '10.0.0.2' }), master, 0)).toMatchObject({
      verdict: 'refuse',
    });
  });

  it('refuses a master (a demoted one not yet converted) and an unparsable reply', () => {
    const asMaster: RoleInfo = { role: 'master', replOffset: 5000, replicas: [] };
    expect(admitReplica(asMaster, master, 0)).toEqual({
      verdict: 'refuse',
      why: 'reports role master',
    });
    const sentinel: RoleInfo = { role: 'sentinel', masterNames: ['mymaster'] };
    expect(admitReplica(sentinel, master, 0)).toEqual({
      verdict: 'refuse',
      why: 'reports role sentinel',
    });
    expect(admitReplica(undefined, master, 0)).toEqual({
      verdict: 'refuse',
      why: 'reports role unknown',
    });
  });
});
