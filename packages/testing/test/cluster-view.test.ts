import { describe, expect, it } from 'vitest';
import { resolveClusterOptions } from '../src/cluster-options.js';
import {
  assessCluster,
  type ClusterNodeView,
  masterOfSlot,
  parseClusterNodes,
  splitSlots,
} from '../src/cluster-view.js';
import { dataNodeConfig } from '../src/config.js';

const NODES = [
  'a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460',
  'b2 127.0.0.1:7001@17001 master - 0 1 2 connected 5461-10922 [10923->-c3]',
  'c3 127.0.0.1:7002@17002,host-c master,fail - 0 1 3 disconnected',
  'd4 127.0.0.1:7003@17003 slave a1 0 1 1 connected',
  'e5 127.0.0.1:7004@17004 master - 0 1 4 connected 10923 10924-16383',
].join('\n');

describe('parseClusterNodes()', () => {
  it('reads ids, addresses, flags, masters, link state and slots (migration markers left out)', () => {
    const entries = parseClusterNodes(`${NODES}\n`);
    expect(entries.map((e) => [e.id, e.address, e.masterId, e.linkState])).toEqual([
      ['a1', '127.0.0.1:7000', undefined, 'connected'],
      ['b2', '127.0.0.1:7001', undefined, 'connected'],
      ['c3', '127.0.0.1:7002', undefined, 'disconnected'],
      ['d4', '127.0.0.1:7003', 'a1', 'connected'],
      ['e5', '127.0.0.1:7004', undefined, 'connected'],
    ]);
    expect(entries[1]?.slots).toEqual([[5461, 10922]]);
    expect(entries[2]?.flags).toEqual(['master', 'fail']);
    expect(entries[4]?.slots).toEqual([
      [10923, 10923],
      [10924, 16383],
    ]);
    expect(masterOfSlot(entries, 10923)?.id).toBe('e5');
    expect(masterOfSlot(entries, 0)?.id).toBe('a1');
  });
});

describe('splitSlots()', () => {
  it('covers every slot once, evenly, like redis-cli --cluster create', () => {
    expect(splitSlots(3)).toEqual([
      [0, 5460],
      [5461, 10922],
      [10923, 16383],
    ]);
    expect(splitSlots(1)).toEqual([[0, 16383]]);
  });
});

describe('assessCluster()', () => {
  const ok = { cluster_state: 'ok', cluster_slots_ok: '16384', cluster_known_nodes: '2' };
  const entries = (me: 0 | 1) =>
    parseClusterNodes(
      [
        `m1 127.0.0.1:7000@1 ${me === 0 ? 'myself,' : ''}master - 0 0 1 connected 0-16383`,
        `r1 127.0.0.1:7001@1 ${me === 1 ? 'myself,' : ''}slave m1 0 0 1 connected`,
      ].join('\n'),
    );
  const views = (link: string): ClusterNodeView[] => [
    { node: '127.0.0.1:7000', entries: entries(0), info: ok, masterLinkStatus: undefined },
    { node: '127.0.0.1:7001', entries: entries(1), info: ok, masterLinkStatus: link },
  ];
  const expected = { runningNodes: ['127.0.0.1:7000', '127.0.0.1:7001'], totalNodes: 2 };

  it('is ready when all agree, all slots are ok and the replica is linked', () => {
    expect(assessCluster(views('up'), expected)).toEqual({ ready: true });
  });

  it('waits for a replica link, full slot coverage, every node known and a running master', () => {
    expect(assessCluster(views('down'), expected)).toMatchObject({
      ready: false,
      reason: expect.stringContaining('master_link_status:down'),
    });
    const [first, second] = views('up') as [ClusterNodeView, ClusterNodeView];
    const partial = { ...first, info: { ...ok, cluster_slots_ok: '16000' } };
    expect(assessCluster([partial, second], expected)).toMatchObject({
      reason: expect.stringContaining('cluster_slots_ok:16000'),
    });
    expect(assessCluster(views('up'), { ...expected, totalNodes: 3 })).toMatchObject({
      reason: expect.stringContaining('knows 2 of 3 nodes'),
    });
    expect(
      assessCluster([second], { runningNodes: ['127.0.0.1:7001'], totalNodes: 2 }),
    ).toMatchObject({ reason: expect.stringContaining('not running') });
  });
});

describe('resolveClusterOptions()', () => {
  it('applies defaults', () => {
    expect(resolveClusterOptions({})).toMatchObject({
      masterCount: 3,
      replicasPerMaster: 1,
      nodeTimeoutMs: 1000,
      requireFullCoverage: true,
      readyTimeoutMs: 30_000,
    });
  });

  it.each([
    [{ masters: 0 }, 'masters'],
    [{ masters: 1.5 }, 'masters'],
    [{ replicasPerMaster: -1 }, 'replicasPerMaster'],
    [{ nodeTimeoutMs: 10 }, 'nodeTimeoutMs'],
    [{ requireFullCoverage: 'yes' as never }, 'requireFullCoverage'],
    [{ username: 'app' }, 'username'],
  ])('%o is an INVALID_OPTION error naming "%s"', (options, name) => {
    expect(() => resolveClusterOptions(options)).toThrow(
      expect.objectContaining({
        name: 'TopologyError',
        code: 'INVALID_OPTION',
        message: expect.stringContaining(`"${name}"`),
      }),
    );
  });
});

describe('cluster node config', () => {
  it('enables the cluster with its own bus port, node timeout and coverage rule', () => {
    const text = dataNodeConfig({
      host: '127.0.0.1',
      port: 7000,
      auth: {},
      cluster: { busPort: 9000, nodeTimeoutMs: 1500, requireFullCoverage: false },
    });
    expect(text).toContain('cluster-enabled yes\n');
    expect(text).toContain('cluster-port 9000\n');
    expect(text).toContain('cluster-node-timeout 1500\n');
    expect(text).toContain('cluster-require-full-coverage no\n');
    expect(dataNodeConfig({ host: '127.0.0.1', port: 7000, auth: {} })).not.toContain('cluster');
  });
});

describe('assessCluster() agreement', () => {
  it('waits until every node agrees on each running node’s role (a planned failover gossiped)', () => {
    const ok = { cluster_state: 'ok', cluster_slots_ok: '16384', cluster_known_nodes: '2' };
    const after = [
      'r1 127.0.0.1:7001@1 myself,master - 0 0 2 connected 0-16383',
      'm1 127.0.0.1:7000@1 slave r1 0 0 2 connected',
    ].join('\n');
    // The old master has not heard yet that it is a replica now… and nobody else has either.
    const stale = [
      'm1 127.0.0.1:7000@1 myself,master - 0 0 1 connected',
      'r1 127.0.0.1:7001@1 master - 0 0 2 connected 0-16383',
    ].join('\n');
    const view = (node: string, text: string, link?: string): ClusterNodeView => ({
      node,
      entries: parseClusterNodes(text),
      info: ok,
      masterLinkStatus: link,
    });
    const expected = { runningNodes: ['127.0.0.1:7000', '127.0.0.1:7001'], totalNodes: 2 };
    expect(
      assessCluster([view('127.0.0.1:7001', after), view('127.0.0.1:7000', stale)], expected),
    ).toMatchObject({ ready: false, reason: expect.stringContaining('disagree') });
  });
});
