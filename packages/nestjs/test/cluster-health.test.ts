// The cluster health decision on recorded inputs: CLUSTER INFO and CLUSTER SLOTS replies as
// redis-server 7.0 writes them, and the client's topology (verified masters, replicas in rotation).
import type { NodeAddress, RoutedTopology } from '@sentinelkit/core';
import { describe, expect, it } from 'vitest';
import {
  assessCluster,
  parseClusterInfo,
  parseClusterSlots,
  whyClusterClientIsDown,
} from '../src/health/index.js';

const INFO_OK = [
  'cluster_state:ok',
  'cluster_slots_assigned:16384',
  'cluster_slots_ok:16384',
  'cluster_slots_pfail:0',
  'cluster_slots_fail:0',
  'cluster_known_nodes:6',
  'cluster_size:3',
  'cluster_current_epoch:6',
  'cluster_my_epoch:1',
  '',
].join('\r\n');

// A master of shard 1 flagged failed, before its replica is promoted.
const INFO_FAIL = INFO_OK.replace('cluster_state:ok', 'cluster_state:fail')
  .replace('cluster_slots_ok:16384', 'cluster_slots_ok:10923')
  .replace('cluster_slots_fail:0', 'cluster_slots_fail:5461');

const node = (port: number, id: string) => ['127.0.0.1', port, id, []];
const SLOTS = [
  [0, 5460, node(7000, 'a'.repeat(40)), node(7003, 'd'.repeat(40))],
  [5461, 10922, node(7001, 'b'.repeat(40)), node(7004, 'e'.repeat(40))],
  [10923, 16383, node(7002, 'c'.repeat(40)), node(7005, 'f'.repeat(40))],
];

const at = (port: number): NodeAddress => ({ host: '127.0.0.1', port });
const view = (port: number) => ({ address: at(port), announced: at(port), reads: 0 });
const shard = (master: number | undefined, replicas: number[]) => ({
  master: master === undefined ? undefined : view(master),
  replicas: replicas.map(view),
});
const healthy: RoutedTopology = {
  status: 'ready',
  shards: [shard(7000, [7003]), shard(7001, [7004]), shard(7002, [7005])],
};

describe('parseClusterInfo / parseClusterSlots', () => {
  it('reads the state and slot counts of CLUSTER INFO', () => {
    expect(parseClusterInfo(INFO_OK)).toEqual({ state: 'ok', slotsOk: 16384, slotsFailing: 0 });
    expect(parseClusterInfo(INFO_FAIL)).toEqual({
      state: 'fail',
      slotsOk: 10923,
      slotsFailing: 5461,
    });
    expect(parseClusterInfo('')).toEqual({ state: 'unknown', slotsOk: 0, slotsFailing: 0 });
  });

  it('reads each range of CLUSTER SLOTS with its master, sorted, and skips what it cannot read', () => {
    expect(parseClusterSlots([SLOTS[2], SLOTS[0], 'junk', [1, 2, ['?', 7000]]])).toEqual([
      { first: 0, last: 5460, master: at(7000) },
      { first: 10923, last: 16383, master: at(7002) },
    ]);
    expect(parseClusterSlots(null)).toEqual([]);
  });
});

