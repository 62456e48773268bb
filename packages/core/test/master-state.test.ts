import { describe, expect, it } from 'vitest';
import {
  initialMasterState,
  type MasterEvent,
  type MasterNode,
  type MasterState,
  masterTarget,
  transition,
} from '../src/master-state.js';

const node = (port: number): MasterNode => ({
  announced: { host: '10.0.0.1', port },
  address: { host: '127.0.0.1', port },
});
const a = node(6379);
const b = node(6380);

/** Runs `events` from the initial state; returns the last state and the effects of the last event. */
function run(...events: MasterEvent<MasterNode>[]) {
  let state: MasterState<MasterNode> = initialMasterState();
  let effects: unknown[] = [];
  for (const event of events) ({ state, effects } = transition(state, event));
  return { state, effects };
}

const connected: MasterEvent<MasterNode>[] = [
  { type: 'connect' },
  { type: 'discovered', node: a, epoch: 3, at: 1000 },
  { type: 'connected' },
];

describe('lifecycle', () => {
  it('operations are refused before connect() and after close()', () => {
    expect(masterTarget(run().state)).toEqual({ kind: 'reject', code: 'NOT_CONNECTED' });
    expect(masterTarget(run(...connected, { type: 'close' }).state)).toEqual({
      kind: 'reject',
      code: 'CLIENT_CLOSED',
    });
  });

  it('operations wait while connecting, even once a master is verified', () => {
    const { state } = run({ type: 'connect' }, { type: 'discovered', node: a, epoch: 1, at: 1 });
    expect(masterTarget(state)).toEqual({ kind: 'wait' });
  });

  it('discovery adopts the master and hands it to the waiters, without timings', () => {
    const { state, effects } = run({ type: 'connect' }, connected[1]!);
    expect(state.master).toBe(a);
    expect(state.epoch).toBe(3);
    expect(effects).toEqual([
      { type: 'adopt', node: a },
      {
        type: 'emit',
        event: {
          type: 'MASTER_CHANGE',
          previous: undefined,
          current: a.address,
          reason: 'discovered',
          switchedAt: 1000,
          timings: undefined,
        },
      },
      { type: 'release-waiters', node: a },
    ]);
    expect(masterTarget(run(...connected).state)).toEqual({ kind: 'send', node: a });
  });

  it('a failed connect lets the master go and returns to idle; a closed client stays closed', () => {
    const failed = run({ type: 'connect' }, connected[1]!, { type: 'connect-failed' });
    expect(failed.state.lifecycle).toBe('idle');
    expect(failed.state.master).toBeUndefined();
    expect(failed.effects).toEqual([{ type: 'retire', node: a }]);
    const closed = run({ type: 'connect' }, { type: 'close' }, { type: 'connect-failed' });
    expect(closed.state.lifecycle).toBe('closed');
  });

  it('close rejects the waiters, ends a hold and lets the master go', () => {
    const { state, effects } = run(
      ...connected,
      { type: 'failover-start', at: 5 },
      {
        type: 'close',
      },
    );
    expect(effects).toEqual([
      { type: 'end-hold' },
      { type: 'reject-waiters' },
      { type: 'retire', node: a },
    ]);
    expect(state).toMatchObject({ lifecycle: 'closed', master: undefined, held: false });
  });
});

describe('holding writes during a failover', () => {
  it('writes are held once Sentinel starts a failover', () => {
    const { state, effects } = run(...connected, { type: 'failover-start', at: 2000 });
    expect(effects).toEqual([{ type: 'hold-writes' }]);
    expect(state.held).toBe(true);
    expect(state.episode?.lostAt).toBe(2000);
    expect(masterTarget(state)).toEqual({ kind: 'wait' });
  });

  it('a second sentinel announcing the same failover changes nothing', () => {
    const { state, effects } = run(
      ...connected,
      { type: 'failover-start', at: 2000 },
      { type: 'failover-start', at: 2100 },
    );
    expect(effects).toEqual([]);
    expect(state.episode?.lostAt).toBe(2000);
  });

  it('an abort (or the hold lasting failoverTimeout) releases the waiters to the same master', () => {
    const { state, effects } = run(
      ...connected,
      { type: 'failover-start', at: 2000 },
      { type: 'failover-end' },
    );
    expect(effects).toEqual([
      { type: 'end-hold' },
      { type: 'release-waiters', node: a },
      { type: 'refresh' },
    ]);
    expect(masterTarget(state)).toEqual({ kind: 'send', node: a });
  });

  it('no hold without a master, or before the client is ready', () => {
    expect(run({ type: 'failover-start', at: 1 }).effects).toEqual([]);
    const lost = run(...connected, { type: 'lost', node: a, reason: 'connection-lost', at: 5 });
    expect(transition(lost.state, { type: 'failover-start', at: 6 }).effects).toEqual([]);
  });
});

