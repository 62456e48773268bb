import { describe, expect, it } from 'vitest';
import { chooseReadTarget, commandKind } from '../src/routing.js';

describe('commandKind', () => {
  it.each(['get', 'GET', 'mget', 'hgetall', 'exists', 'ttl', 'zrange', 'xread', 'eval_ro'])(
    '%s is a read',
    (name) => {
      expect(commandKind(name)).toBe('read');
    },
  );

  it.each(['set', 'del', 'incr', 'expire', 'eval', 'evalsha', 'multi', 'exec', 'publish'])(
    '%s is a write',
    (name) => {
      expect(commandKind(name)).toBe('write');
    },
  );

  // Read-only in Redis's table, but their cursors and bulk deletes need the master.
  it.each(['scan', 'SCAN', 'sscan', 'hscan', 'zscan', 'keys'])('%s runs on the master', (name) => {
    expect(commandKind(name)).toBe('write');
  });

  it.each(['ping', 'info', 'sentinel', 'json.get', 'no-such-command', ''])(
    '%j (not read-only or unknown) runs on the master',
    (name) => {
      expect(commandKind(name)).toBe('write');
    },
  );
});

describe('chooseReadTarget', () => {
  const replicas = ['r1', 'r2', 'r3'];
  const first = () => 0;
  const last = () => 0.999;

  it("'replica' picks a random replica", () => {
    expect(chooseReadTarget('replica', replicas, first)).toEqual({ kind: 'replica', node: 'r1' });
    expect(chooseReadTarget('replica', replicas, last)).toEqual({ kind: 'replica', node: 'r3' });
  });

  it("'replica' falls back to the master when none is healthy", () => {
    expect(chooseReadTarget('replica', [], first)).toEqual({ kind: 'master' });
  });

  it("'master' always reads from the master", () => {
    expect(chooseReadTarget('master', replicas, first)).toEqual({ kind: 'master' });
  });

  it("'replica-only' picks a replica or none", () => {
    expect(chooseReadTarget('replica-only', replicas, last)).toEqual({
      kind: 'replica',
      node: 'r3',
    });
    expect(chooseReadTarget('replica-only', [], first)).toEqual({ kind: 'none' });
  });

  it('does not consume randomness when the choice is fixed', () => {
    let calls = 0;
    const counting = () => {
      calls++;
      return 0;
    };
    chooseReadTarget('master', replicas, counting);
    chooseReadTarget('replica', [], counting);
    expect(calls).toBe(0);
  });
});