describe('assessCluster', () => {
  const slots = parseClusterSlots(SLOTS);
  const info = parseClusterInfo(INFO_OK);

  it('is up when cluster_state is ok and every slot has a verified master with a replica', () => {
    const { state, details } = assessCluster({ topology: healthy, info, slots }, 1);
    expect(state).toBe('up');
    expect(details).toEqual({
      clientStatus: 'ready',
      clusterState: 'ok',
      slotsCovered: 16384,
      shards: [
        { slots: ['0-5460'], master: '127.0.0.1:7000', replicas: ['127.0.0.1:7003'] },
        { slots: ['5461-10922'], master: '127.0.0.1:7001', replicas: ['127.0.0.1:7004'] },
        { slots: ['10923-16383'], master: '127.0.0.1:7002', replicas: ['127.0.0.1:7005'] },
      ],
    });
  });

  it('is degraded, naming the shard, when a shard has no healthy replica', () => {
    const topology = {
      ...healthy,
      shards: [shard(7000, [7003]), shard(7001, []), shard(7002, [7005])],
    };
    const { state, details } = assessCluster({ topology, info, slots }, 1);
    expect(state).toBe('degraded');
    expect(details.slotsCovered).toBe(16384);
    expect(details.message).toBe(
      'fewer than 1 healthy replica(s) in 1 shard(s), their reads go to the master: 127.0.0.1:7001 (slots 5461-10922)',
    );
    // minReplicas: 0 asks for masters only.
    expect(assessCluster({ topology, info, slots }, 0).state).toBe('up');
  });

  it('is down while a shard has no verified master (a failover under way)', () => {
    const topology = {
      ...healthy,
      shards: [shard(7000, [7003]), shard(undefined, []), shard(7002, [7005])],
    };
    expect(whyClusterClientIsDown(topology)).toBe('a shard has no verified master');
    const { state, details } = assessCluster({ topology, info, slots }, 1);
    expect(state).toBe('down');
    expect(details.message).toBe('a shard has no verified master');
    expect(details.slotsCovered).toBe(16384 - 5462);
    expect(details.shards[1]).toEqual({ slots: ['5461-10922'], master: null, replicas: [] });
  });

  it('is down when a master says cluster_state:fail', () => {
    const { state, details } = assessCluster(
      { topology: healthy, info: parseClusterInfo(INFO_FAIL), slots },
      1,
    );
    expect(state).toBe('down');
    expect(details).toMatchObject({ clusterState: 'fail', message: 'cluster_state is fail' });
  });

  it('is down when a slot has no master, or one the client has not verified', () => {
    // Slots 5461-10922 unassigned: CLUSTER SLOTS leaves them out.
    const missing = parseClusterSlots([SLOTS[0], SLOTS[2]]);
    const topology = { ...healthy, shards: [shard(7000, [7003]), shard(7002, [7005])] };
    expect(assessCluster({ topology, info, slots: missing }, 1).details.message).toBe(
      '5462 slot(s) have no verified master',
    );
    // The cluster names a master (7009) the client does not route to yet.
    const moved = parseClusterSlots([SLOTS[0], [5461, 10922, node(7009, 'x')], SLOTS[2]]);
    const { state, details } = assessCluster({ topology: healthy, info, slots: moved }, 1);
    expect(state).toBe('down');
    expect(details.slotsCovered).toBe(16384 - 5462);
    expect(details.shards[1]).toEqual({ slots: ['5461-10922'], master: null, replicas: [] });
  });

  it('is down when the client is not ready or no master answered', () => {
    expect(
      assessCluster({ topology: { ...healthy, status: 'connecting' }, info, slots }, 1),
    ).toMatchObject({ state: 'down', details: { message: 'client is connecting' } });
    expect(assessCluster({ topology: { status: 'ready', shards: [] }, info, slots }, 1).state).toBe(
      'down',
    );
    expect(assessCluster({ topology: healthy, info: undefined, slots }, 1)).toMatchObject({
      state: 'down',
      details: { clusterState: null, message: 'no master answered CLUSTER INFO' },
    });
  });

  it('matches masters by the address they announce, and reports the address it connects to', () => {
    const natted: RoutedTopology = {
      status: 'ready',
      shards: healthy.shards.map((s) => ({
        master: s.master && {
          ...s.master,
          address: { host: '10.0.0.1', port: s.master.address.port },
        },
        replicas: s.replicas,
      })),
    };
    const { state, details } = assessCluster({ topology: natted, info, slots }, 1);
    expect(state).toBe('up');
    expect(details.shards[0]?.master).toBe('10.0.0.1:7000');
  });
});
