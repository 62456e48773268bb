import { describe, expect, it } from 'vitest';
import { WriteConnectionFailedError, WriteNotSentError } from '../src/durable.js';
import {
  decideMasterReadFailure,
  decideReplicaReadFailure,
  decideWriteFailure,
  type WriteFailureContext,
} from '../src/failure-policy.js';

// The errors as ioredis hands them over.
const readonly = new Error("READONLY You can't write against a read only replica.");
const scriptReadonly = new Error(
  "ERR Error running script (call to f_1): @user_script:1: @user_script: 1: -READONLY You can't write against a read only replica.",
);
const connectionClosed = new Error('Connection is closed.');
const reset = new Error('read ECONNRESET');
const timedOut = new Error('Command timed out');
const loading = new Error('LOADING Redis is loading the dataset in memory');
const wrongType = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
const notSent = new WriteNotSentError('the node left its role before the write was sent');
const unopened = new WriteConnectionFailedError(
  'the connection for the write could not be opened',
  {
    cause: new Error('could not connect to 127.0.0.1:6379: Connection is closed.'),
  },
);

const write = (overrides: Partial<WriteFailureContext> = {}): WriteFailureContext => ({
  idempotent: false,
  readonlyRetried: false,
  elapsed: 0,
  failoverTimeout: 10_000,
  ...overrides,
});

describe('decideWriteFailure', () => {
  it('a write not idempotent in flight when the connection broke may have executed', () => {
    expect(decideWriteFailure(connectionClosed, write())).toEqual({
      outcome: 'reject-may-have-executed',
      node: 'drop-connection-lost',
    });
    expect(decideWriteFailure(reset, write()).outcome).toBe('reject-may-have-executed');
  });

  it('a write not idempotent that timed out may have executed, and the master is suspected', () => {
    expect(decideWriteFailure(timedOut, write())).toEqual({
      outcome: 'reject-may-have-executed',
      node: 'suspect',
    });
  });

  it('an idempotent write in flight is run again while failoverTimeout lasts', () => {
    expect(decideWriteFailure(connectionClosed, write({ idempotent: true }))).toEqual({
      outcome: 'rerun',
      node: 'drop-connection-lost',
    });
    expect(decideWriteFailure(timedOut, write({ idempotent: true, elapsed: 9_999 }))).toEqual({
      outcome: 'rerun',
      node: 'suspect',
    });
  });

  it('a write whose connection could not be opened never ran: run again, idempotent or not, the node left', () => {
    for (const idempotent of [false, true]) {
      expect(decideWriteFailure(unopened, write({ idempotent, elapsed: 9_999 }))).toEqual({
        outcome: 'rerun',
        node: 'drop-connection-lost',
      });
    }
    expect(decideWriteFailure(unopened, write({ elapsed: 10_000 }))).toEqual({
      outcome: 'reject-unavailable',
      node: 'drop-connection-lost',
    });
  });

  it('an idempotent write past failoverTimeout rejects with the master unavailable', () => {
    expect(
      decideWriteFailure(connectionClosed, write({ idempotent: true, elapsed: 10_000 })),
    ).toEqual({ outcome: 'reject-unavailable', node: 'drop-connection-lost' });
  });

  it('READONLY (the master was demoted, nothing ran) is retried once, for any write', () => {
    expect(decideWriteFailure(readonly, write())).toEqual({
      outcome: 'rerun',
      node: 'drop-readonly',
      readonlyRetried: true,
    });
    expect(decideWriteFailure(scriptReadonly, write()).outcome).toBe('rerun');
  });

  it('a second READONLY is the caller’s: no retry loop between demoted nodes', () => {
    expect(decideWriteFailure(readonly, write({ readonlyRetried: true }))).toEqual({
      outcome: 'rethrow',
      node: 'drop-readonly',
    });
  });

  it('a write never sent runs again on the new master, idempotent or not, however late', () => {
    expect(decideWriteFailure(notSent, write())).toEqual({ outcome: 'rerun', node: 'keep' });
    expect(decideWriteFailure(notSent, write({ elapsed: 60_000 })).outcome).toBe('rerun');
  });

  it('an error reply or the callback’s own error goes back to the caller, the master kept', () => {
    expect(decideWriteFailure(wrongType, write({ idempotent: true }))).toEqual({
      outcome: 'rethrow',
      node: 'keep',
    });
    expect(decideWriteFailure(new TypeError('x is undefined'), write()).outcome).toBe('rethrow');
    expect(decideWriteFailure('not even an Error', write()).outcome).toBe('rethrow');
  });
});

describe('decideReplicaReadFailure', () => {
  it('a failure of the replica runs the read elsewhere and takes the replica out', () => {
    for (const error of [connectionClosed, timedOut, loading, new Error('MASTERDOWN link down')]) {
      expect(decideReplicaReadFailure(error)).toEqual({ outcome: 'rerun', node: 'leave-rotation' });
    }
  });

  it('READONLY inside a read is a write in a read: the replica stays', () => {
    expect(decideReplicaReadFailure(readonly)).toEqual({
      outcome: 'reject-write-in-read',
      node: 'keep',
    });
  });

  it('an error reply goes back to the caller', () => {
    expect(decideReplicaReadFailure(wrongType)).toEqual({ outcome: 'rethrow', node: 'keep' });
  });
});

describe('decideMasterReadFailure', () => {
  it('a read whose master was replaced while it ran (the switch closed it) runs on the new one, its retry used or not', () => {
    for (const mayRetry of [false, true]) {
      expect(decideMasterReadFailure(connectionClosed, mayRetry, true)).toEqual({
        outcome: 'rerun',
        node: 'keep',
      });
    }
    // Its own error is still the caller's.
    expect(decideMasterReadFailure(wrongType, false, true).outcome).toBe('rethrow');
  });

  it('runs a read the master failed once more, acting on what the failure says of the master', () => {
    expect(decideMasterReadFailure(readonly, true)).toEqual({
      outcome: 'rerun',
      node: 'drop-readonly',
    });
    expect(decideMasterReadFailure(timedOut, true)).toEqual({ outcome: 'rerun', node: 'suspect' });
    expect(decideMasterReadFailure(connectionClosed, true)).toEqual({
      outcome: 'rerun',
      node: 'drop-connection-lost',
    });
    expect(decideMasterReadFailure(loading, true)).toEqual({ outcome: 'rerun', node: 'keep' });
  });

  it('only once, and never for an error reply', () => {
    expect(decideMasterReadFailure(connectionClosed, false)).toEqual({
      outcome: 'rethrow',
      node: 'keep',
    });
    expect(decideMasterReadFailure(wrongType, true)).toEqual({ outcome: 'rethrow', node: 'keep' });
  });
});
