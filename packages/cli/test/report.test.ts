import { describe, expect, it } from 'vitest';
import { assessReport, type DeploymentReport, exitCodeOf, renderReport } from '../src/report.js';

const healthy = (): DeploymentReport => ({
  masterName: 'mymaster',
  checkedAt: 0,
  sentinels: ['s1:26379', 's2:26379', 's3:26379'].map((address) => ({
    address,
    reachable: true,
    master: 'm:6379',
    epoch: 3,
    masterFlags: ['master'],
    quorumOk: true,
    quorumMessage: 'OK 3 usable Sentinels',
    peersUp: 2,
  })),
  master: { address: 'm:6379', reachable: true, role: 'master', offset: 1000 },
  replicas: ['r1:6379', 'r2:6379'].map((address) => ({
    address,
    flags: ['slave'],
    linkStatus: 'ok',
    sentinelFollows: 'm:6379',
    role: 'replica',
    following: 'm:6379',
    linkState: 'connected',
    lagBytes: 0,
    lagSeconds: 0,
  })),
});

describe('assessReport', () => {
  it('is healthy when everything agrees and every replica is in sync', () => {
    const assessment = assessReport(healthy());
    expect(assessment).toMatchObject({
      verdict: 'healthy',
      problems: [],
      sentinelsAgree: true,
      quorum: true,
    });
    expect(assessment.healthyReplicas).toEqual(['r1:6379', 'r2:6379']);
    expect(exitCodeOf(assessment.verdict)).toBe(0);
  });

  it.each<[string, (r: DeploymentReport) => void, RegExp]>([
    [
      'a frozen replica',
      (r) => (r.replicas[0]!.error = 'no answer: Command timed out'),
      /r1:6379: no answer/,
    ],
    [
      'a replica Sentinel flags down',
      (r) => (r.replicas[1]!.flags = ['slave', 's_down']),
      /flagged s_down/,
    ],
    ['a replica with its link down', (r) => (r.replicas[0]!.linkStatus = 'err'), /master link err/],
    [
      'a replica of another master',
      (r) => (r.replicas[0]!.following = 'old:6379'),
      /follows old:6379/,
    ],
    ['a replica still syncing', (r) => (r.replicas[0]!.linkState = 'sync'), /replication sync/],
    [
      'an unreachable sentinel',
      (r) => Object.assign(r.sentinels[2]!, { reachable: false, error: 'ECONNREFUSED' }),
      /s3:26379 unreachable/,
    ],
    ['sentinels that disagree', (r) => (r.sentinels[1]!.master = 'x:6379'), /disagree/],
    [
      'no quorum',
      (r) => {
        for (const s of r.sentinels) {
          Object.assign(s, { quorumOk: false, quorumMessage: 'NOQUORUM 1 usable Sentinels' });
        }
      },
      /no failover quorum: NOQUORUM/,
    ],
    ['no replica at all', (r) => (r.replicas = []), /no healthy replica/],
  ])('is degraded with %s', (_, mutate, problem) => {
    const report = healthy();
    mutate(report);
    const assessment = assessReport(report);
    expect(assessment.verdict).toBe('degraded');
    expect(assessment.problems.join('\n')).toMatch(problem);
    expect(exitCodeOf(assessment.verdict)).toBe(1);
  });

  it.each<[string, (r: DeploymentReport) => void, RegExp]>([
    [
      'a master that does not answer',
      (r) => (r.master = { address: 'm:6379', reachable: false, error: 'timed out' }),
      /does not answer/,
    ],
    ['a master that is a replica', (r) => (r.master!.role = 'replica'), /reports role replica/],
  ])('is down with %s', (_, mutate, problem) => {
    const report = healthy();
    mutate(report);
    const assessment = assessReport(report);
    expect(assessment.verdict).toBe('down');
    expect(assessment.problems[0]).toMatch(problem);
    expect(exitCodeOf(assessment.verdict)).toBe(2);
  });
});

