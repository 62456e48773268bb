/**
 * The master's state machine, as a pure function: `transition(state, event)` returns the next
 * state and the effects to carry out (dial and verify a node, hold writes, release the operations
 * waiting for a master, emit an event…). It does no I/O and reads no clock: events carry their
 * time. master.ts feeds it events and carries the effects out; master-state.test.ts checks every
 * rule without a network.
 *
 *   idle ──connect──▶ connecting ──discovered──▶ (master set) ──connected──▶ ready
 *   ready: serving ──failover-start──▶ held ──verified / failover-end──▶ serving
 *          serving|held ──lost──▶ no master (recover) ──verified──▶ serving
 *   any ──close──▶ closed
 */
import type {
  FailoverTimings,
  MasterChangeReason,
  MasterLostReason,
  TopologyEvent,
} from './events.js';
import type { NodeAddress } from './types.js';

/** What the machine needs of a data node: where Sentinel says it is, and where we dial it. */
export interface MasterNode {
  readonly announced: NodeAddress;
  readonly address: NodeAddress;
}

/** Lifecycle of the client (its `status`). */
export type Lifecycle = 'idle' | 'connecting' | 'ready' | 'closed';

/** The failover in progress, from the first sign of it to the switch (see {@link FailoverTimings}). */
export type Episode = Omit<FailoverTimings, 'switchedAt'>;

export interface MasterState<N extends MasterNode> {
  readonly lifecycle: Lifecycle;
  /** The verified master writes go to, `undefined` while there is none. */
  readonly master: N | undefined;
  /** The master before, kept after a loss so MASTER_CHANGE can name it as `previous`. */
  readonly lastMaster: NodeAddress | undefined;
  /** Sentinel's config epoch of the master, or a lower bound after a pushed switch. */
  readonly epoch: number | undefined;
  /**
   * Sentinel is failing the master over: writes wait instead of landing on a master about to be
   * demoted (whatever it accepts after the promotion is lost). Ends at the switch, an abort, or
   * after `failoverTimeout`.
   */
  readonly held: boolean;
  readonly episode: Episode | undefined;
}

export type MasterEvent<N extends MasterNode> =
  /** connect() was called. */
  | { type: 'connect' }
  /** Discovery failed: back to idle (unless closed), the master found so far let go. */
  | { type: 'connect-failed' }
  /** Discovery verified `node` (connect()). */
  | { type: 'discovered'; node: N; epoch: number | undefined; at: number }
  /** Discovery finished: the client is ready. */
  | { type: 'connected' }
  /** A sentinel started a failover of our master (`+try-failover`, `+elected-leader`, …). */
  | { type: 'failover-start'; at: number }
  /** The failover was aborted, or the hold lasted `failoverTimeout`. */
  | { type: 'failover-end' }
  /** A sentinel published `+switch-master` to `address`. */
  | { type: 'switch-announced'; address: NodeAddress; at: number }
  /** A sentinel's answer named `address` master (a poll, or after a loss). */
  | {
      type: 'named';
      address: NodeAddress;
      epoch: number | undefined;
      /** Sentinel flags it `s_down`/`o_down`. */
      down: boolean;
      reason: MasterChangeReason;
    }
  /** Sentinel flagged the node at `address` down with a `+sdown`/`+odown` event. */
  | { type: 'flagged-down'; address: NodeAddress }
  /** `node` answered `ROLE` master (a `verify` effect's result). */
  | {
      type: 'verified';
      node: N;
      reason: MasterChangeReason;
      epoch: number | undefined;
      at: number;
    }
  /** A command on `node` timed out: it may be hung. */
  | { type: 'suspect'; node: N }
  /** `node` was lost: its connection closed, it answered READONLY, or a PING went unanswered. */
  | { type: 'lost'; node: N; reason: MasterLostReason; at: number }
  /** An operation waited for, was run again on, or was rejected for want of a master. */
  | { type: 'count'; what: 'queued' | 'retried' | 'rejected' }
  /** close() was called. */
  | { type: 'close' };

