// `sentinelkit watch` on a cluster, the pure part: what changed between two views (CLUSTER NODES
// / CLUSTER INFO as redis-server 7.0 writes them), the lines a failover and its aftermath print.
import { resolveClusterOptions } from '@sentinelkit/core';
import { startFakeRedis } from '@sentinelkit/testing';
import { describe, expect, it } from 'vitest';
import { assessCluster, type ClusterReport, parseClusterNodes } from '../src/cluster-report.js';
import {
  type ClusterChange,
  type ClusterView,
  clusterChanges,
  watchCluster,
} from '../src/cluster-watch.js';

const [A, B, C, D, E, F] = ['a', 'b', 'c', 'd', 'e', 'f'].map((c) => c.repeat(40));
const line = (id: string, port: number, flags: string, master: string, link: string, slots = '') =>
  `${id} 127.0.0.1:${port}@${port + 10000} ${flags} ${master} 0 0 1 ${link} ${slots}`.trimEnd();
const HEALTHY = [
  line(A!, 7000, 'myself,master', '-', 'connected', '0-5460'),
  line(B!, 7001, 'master', '-', 'connected', '5461-10922'),
  line(C!, 7002, 'master', '-', 'connected', '10923-16383'),
  line(D!, 7003, 'slave', A!, 'connected'),
  line(E!, 7004, 'slave', B!, 'connected'),
  line(F!, 7005, 'slave', C!, 'connected'),
];

/** A view as one node answers it (`askedNode` null: no node answered). */
const view = (lines: string[], state = 'ok', asked: string | null = '127.0.0.1:7000') => {
  const askedNode = asked ?? undefined;
  const report: ClusterReport = {
    checkedAt: 0,
    askedNode,
    unreachable: [],
    clusterState: askedNode === undefined ? undefined : state,
    nodes: askedNode === undefined ? [] : parseClusterNodes(lines.join('\n')),
  };
  return { report, assessment: assessCluster(report) } satisfies ClusterView;
};

describe('clusterChanges', () => {
  it('nothing changed: no lines', () => {
    expect(clusterChanges(view(HEALTHY), view(HEALTHY))).toEqual([]);
  });

  it("a shard's master fails: flags, link, coverage, cluster_state and verdict", () => {
    const failing = [...HEALTHY];
    failing[1] = line(B!, 7001, 'master,fail', '-', 'disconnected', '5461-10922');
    expect(clusterChanges(view(HEALTHY), view(failing, 'fail'))).toEqual([
      { type: 'verdict', message: 'healthy -> down' },
      { type: 'cluster-state', message: 'ok -> fail' },
      { type: 'slot-coverage', message: '16384/16384 -> 10922/16384' },
      { type: 'link', message: '127.0.0.1:7001: connected -> disconnected' },
      { type: 'flags', message: '127.0.0.1:7001: none -> fail' },
    ]);
  });

  it('its replica is promoted: the new master, the replica gone from the shard', () => {
    const failing = [...HEALTHY];
    failing[1] = line(B!, 7001, 'master,fail', '-', 'disconnected', '5461-10922');
    const promoted = [...failing];
    promoted[1] = line(B!, 7001, 'master,fail', '-', 'disconnected');
    promoted[4] = line(E!, 7004, 'master', '-', 'connected', '5461-10922');
    expect(clusterChanges(view(failing, 'fail'), view(promoted))).toEqual([
      { type: 'verdict', message: 'down -> degraded' },
      { type: 'cluster-state', message: 'fail -> ok' },
      { type: 'slot-coverage', message: '10922/16384 -> 16384/16384' },
      { type: 'master', message: 'shard 5461-10922: 127.0.0.1:7001 -> 127.0.0.1:7004' },
      { type: 'replica-removed', message: 'shard 5461-10922: 127.0.0.1:7004' },
    ]);
  });

  it('the old master comes back as a replica of the new one', () => {
    const promoted = [...HEALTHY];
    promoted[1] = line(B!, 7001, 'master,fail', '-', 'disconnected');
    promoted[4] = line(E!, 7004, 'master', '-', 'connected', '5461-10922');
    const rejoined = [...promoted];
    rejoined[1] = line(B!, 7001, 'slave', E!, 'connected');
    expect(clusterChanges(view(promoted), view(rejoined))).toEqual([
      { type: 'verdict', message: 'degraded -> healthy' },
      { type: 'replica-added', message: 'shard 5461-10922: 127.0.0.1:7001' },
      { type: 'link', message: '127.0.0.1:7001: disconnected -> connected' },
      { type: 'flags', message: '127.0.0.1:7001: fail -> none' },
    ]);
  });

  it('no node answers, then one does: the cluster-wide lines only (no list to compare with)', () => {
    const gone = view(HEALTHY, 'ok', null);
    expect(clusterChanges(view(HEALTHY), gone)).toEqual([
      { type: 'asked-node', message: '127.0.0.1:7000 -> none' },
      { type: 'verdict', message: 'healthy -> unreachable' },
      { type: 'cluster-state', message: 'ok -> unknown' },
      { type: 'slot-coverage', message: '16384/16384 -> 0/16384' },
    ]);
    expect(clusterChanges(gone, view(HEALTHY, 'ok', '127.0.0.1:7001'))).toEqual([
      { type: 'asked-node', message: 'none -> 127.0.0.1:7001' },
      { type: 'verdict', message: 'unreachable -> healthy' },
      { type: 'cluster-state', message: 'unknown -> ok' },
      { type: 'slot-coverage', message: '0/16384 -> 16384/16384' },
    ]);
  });

  it('a node joins and one leaves the node list', () => {
    const joined = [...HEALTHY, line('9'.repeat(40), 7006, 'slave', A!, 'connected')];
    expect(clusterChanges(view(HEALTHY), view(joined))).toEqual([
      { type: 'replica-added', message: 'shard 0-5460: 127.0.0.1:7006' },
      { type: 'node-added', message: '127.0.0.1:7006 (replica)' },
    ]);
    expect(clusterChanges(view(joined), view(HEALTHY))).toEqual([
      { type: 'replica-removed', message: 'shard 0-5460: 127.0.0.1:7006' },
      { type: 'node-removed', message: '127.0.0.1:7006 (replica)' },
    ]);
  });
});

