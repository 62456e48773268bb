// `sentinelkit status` on a cluster, the pure part: CLUSTER NODES / CLUSTER INFO as redis-server
// 7.0 writes them → shards, links, slot coverage → a verdict and its text.
import { describe, expect, it } from 'vitest';
import {
  assessCluster,
  type ClusterReport,
  clusterStateOf,
  parseClusterNodes,
  renderClusterReport,
} from '../src/cluster-report.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const NODES = [
  `${A} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460`,
  `${B} 127.0.0.1:7001@17001 master - 0 1733356800000 2 connected 5461-10922`,
  `${C} 127.0.0.1:7002@17002 master - 0 1733356800000 3 connected 10923-16383`,
  `${'d'.repeat(40)} 127.0.0.1:7003@17003 slave ${A} 0 1733356800000 1 connected`,
  `${'e'.repeat(40)} 127.0.0.1:7004@17004 slave ${B} 0 1733356800000 2 connected`,
  `${'f'.repeat(40)} 127.0.0.1:7005@17005 slave ${C} 0 1733356800000 3 connected`,
  '',
].join('\n');

const report = (nodes: string, state = 'ok'): ClusterReport => ({
  checkedAt: 0,
  askedNode: '127.0.0.1:7000',
  unreachable: [],
  clusterState: state,
  nodes: parseClusterNodes(nodes),
});

describe('parseClusterNodes / clusterStateOf', () => {
  it('reads role, master, flags, link and slots of each line', () => {
    const nodes = parseClusterNodes(NODES);
    expect(nodes).toHaveLength(6);
    expect(nodes[0]).toEqual({
      id: A,
      address: '127.0.0.1:7000',
      role: 'master',
      masterId: undefined,
      flags: [],
      link: 'connected',
      slots: [[0, 5460]],
    });
    expect(nodes[3]).toMatchObject({ role: 'replica', masterId: A, slots: [] });
    expect(
      parseClusterNodes(`${A} 127.0.0.1:7000@17000 master - 0 0 1 connected 1 3-4 [5->-${B}]`)[0]
        ?.slots,
    ).toEqual([
      [1, 1],
      [3, 4],
    ]);
    expect(clusterStateOf('cluster_state:fail\r\ncluster_slots_ok:0\r\n')).toBe('fail');
  });
});

describe('assessCluster', () => {
  it('is healthy with every slot on a healthy master and a linked replica per shard', () => {
    const assessment = assessCluster(report(NODES));
    expect(assessment).toMatchObject({ verdict: 'healthy', slotsCovered: 16384, problems: [] });
    expect(
      assessment.shards.map((s) => [s.master.address, s.replicas.map((r) => r.address)]),
    ).toEqual([
      ['127.0.0.1:7000', ['127.0.0.1:7003']],
      ['127.0.0.1:7001', ['127.0.0.1:7004']],
      ['127.0.0.1:7002', ['127.0.0.1:7005']],
    ]);
  });

  it('is down while a master is failing (its slots uncovered, cluster_state fail)', () => {
    const failed = NODES.replace(
      `${B} 127.0.0.1:7001@17001 master - 0 1733356800000 2 connected`,
      `${B} 127.0.0.1:7001@17001 master,fail - 0 1733356800000 2 disconnected`,
    );
    const assessment = assessCluster(report(failed, 'fail'));
    expect(assessment.verdict).toBe('down');
    expect(assessment.slotsCovered).toBe(16384 - 5462);
    expect(assessment.problems).toEqual([
      'cluster_state is fail',
      '5462 slot(s) have no healthy master',
      '127.0.0.1:7001 is fail, link disconnected',
    ]);
  });

  it('is degraded when a shard has no healthy replica, naming it and the node', () => {
    const lost = NODES.replace(
      `127.0.0.1:7004@17004 slave ${B} 0 1733356800000 2 connected`,
      `127.0.0.1:7004@17004 slave,fail? ${B} 0 1733356800000 2 disconnected`,
    );
    const assessment = assessCluster(report(lost));
    expect(assessment.verdict).toBe('degraded');
    expect(assessment.problems).toEqual([
      'shard 5461-10922 has no healthy replica',
      '127.0.0.1:7004 is fail?, link disconnected',
    ]);
    expect(renderClusterReport(report(lost), assessment)).toBe(
      [
        'cluster: DEGRADED (asked 127.0.0.1:7000; cluster_state ok; slots covered 16384/16384)',
        'shard 0-5460',
        '  master   127.0.0.1:7000 (link connected)',
        '  replica  127.0.0.1:7003 (link connected)',
        'shard 5461-10922',
        '  master   127.0.0.1:7001 (link connected)',
        '  replica  127.0.0.1:7004 (link disconnected, fail?)',
        'shard 10923-16383',
        '  master   127.0.0.1:7002 (link connected)',
        '  replica  127.0.0.1:7005 (link connected)',
        '! shard 5461-10922 has no healthy replica',
        '! 127.0.0.1:7004 is fail?, link disconnected',
        '',
      ].join('\n'),
    );
  });

  it('is unreachable when no seed node answered', () => {
    const none: ClusterReport = {
      checkedAt: 0,
      askedNode: undefined,
      unreachable: [{ node: '127.0.0.1:7000', error: 'connect ECONNREFUSED' }],
      clusterState: undefined,
      nodes: [],
    };
    expect(assessCluster(none).verdict).toBe('unreachable');
    expect(renderClusterReport(none)).toContain('unreachable 127.0.0.1:7000: connect ECONNREFUSED');
  });
});