describe('assessReport when the sentinels cannot tell', () => {
  const noMaster = (r: DeploymentReport) => {
    r.master = undefined;
    r.replicas = [];
  };
  it.each<[string, (r: DeploymentReport) => void, string, number, RegExp]>([
    [
      'no sentinel reachable',
      (r) => {
        noMaster(r);
        for (const s of r.sentinels) Object.assign(s, { reachable: false, error: 'ECONNREFUSED' });
      },
      'unreachable',
      3,
      /^no sentinel is reachable$/,
    ],
    [
      'every sentinel refusing the credentials',
      (r) => {
        noMaster(r);
        for (const s of r.sentinels) {
          Object.assign(s, {
            reachable: false,
            refused: true,
            error: 'NOAUTH Authentication required.',
          });
        }
      },
      'refused',
      4,
      /sentinels refuse our credentials: set SENTINELKIT_SENTINEL_PASSWORD/,
    ],
    [
      'a master name no sentinel monitors',
      (r) => {
        noMaster(r);
        for (const s of r.sentinels) {
          Object.assign(s, {
            master: undefined,
            quorumOk: false,
            quorumMessage: 'ERR No such master with that name',
          });
        }
      },
      'unknown-master',
      5,
      /no sentinel monitors a master named "mymaster"/,
    ],
  ])('says so in its own words with %s', (_, mutate, verdict, code, problem) => {
    const report = healthy();
    mutate(report);
    const assessment = assessReport(report);
    expect(assessment.verdict).toBe(verdict);
    expect(assessment.problems[0]).toMatch(problem);
    expect(assessment.problems.join('\n')).not.toMatch(/disagree|none/);
    expect(exitCodeOf(assessment.verdict)).toBe(code);
    const text = renderReport(report, assessment);
    expect(text).not.toMatch(/DISAGREE|disagree/);
    if (verdict === 'refused') expect(text).toMatch(/sentinel +s1:26379 +refused \(NOAUTH\)/);
  });

  const TLS_HINT = 'if the sentinels accept only TLS, set "sentinelTls"';

  function noSentinel(errors: { error: string; hint?: string }[]) {
    const report = healthy();
    report.master = undefined;
    report.replicas = [];
    report.sentinels.forEach((s, i) => {
      Object.assign(s, { reachable: false, ...errors[i % errors.length] });
    });
    return assessReport(report);
  }

  it('no sentinel reachable, each closing the connection: the hint core gave (TLS)', () => {
    const assessment = noSentinel([{ error: 'Connection is closed.', hint: TLS_HINT }]);
    expect(assessment.verdict).toBe('unreachable');
    expect(assessment.problems[0]).toBe(`no sentinel is reachable (${TLS_HINT})`);
  });

  it('the TLS hint only when every sentinel closed the connection, not one of them (review item 8)', () => {
    const assessment = noSentinel([
      { error: 'Connection is closed.', hint: TLS_HINT },
      { error: 'connect ECONNREFUSED 127.0.0.1:26379' },
    ]);
    expect(assessment.problems[0]).toBe('no sentinel is reachable');
  });

  it('no TLS hint when the connection was closed with TLS on (core gives none then)', () => {
    const assessment = noSentinel([{ error: 'Connection is closed.' }]);
    expect(assessment.problems[0]).toBe('no sentinel is reachable');
  });

  it('a sentinel that does not monitor the name (others do) is a problem of its own, not a disagreement', () => {
    const report = healthy();
    delete report.sentinels[2]!.master;
    const assessment = assessReport(report);
    expect(assessment.verdict).toBe('degraded');
    expect(assessment.sentinelsAgree).toBe(true);
    expect(assessment.problems).toEqual(['sentinel s3:26379 does not monitor "mymaster"']);
  });
});

describe('renderReport', () => {
  it('prints one row per node, the verdict and the problems', () => {
    const report = healthy();
    report.replicas[0]!.error = 'no answer: Command timed out';
    const text = renderReport(report);
    expect(text.split('\n')[0]).toBe(
      'mymaster: DEGRADED  (sentinels agree, quorum ok, 1/2 replicas healthy)',
    );
    for (const address of ['m:6379', 'r1:6379', 'r2:6379', 's1:26379', 's2:26379', 's3:26379']) {
      expect(text).toContain(address);
    }
    expect(text).toMatch(/replica +r1:6379 .* no answer: Command timed out/);
    expect(text).toMatch(/problems:\n {2}- replica r1:6379: no answer/);
  });
});
