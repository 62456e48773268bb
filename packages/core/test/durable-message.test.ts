import { describe, expect, it } from 'vitest';
import { describeReplication } from '../src/durable.js';
import type { ReplicationInfo } from '../src/role.js';

const replica = (state: string, lagSeconds = 0): ReplicationInfo['replicas'][number] => ({
  host: '127.0.0.1',
  port: 6380,
  state,
  replOffset: 100,
  lagSeconds,
});
const master = (...replicas: ReplicationInfo['replicas']): ReplicationInfo => ({
  role: 'master',
  replOffset: 100,
  replicas,
});

describe('describeReplication (why a durable write was NOT_REPLICATED)', () => {
  it('says nothing when the master could not be asked', () => {
    expect(describeReplication(undefined, 1)).toBe('');
  });

  it('a master without replicas (the new master after a failover, the old one not back)', () => {
    expect(describeReplication(master(), 1)).toMatch(
      /^; the master has no replica connected, fewer than the 1 asked for: durable writes fail until enough replicas follow it/,
    );
  });

  it('counts replicas still syncing apart from those in sync', () => {
    expect(describeReplication(master(replica('online'), replica('wait_bgsave')), 2)).toMatch(
      /^; the master has 1 replica in sync and 1 still syncing, fewer than the 2 asked for/,
    );
  });

  it('enough replicas in sync: they were slow, with the oldest acknowledgement', () => {
    expect(describeReplication(master(replica('online', 0), replica('online', 3)), 2)).toBe(
      '; the master has 2 replicas in sync, the slowest acknowledged 3 s ago: they were slow to acknowledge (raise waitTimeout, or look at their load)',
    );
  });
});