// The polling loop, against a fake node whose answers the test changes (a real cluster cannot be
// made to lose every node and come back on cue): a change is reported once, an outage of every
// seed node only by the cluster-wide lines, and what changed during it against the last answer.
describe('watchCluster', () => {
  it('reports each change once, and after an outage compares with the last answer', async () => {
    let nodes = HEALTHY;
    let answering = true;
    const fake = await startFakeRedis((args) => {
      if (!answering) return 'close';
      const [command, sub] = args.map((a) => a.toUpperCase());
      if (command === 'INFO') return 'loading:0\r\n'; // ioredis' ready check
      if (command !== 'CLUSTER') return undefined;
      return sub === 'NODES' ? `${nodes.join('\n')}\n` : 'cluster_state:ok\r\n';
    });
    const options = resolveClusterOptions(`redis+cluster://127.0.0.1:${fake.port}`, {
      connectTimeout: 500,
      commandTimeout: 500,
    });
    const seen: ClusterChange[][] = [];
    let notify = () => {};
    const watch = watchCluster(
      options,
      (changes) => {
        seen.push(changes);
        notify();
      },
      10,
    );
    const next = () =>
      new Promise<ClusterChange[]>((resolve) => {
        const count = seen.length;
        notify = () => {
          if (seen.length > count) resolve(seen[count]!);
        };
      });
    try {
      const first = await watch.ready;
      expect(first.report.unreachable).toEqual([]);
      expect(first.assessment.verdict).toBe('healthy');
      const fake7000 = `127.0.0.1:${fake.port}`;

      const replicaGone = next();
      nodes = HEALTHY.filter((l) => !l.includes(':7005@'));
      expect(await replicaGone).toEqual([
        { type: 'verdict', message: 'healthy -> degraded' },
        { type: 'replica-removed', message: 'shard 10923-16383: 127.0.0.1:7005' },
        { type: 'node-removed', message: '127.0.0.1:7005 (replica)' },
      ]);

      const outage = next();
      answering = false;
      expect(await outage).toEqual([
        { type: 'asked-node', message: `${fake7000} -> none` },
        { type: 'verdict', message: 'degraded -> unreachable' },
        { type: 'cluster-state', message: 'ok -> unknown' },
        { type: 'slot-coverage', message: '16384/16384 -> 0/16384' },
      ]);

      // During the outage shard 5461-10922 failed over; the first answer after it says so.
      const back = next();
      nodes = nodes.map((l) =>
        l.includes(':7001@')
          ? line(B!, 7001, 'master,fail', '-', 'disconnected')
          : l.includes(':7004@')
            ? line(E!, 7004, 'master', '-', 'connected', '5461-10922')
            : l,
      );
      answering = true;
      expect(await back).toEqual([
        { type: 'asked-node', message: `none -> ${fake7000}` },
        { type: 'verdict', message: 'unreachable -> degraded' },
        { type: 'cluster-state', message: 'unknown -> ok' },
        { type: 'slot-coverage', message: '0/16384 -> 16384/16384' },
        { type: 'master', message: 'shard 5461-10922: 127.0.0.1:7001 -> 127.0.0.1:7004' },
        { type: 'replica-removed', message: 'shard 5461-10922: 127.0.0.1:7004' },
        { type: 'link', message: '127.0.0.1:7001: connected -> disconnected' },
        { type: 'flags', message: '127.0.0.1:7001: none -> fail' },
      ]);
      // Each change once: the polls since have found nothing new.
      expect(seen).toHaveLength(3);
    } finally {
      await watch.stop();
      await fake.close();
    }
  });
});
