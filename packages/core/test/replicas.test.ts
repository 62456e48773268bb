import { describe, expect, it } from 'vitest';
import {
  applyNatMap,
  filterReplicas,
  parseReplicaList,
  parseSentinelInfo,
  pickRandom,
  type ReplicaCandidate,
  toReplicaCandidate,
} from '../src/replicas.js';

/** A deterministic random source cycling through `values`. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/** A small seeded PRNG (mulberry32), so spread checks are deterministic. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// As ioredis returns one entry of `SENTINEL replicas mymaster` (Redis 7.0).
const sentinelEntry = [
  'name',
  '127.0.0.1:6380',
  'ip',
  '127.0.0.1',
  'port',
  '6380',
  'runid',
  'abc',
  'flags',
  'slave',
  'link-pending-commands',
  '0',
  'last-ok-ping-reply',
  '312',
  'master-link-down-time',
  '0',
  'master-link-status',
  'ok',
  'master-host',
  '127.0.0.1',
  'master-port',
  '6379',
  'slave-priority',
  '100',
  'slave-repl-offset',
  '123456',
];

function replica(overrides: Partial<ReplicaCandidate> = {}): ReplicaCandidate {
  return {
    host: '10.0.0.2',
    port: 6379,
    flags: ['slave'],
    masterLinkStatus: 'ok',
    masterHost: '10.0.0.1',
    masterPort: 6379,
    replOffset: 1000,
    ...overrides,
  };
}

const master = { host: '10.0.0.1', port: 6379, replOffset: 1000 };

describe('parseSentinelInfo', () => {
  it('turns a flat key/value array into an object', () => {
    const info = parseSentinelInfo(sentinelEntry);
    expect(info.ip).toBe('127.0.0.1');
    expect(info['master-link-status']).toBe('ok');
    expect(info['slave-repl-offset']).toBe('123456');
  });

  it('accepts Buffers, numbers, objects and Maps', () => {
    expect(parseSentinelInfo([Buffer.from('ip'), Buffer.from('h'), 'port', 6380])).toEqual({
      ip: 'h',
      port: '6380',
    });
    expect(parseSentinelInfo({ ip: 'h', port: 1 })).toEqual({ ip: 'h', port: '1' });
    expect(parseSentinelInfo(new Map([['ip', 'h']]))).toEqual({ ip: 'h' });
  });

  it('tolerates malformed replies', () => {
    expect(parseSentinelInfo(null)).toEqual({});
    expect(parseSentinelInfo('ERR')).toEqual({});
    expect(parseSentinelInfo(Buffer.from('x'))).toEqual({});
    expect(parseSentinelInfo(['ip', 'h', 'dangling'])).toEqual({ ip: 'h' });
    expect(parseSentinelInfo(['ip', null, 'port', '1'])).toEqual({ port: '1' });
  });
});

describe('toReplicaCandidate', () => {
  it('reads the fields discovery needs', () => {
    expect(toReplicaCandidate(parseSentinelInfo(sentinelEntry))).toStrictEqual({
      host: '127.0.0.1',
      port: 6380,
      flags: ['slave'],
      masterLinkStatus: 'ok',
      masterHost: '127.0.0.1',
      masterPort: 6379,
      replOffset: 123456,
      masterLinkDownSeconds: 0,
      lastOkPingReplyMs: 312,
    });
  });

  it('splits flags and converts the link-down time to seconds', () => {
    const candidate = toReplicaCandidate({
      ip: 'h',
      port: '1',
      flags: 's_down,slave,disconnected',
      'master-link-down-time': '2500',
      'master-host': '?',
    });
    expect(candidate?.flags).toEqual(['s_down', 'slave', 'disconnected']);
    expect(candidate?.masterLinkDownSeconds).toBe(2.5);
    expect(candidate?.masterHost).toBeUndefined();
    expect(candidate?.replOffset).toBeUndefined();
  });

  it('gives undefined without a usable address', () => {
    expect(toReplicaCandidate({ port: '1' })).toBeUndefined();
    expect(toReplicaCandidate({ ip: 'h' })).toBeUndefined();
    expect(toReplicaCandidate({ ip: 'h', port: 'x' })).toBeUndefined();
    expect(toReplicaCandidate({ ip: 'h', port: '70000' })).toBeUndefined();
  });

  it('parses whole SENTINEL replicas replies, skipping unusable entries', () => {
    expect(parseReplicaList([sentinelEntry, ['ip', 'x'], 'junk'])).toHaveLength(1);
    expect(parseReplicaList(null)).toEqual([]);
  });
});

describe('filterReplicas', () => {
  it('keeps healthy replicas in order', () => {
    const a = replica({ host: 'a' });
    const b = replica({ host: 'b' });
    expect(filterReplicas([a, b], master)).toEqual({ healthy: [a, b], rejected: [] });
  });

  it.each([
    ['down', replica({ flags: ['s_down', 'slave'] })],
    ['down', replica({ flags: ['o_down', 'slave'] })],
    ['disconnected', replica({ flags: ['slave', 'disconnected'] })],
    ['link-down', replica({ masterLinkStatus: 'err' })],
    ['link-down', replica({ masterLinkStatus: undefined })],
    ['follows-other-master', replica({ masterHost: '10.0.0.9' })],
    ['follows-other-master', replica({ masterPort: 6380 })],
    ['follows-other-master', replica({ masterHost: undefined })],
    ['is-master', replica({ host: '10.0.0.1', port: 6379 })],
  ] as const)('rejects as %s', (reason, candidate) => {
    expect(filterReplicas([candidate], master)).toEqual({
      healthy: [],
      rejected: [{ replica: candidate, reason }],
    });
  });

  it('rejects duplicates after the first', () => {
    const first = replica();
    const again = replica();
    const result = filterReplicas([first, again], master);
    expect(result.healthy).toEqual([first]);
    expect(result.rejected).toEqual([{ replica: again, reason: 'duplicate' }]);
  });

  it('applies the byte lag bound when both offsets are known', () => {
    const near = replica({ host: 'near', replOffset: 900 });
    const far = replica({ host: 'far', replOffset: 899 });
    const unknown = replica({ host: 'unknown', replOffset: undefined });
    const opts = { maxReplicationLag: { bytes: 100 } };
    const result = filterReplicas([near, far, unknown], master, opts);
    expect(result.healthy).toEqual([near, unknown]);
    expect(result.rejected).toEqual([{ replica: far, reason: 'lagging' }]);
    // Without the master's offset there is nothing to compare with.
    const noOffset = { host: master.host, port: master.port };
    expect(filterReplicas([far], noOffset, opts).healthy).toEqual([far]);
  });

  it('applies the seconds lag bound when the lag is known', () => {
    const fresh = replica({ host: 'fresh', lagSeconds: 1 });
    const stale = replica({ host: 'stale', lagSeconds: 3 });
    const unknown = replica({ host: 'unknown' });
    const result = filterReplicas([fresh, stale, unknown], master, {
      maxReplicationLag: { seconds: 2 },
    });
    expect(result.healthy).toEqual([fresh, unknown]);
    expect(result.rejected).toEqual([{ replica: stale, reason: 'lagging' }]);
  });

  it('ignores lag without a bound', () => {
    const far = replica({ replOffset: 0, lagSeconds: 999 });
    expect(filterReplicas([far], master).healthy).toEqual([far]);
  });
});

describe('pickRandom', () => {
  it('returns undefined for no items', () => {
    expect(pickRandom([], Math.random)).toBeUndefined();
  });

  it('maps the random source onto indexes', () => {
    const items = ['a', 'b', 'c', 'd'];
    const random = sequence(0, 0.25, 0.5, 0.99);
    expect([1, 2, 3, 4].map(() => pickRandom(items, random))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('clamps a source that misbehaves', () => {
    const items = ['a', 'b'];
    expect(pickRandom(items, () => 1)).toBe('b');
    expect(pickRandom(items, () => -0.5)).toBe('a');
    expect(pickRandom(items, () => Number.NaN)).toBe('a');
  });

  it('spreads picks evenly and repeats them for the same seed', () => {
    const items = ['a', 'b', 'c'];
    const draw = (seed: number) => {
      const random = seeded(seed);
      return Array.from({ length: 3000 }, () => pickRandom(items, random));
    };
    const picks = draw(42);
    expect(draw(42)).toEqual(picks);
    for (const item of items) {
      const count = picks.filter((p) => p === item).length;
      expect(count).toBeGreaterThan(900);
      expect(count).toBeLessThan(1100);
    }
  });
});

describe('applyNatMap', () => {
  const address = { host: '172.17.0.2', port: 6379 };

  it('returns the address unchanged without a map or a match', () => {
    expect(applyNatMap(address, undefined)).toBe(address);
    expect(applyNatMap(address, { '172.17.0.3:6379': { host: 'x', port: 1 } })).toEqual(address);
  });

  it('looks up "host:port" in a table', () => {
    const natMap = { '172.17.0.2:6379': { host: 'localhost', port: 16379 } };
    expect(applyNatMap(address, natMap)).toEqual({ host: 'localhost', port: 16379 });
  });

  it('accepts IPv6 keys with or without brackets', () => {
    const v6 = { host: 'fd00::2', port: 6379 };
    const target = { host: 'localhost', port: 1 };
    expect(applyNatMap(v6, { 'fd00::2:6379': target })).toEqual(target);
    expect(applyNatMap(v6, { '[fd00::2]:6379': target })).toEqual(target);
  });

  it('does not match inherited properties', () => {
    expect(applyNatMap({ host: 'constructor', port: 1 }, {})).toEqual({
      host: 'constructor',
      port: 1,
    });
  });

  it('calls a function, keeping the address when it returns nothing', () => {
    expect(applyNatMap(address, (a) => ({ host: 'nat', port: a.port + 1 }))).toEqual({
      host: 'nat',
      port: 6380,
    });
    expect(applyNatMap(address, () => null)).toEqual(address);
  });
});
