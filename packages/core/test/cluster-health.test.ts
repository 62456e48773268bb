// The cluster's own view of its nodes, parsed from replies recorded on redis-server 7.0.15
// (a 3-master, 3-replica cluster, node-timeout 1000): healthy, one master failed before its
// replica was promoted, and an old master rejoining as a replica with no data yet.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  mastersBySlot,
  parseClusterNodes,
  parseClusterShards,
  readableReplicas,
} from '../src/cluster/health.js';

function recorded(name: string): { shards: unknown; nodes: string } {
  return JSON.parse(
    readFileSync(new URL(`fixtures/cluster/${name}.json`, import.meta.url), 'utf8'),
  );
}
const keys = (set: Set<string>) => [...set].sort();

describe('CLUSTER SHARDS', () => {
  it('gives one shard per master with its slots, replicas and health', () => {
    const shards = parseClusterShards(recorded('healthy').shards);
    expect(shards).toHaveLength(3);
    const first = shards.find((s) => s.slots[0]?.[0] === 0)!;
    expect(first.slots).toEqual([[0, 5460]]);
    expect(first.master).toMatchObject({ role: 'master', health: 'online' });
    expect(first.master?.address).toEqual({ host: '127.0.0.1', port: 17101 });
    expect(first.replicas.map((r) => r.address.port)).toEqual([17104]);
    expect(keys(readableReplicas(shards, undefined))).toEqual([
      '127.0.0.1:17104',
      '127.0.0.1:17105',
      '127.0.0.1:17106',
    ]);
  });

  it('takes the replica of a failed master out of the rotation, and drops slotless shards', () => {
    const shards = parseClusterShards(recorded('failed').shards);
    expect(shards).toHaveLength(3); // the old failed master of the first failover serves no slot
    const failed = shards.find((s) => s.slots[0]?.[0] === 10923)!;
    expect(failed.master?.health).toBe('failed'); // Redis 7.0 says "fail"
    expect(keys(readableReplicas(shards, undefined))).toEqual(['127.0.0.1:17104']);
    expect(mastersBySlot(shards, undefined).has(10923)).toBe(false);
  });

  it('keeps a loading replica (a rejoining node with no data) out', () => {
    const shards = parseClusterShards(recorded('rejoin').shards);
    const rejoined = shards.find((s) => s.slots[0]?.[0] === 5461)!;
    expect(rejoined.replicas[0]).toMatchObject({ health: 'loading', offset: 0 });
    expect(keys(readableReplicas(shards, undefined))).toEqual(['127.0.0.1:17104']);
    expect(mastersBySlot(shards, undefined).get(10923)).toBe('127.0.0.1:17106');
  });

  it('keeps out a replica its own ROLE does not call linked', () => {
    const shards = parseClusterShards(recorded('healthy').shards);
    const linked = new Set(['127.0.0.1:17104', '127.0.0.1:17106']);
    expect(keys(readableReplicas(shards, undefined, linked))).toEqual([
      '127.0.0.1:17104',
      '127.0.0.1:17106',
    ]);
  });

  it('keys replicas by the address the NAT map gives', () => {
    const shards = parseClusterShards(recorded('healthy').shards);
    const natMap = { '127.0.0.1:17104': { host: '10.1.1.1', port: 7004 } };
    expect(readableReplicas(shards, natMap).has('10.1.1.1:7004')).toBe(true);
    expect(readableReplicas(shards, natMap).has('127.0.0.1:17104')).toBe(false);
  });

  it('ignores replies it cannot read', () => {
    expect(parseClusterShards(null)).toEqual([]);
    expect(parseClusterShards([['slots', [0, 10], 'nodes', [['id', 'x']]]])).toEqual([
      { slots: [[0, 10]], master: undefined, replicas: [] },
    ]);
  });
});

describe('CLUSTER NODES (Redis before 7)', () => {
  it('gives the same shards and readable replicas as CLUSTER SHARDS, healthy', () => {
    const { shards, nodes } = recorded('healthy');
    const fromNodes = parseClusterNodes(nodes);
    expect(fromNodes).toHaveLength(3);
    expect(keys(readableReplicas(fromNodes, undefined))).toEqual(
      keys(readableReplicas(parseClusterShards(shards), undefined)),
    );
  });

  it('reads fail flags and a disconnected link as failed', () => {
    const shards = parseClusterNodes(recorded('failed').nodes);
    const failed = shards.find((s) => s.slots[0]?.[0] === 10923)!;
    expect(failed.master?.health).toBe('failed');
    expect(keys(readableReplicas(shards, undefined))).toEqual(['127.0.0.1:17104']);
  });

  it('reads hostnames, single slots and skips migrating marks', () => {
    const line =
      'abc 10.0.0.1:7000@17000,redis-0.example master - 0 0 1 connected 0-10 12 [13->-def]\n';
    const [shard] = parseClusterNodes(line);
    expect(shard?.master?.address).toEqual({ host: 'redis-0.example', port: 7000 });
    expect(shard?.slots).toEqual([
      [0, 10],
      [12, 12],
    ]);
  });
});