describe('switching masters', () => {
  it('+switch-master to a new node verifies it first; writes keep going meanwhile', () => {
    const { state, effects } = run(...connected, {
      type: 'switch-announced',
      address: b.announced,
      at: 3000,
    });
    expect(effects).toEqual([
      { type: 'verify', address: b.announced, reason: 'switch-master', epoch: undefined },
    ]);
    expect(state.episode?.announcedAt).toBe(3000);
    expect(masterTarget(state)).toEqual({ kind: 'send', node: a });
  });

  it('+switch-master naming our master (every sentinel publishes it) is no news', () => {
    expect(
      run(...connected, { type: 'switch-announced', address: a.announced, at: 1 }).effects,
    ).toEqual([]);
  });

  it('the verified node takes over: old one retired, hold ended, waiters released, timings told', () => {
    const { state, effects } = run(
      ...connected,
      { type: 'failover-start', at: 2000 },
      { type: 'count', what: 'queued' },
      { type: 'switch-announced', address: b.announced, at: 3000 },
      { type: 'verified', node: b, reason: 'switch-master', epoch: undefined, at: 3100 },
    );
    expect(effects).toEqual([
      { type: 'retire', node: a },
      { type: 'adopt', node: b },
      { type: 'end-hold' },
      {
        type: 'emit',
        event: {
          type: 'MASTER_CHANGE',
          previous: a.address,
          current: b.address,
          reason: 'switch-master',
          switchedAt: 3100,
          timings: {
            lostAt: 2000,
            announcedAt: 3000,
            switchedAt: 3100,
            queued: 1,
            retried: 0,
            rejected: 0,
          },
        },
      },
      { type: 'release-waiters', node: b },
      { type: 'refresh' },
    ]);
    // A pushed switch has no epoch but is newer than the one we followed.
    expect(state).toMatchObject({ master: b, epoch: 4, held: false, episode: undefined });
    expect(masterTarget(state)).toEqual({ kind: 'send', node: b });
  });

  it('a verified node of an older configuration, or while not ready, is discarded', () => {
    const older = run(...connected, {
      type: 'verified',
      node: b,
      reason: 'poll',
      epoch: 2,
      at: 1,
    });
    expect(older.effects).toEqual([{ type: 'discard', node: b }]);
    expect(older.state.master).toBe(a);
    const closed = run(
      ...connected,
      { type: 'close' },
      {
        type: 'verified',
        node: b,
        reason: 'poll',
        epoch: 9,
        at: 1,
      },
    );
    expect(closed.effects).toEqual([{ type: 'discard', node: b }]);
  });

  it('a poll naming a newer master verifies it; an older answer is ignored', () => {
    const newer = { type: 'named', address: b.announced, epoch: 4, down: false, reason: 'poll' };
    expect(run(...connected, newer as MasterEvent<MasterNode>).effects).toEqual([
      { type: 'verify', address: b.announced, reason: 'poll', epoch: 4 },
    ]);
    expect(run(...connected, { ...newer, epoch: 3 } as MasterEvent<MasterNode>).effects).toEqual(
      [],
    );
  });

  it('a poll naming our master updates its epoch, and checks it when flagged down', () => {
    const { state, effects } = run(...connected, {
      type: 'named',
      address: a.announced,
      epoch: 7,
      down: true,
      reason: 'poll',
    });
    expect(state.epoch).toBe(7);
    expect(effects).toEqual([{ type: 'check-alive', node: a }]);
  });
});

describe('losing the master', () => {
  it('a lost master is retired, told, and Sentinel asked until there is one; writes wait', () => {
    const { state, effects } = run(...connected, {
      type: 'lost',
      node: a,
      reason: 'readonly',
      at: 4000,
    });
    expect(effects).toEqual([
      { type: 'retire', node: a },
      { type: 'emit', event: { type: 'MASTER_LOST', previous: a.address, reason: 'readonly' } },
      { type: 'recover' },
    ]);
    expect(state.episode?.lostAt).toBe(4000);
    expect(masterTarget(state)).toEqual({ kind: 'wait' });
  });

  it('a late loss of a master already replaced changes nothing', () => {
    const { effects, state } = run(
      ...connected,
      { type: 'verified', node: b, reason: 'poll', epoch: 5, at: 1 },
      { type: 'lost', node: a, reason: 'connection-lost', at: 2 },
    );
    expect(effects).toEqual([]);
    expect(state.master).toBe(b);
  });

  it('after a loss, the next master names the lost one as previous', () => {
    const { effects } = run(
      ...connected,
      { type: 'lost', node: a, reason: 'connection-lost', at: 10 },
      { type: 'verified', node: b, reason: 'reconnect', epoch: undefined, at: 20 },
    );
    expect(effects).toContainEqual({
      type: 'emit',
      event: expect.objectContaining({ previous: a.address, reason: 'reconnect' }),
    });
  });

  it('a timeout or a down flag on our master asks for a PING; not on another node', () => {
    expect(run(...connected, { type: 'suspect', node: a }).effects).toEqual([
      { type: 'check-alive', node: a },
    ]);
    expect(run(...connected, { type: 'suspect', node: b }).effects).toEqual([]);
    expect(run(...connected, { type: 'flagged-down', address: a.announced }).effects).toEqual([
      { type: 'check-alive', node: a },
    ]);
    expect(run(...connected, { type: 'flagged-down', address: b.announced }).effects).toEqual([]);
  });

  it('counts go to the failover in progress only', () => {
    expect(run(...connected, { type: 'count', what: 'rejected' }).state.episode).toBeUndefined();
    const { state } = run(
      ...connected,
      { type: 'lost', node: a, reason: 'unresponsive', at: 1 },
      { type: 'count', what: 'rejected' },
      { type: 'count', what: 'retried' },
    );
    expect(state.episode).toMatchObject({ rejected: 1, retried: 1, queued: 0 });
  });

  it('never mutates the state it is given', () => {
    const before = run(...connected).state;
    const copy = structuredClone(before);
    transition(before, { type: 'lost', node: a, reason: 'readonly', at: 1 });
    expect(before).toEqual(copy);
  });
});