export type MasterEffect<N extends MasterNode> =
  /** Dial `address` and check `ROLE`; the result comes back as a `verified` event. */
  | { type: 'verify'; address: NodeAddress; reason: MasterChangeReason; epoch: number | undefined }
  /** Close a verified node that is not used (another is newer, or the client is not ready). */
  | { type: 'discard'; node: N }
  /** Close the master let go: nothing more goes to it, even if it wakes up. */
  | { type: 'retire'; node: N }
  /** `node` is master now: watch its connection, take it out of the read rotation. */
  | { type: 'adopt'; node: N }
  /** PING `node` within `sentinelTimeout`; no answer is a `lost` event (`unresponsive`). */
  | { type: 'check-alive'; node: N }
  /** Start the `failoverTimeout` timer of a hold; it ends in a `failover-end` event. */
  | { type: 'hold-writes' }
  | { type: 'end-hold' }
  /** Hand `node` to every operation waiting for a master. */
  | { type: 'release-waiters'; node: N }
  /** Reject every operation waiting for a master with `CLIENT_CLOSED`. */
  | { type: 'reject-waiters' }
  | { type: 'emit'; event: TopologyEvent }
  /** Ask Sentinel now (replicas follow a new master only once Sentinel reconfigures them). */
  | { type: 'refresh' }
  /** Ask Sentinel until there is a master again. */
  | { type: 'recover' };

export interface Transition<N extends MasterNode> {
  state: MasterState<N>;
  effects: MasterEffect<N>[];
}

/** Where an operation that needs the master goes now. */
export type MasterTarget<N> =
  | { kind: 'send'; node: N }
  | { kind: 'wait' }
  | { kind: 'reject'; code: 'CLIENT_CLOSED' | 'NOT_CONNECTED' };

export function initialMasterState<N extends MasterNode>(): MasterState<N> {
  return {
    lifecycle: 'idle',
    master: undefined,
    lastMaster: undefined,
    epoch: undefined,
    held: false,
    episode: undefined,
  };
}

const sameAddress = (a: NodeAddress, b: NodeAddress) => a.host === b.host && a.port === b.port;

const isOurs = <N extends MasterNode>(state: MasterState<N>, address: NodeAddress) =>
  state.master !== undefined && sameAddress(state.master.announced, address);

const NO_EPISODE: Episode = {
  lostAt: undefined,
  announcedAt: undefined,
  queued: 0,
  retried: 0,
  rejected: 0,
};

/**
 * Where a write (or a read that needs the master) goes: to the master when one is verified and
 * no failover holds writes, nowhere yet otherwise (it waits up to `failoverTimeout`).
 */
export function masterTarget<N extends MasterNode>(state: MasterState<N>): MasterTarget<N> {
  if (state.lifecycle === 'closed') return { kind: 'reject', code: 'CLIENT_CLOSED' };
  if (state.lifecycle === 'idle') return { kind: 'reject', code: 'NOT_CONNECTED' };
  if (state.master && state.lifecycle === 'ready' && !state.held) {
    return { kind: 'send', node: state.master };
  }
  return { kind: 'wait' };
}

/**
 * Whether an answer's epoch names a newer configuration than the master we follow (an answer
 * without an epoch, or a master we know none of, may be newer).
 */
export function isNewerEpoch(state: MasterState<MasterNode>, epoch: number | undefined): boolean {
  return epoch === undefined || state.epoch === undefined || epoch > state.epoch;
}

const unchanged = <N extends MasterNode>(state: MasterState<N>): Transition<N> => ({
  state,
  effects: [],
});

