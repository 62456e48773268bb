import { describe, expect, it } from 'vitest';
import { assessHealth, type SentinelView, toReplicaView } from '../src/health.js';

const master = { host: '127.0.0.1', port: 7000 };
const replica = (port: number, overrides: Partial<Record<string, string>> = {}) =>
  toReplicaView(
    Object.entries({
      ip: '127.0.0.1',
      port: String(port),
      flags: 'slave',
      'master-link-status': 'ok',
      'master-host': '127.0.0.1',
      'master-port': '7000',
      ...overrides,
    }).flat(),
  );
const view = (name: string, replicas = [replica(7001), replica(7002)]): SentinelView => ({
  sentinel: name,
  master,
  replicas,
  peersUp: 2,
});
const expectation = {
  runningDataNodes: [master, { host: '127.0.0.1', port: 7001 }, { host: '127.0.0.1', port: 7002 }],
  runningSentinels: 3,
};

describe('assessHealth', () => {
  it('is healthy when every sentinel agrees and sees every replica linked to the master', () => {
    const verdict = assessHealth([view('s0'), view('s1'), view('s2')], expectation);
    expect(verdict).toEqual({ healthy: true, master });
  });

  it.each([
    ['a sentinel errors', [{ sentinel: 's0', error: 'ECONNREFUSED' }], /s0: ECONNREFUSED/],
    ['no master known', [{ ...view('s0'), master: null }], /knows no master/],
    [
      'sentinels disagree',
      [view('s0'), { ...view('s1'), master: { host: '127.0.0.1', port: 7001 } }],
      /disagree/,
    ],
    ['a replica is missing', [view('s0', [replica(7001)])], /does not list replica 127.0.0.1:7002/],
    [
      'a replica is s_down',
      [view('s0', [replica(7001), replica(7002, { flags: 'slave,s_down' })])],
      /s_down/,
    ],
    [
      'a replica link is down',
      [view('s0', [replica(7001), replica(7002, { 'master-link-status': 'err' })])],
      /link to master is err/,
    ],
    [
      'a replica follows another master',
      [view('s0', [replica(7001), replica(7002, { 'master-port': '7009' })])],
      /still follows 127.0.0.1:7009/,
    ],
    ['a sentinel misses peers', [{ ...view('s0'), peersUp: 1 }], /sees 1 of 2 other sentinels/],
  ])('is not healthy when %s', (_, views, reason) => {
    const verdict = assessHealth(views as SentinelView[], expectation);
    expect(verdict.healthy).toBe(false);
    expect(verdict.healthy === false && verdict.reason).toMatch(reason);
  });

  it('ignores data nodes that are not running (killed or frozen)', () => {
    const verdict = assessHealth([view('s0', [replica(7001)])], {
      runningDataNodes: expectation.runningDataNodes.slice(0, 2),
      runningSentinels: 1,
    });
    expect(verdict).toEqual({ healthy: true, master });
  });

  it('is not healthy when the named master is not running', () => {
    const verdict = assessHealth([view('s0')], {
      runningDataNodes: expectation.runningDataNodes.slice(1),
      runningSentinels: 1,
    });
    expect(verdict).toMatchObject({ healthy: false, reason: expect.stringMatching(/not running/) });
  });
});