/** The next state of the master, and what to do about it. */
export function transition<N extends MasterNode>(
  state: MasterState<N>,
  event: MasterEvent<N>,
): Transition<N> {
  switch (event.type) {
    case 'connect':
      return state.lifecycle === 'idle'
        ? { state: { ...state, lifecycle: 'connecting' }, effects: [] }
        : unchanged(state);

    case 'connect-failed':
      return {
        state: {
          ...state,
          lifecycle: state.lifecycle === 'closed' ? 'closed' : 'idle',
          master: undefined,
        },
        effects: state.master ? [{ type: 'retire', node: state.master }] : [],
      };

    case 'discovered':
      return adoptMaster({ ...state, epoch: event.epoch }, event.node, 'discovered', event.at);

    case 'connected':
      return state.lifecycle === 'connecting'
        ? { state: { ...state, lifecycle: 'ready' }, effects: [] }
        : unchanged(state);

    case 'failover-start':
      if (state.lifecycle !== 'ready' || state.held || !state.master) return unchanged(state);
      return {
        state: {
          ...state,
          held: true,
          episode: { ...(state.episode ?? NO_EPISODE), lostAt: state.episode?.lostAt ?? event.at },
        },
        effects: [{ type: 'hold-writes' }],
      };

    case 'failover-end': {
      const effects: MasterEffect<N>[] = state.held ? [{ type: 'end-hold' }] : [];
      if (state.master) effects.push({ type: 'release-waiters', node: state.master });
      if (state.lifecycle === 'ready') effects.push({ type: 'refresh' });
      return { state: { ...state, held: false }, effects };
    }

    case 'switch-announced':
      // Every sentinel announces the same switch; only news matters.
      if (state.lifecycle !== 'ready' || isOurs(state, event.address)) return unchanged(state);
      return {
        state: {
          ...state,
          episode: {
            ...(state.episode ?? NO_EPISODE),
            announcedAt: state.episode?.announcedAt ?? event.at,
          },
        },
        effects: [
          { type: 'verify', address: event.address, reason: 'switch-master', epoch: undefined },
        ],
      };

    case 'named': {
      const master = state.master;
      if (master && sameAddress(master.announced, event.address)) {
        return {
          state: event.epoch === undefined ? state : { ...state, epoch: event.epoch },
          effects: event.down ? [{ type: 'check-alive', node: master }] : [],
        };
      }
      // An older configuration than the one we follow: nothing to do, nothing wrong.
      if (master && !isNewerEpoch(state, event.epoch)) return unchanged(state);
      return {
        state,
        effects: [
          { type: 'verify', address: event.address, reason: event.reason, epoch: event.epoch },
        ],
      };
    }

    case 'flagged-down':
      return state.master && isOurs(state, event.address)
        ? { state, effects: [{ type: 'check-alive', node: state.master }] }
        : unchanged(state);

    case 'verified': {
      if (state.lifecycle !== 'ready' || isOurs(state, event.node.announced)) {
        return { state, effects: [{ type: 'discard', node: event.node }] };
      }
      if (event.epoch !== undefined && state.epoch !== undefined && event.epoch < state.epoch) {
        return { state, effects: [{ type: 'discard', node: event.node }] };
      }
      // A pushed +switch-master carries no epoch, but it is newer than ours.
      const epoch = event.epoch ?? (state.epoch === undefined ? undefined : state.epoch + 1);
      return adoptMaster({ ...state, epoch }, event.node, event.reason, event.at);
    }

    case 'suspect':
      return state.master === event.node
        ? { state, effects: [{ type: 'check-alive', node: event.node }] }
        : unchanged(state);

    case 'lost': {
      if (state.master !== event.node) return unchanged(state);
      const node = event.node;
      return {
        state: {
          ...state,
          master: undefined,
          episode: state.episode ?? { ...NO_EPISODE, lostAt: event.at },
        },
        effects: [
          { type: 'retire', node },
          {
            type: 'emit',
            event: { type: 'MASTER_LOST', previous: { ...node.address }, reason: event.reason },
          },
          { type: 'recover' },
        ],
      };
    }

    case 'count':
      if (!state.episode) return unchanged(state);
      return {
        state: {
          ...state,
          episode: { ...state.episode, [event.what]: state.episode[event.what] + 1 },
        },
        effects: [],
      };

    case 'close': {
      if (state.lifecycle === 'closed') return unchanged(state);
      const effects: MasterEffect<N>[] = state.held ? [{ type: 'end-hold' }] : [];
      effects.push({ type: 'reject-waiters' });
      if (state.master) effects.push({ type: 'retire', node: state.master });
      return { state: { ...state, lifecycle: 'closed', held: false, master: undefined }, effects };
    }
  }
}

/** Moves writes to `node`: the old master is let go, the hold ends, the waiters go to `node`. */
function adoptMaster<N extends MasterNode>(
  state: MasterState<N>,
  node: N,
  reason: MasterChangeReason,
  at: number,
): Transition<N> {
  const previous = state.master;
  const effects: MasterEffect<N>[] = [];
  if (previous) effects.push({ type: 'retire', node: previous });
  effects.push({ type: 'adopt', node });
  if (state.held) effects.push({ type: 'end-hold' });
  const previousAddress = previous ? previous.address : state.lastMaster;
  effects.push({
    type: 'emit',
    event: {
      type: 'MASTER_CHANGE',
      previous: previousAddress ? { ...previousAddress } : undefined,
      current: { ...node.address },
      reason,
      switchedAt: at,
      timings:
        reason === 'discovered' ? undefined : { ...(state.episode ?? NO_EPISODE), switchedAt: at },
    },
  });
  effects.push({ type: 'release-waiters', node });
  if (reason !== 'discovered') effects.push({ type: 'refresh' });
  return {
    state: {
      ...state,
      master: node,
      lastMaster: node.address,
      held: false,
      episode: undefined,
    },
    effects,
  };
}
