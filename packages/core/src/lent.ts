import type { Redis } from 'ioredis';
import {
  type CommandArg,
  pipelineRefusal,
  type QueuedCommand,
  type Refusal,
  refusalOf,
  writeInReadRefusal,
} from './command-policy.js';
import { SentinelKitError } from './errors.js';

/**
 * What a `read(fn)` or `write(fn)` callback receives: not the shared connection itself but a
 * view of it that refuses, before anything is sent, the commands that would break it for the
 * next caller (see command-policy.ts), and writes inside `read()`. Everything else is the
 * ioredis connection unchanged: commands, `pipeline()`, `multi()…exec()`, scripts.
 *
 * A view rather than a check after the callback: the connection is shared by every callback in
 * flight at once, so by the time one ends, others have already sent commands after its
 * `SELECT` or `MULTI`. Every command of a callback goes through `sendCommand`, and every
 * pipeline through its `exec`, both called on the view: that is where the checks are.
 */

/** Whether the callback was lent the connection to read or to write. */
export type LendMode = 'read' | 'write';

/** The typed error for a refused command. */
export function refusalError(refusal: Refusal): SentinelKitError {
  const where =
    refusal.code === 'WRITE_IN_READ'
      ? `${refusal.command} writes and was sent inside read()`
      : `${refusal.command} is not allowed on sentinelkit's shared connections`;
  return new SentinelKitError(refusal.code, `${where}: ${refusal.advice}. Nothing was sent`);
}

interface SentCommand {
  name: string;
  args: CommandArg[];
  reject: (error: Error) => void;
  promise: Promise<unknown>;
}

// A pipeline's `_queue` and `_transactions` are private to ioredis' Pipeline, unchanged across
// 6.x; test/ioredis-internals.test.ts fails by name if a version changes them (CI runs it on the
// oldest and the newest ioredis 6 accepted).
interface QueuedPipeline {
  _queue: QueuedCommand[];
  _transactions: number;
  exec: (...args: unknown[]) => Promise<unknown>;
}

const isPipeline = (value: unknown): value is QueuedPipeline =>
  typeof value === 'object' &&
  value !== null &&
  Array.isArray((value as QueuedPipeline)._queue) &&
  typeof (value as QueuedPipeline).exec === 'function';

/** Checks a pipeline as a whole when it is sent: refusing one command halfway would hang it. */
function guardPipeline(pipeline: QueuedPipeline, mode: LendMode): void {
  const exec = pipeline.exec;
  pipeline.exec = function guardedExec(this: QueuedPipeline, ...args: unknown[]) {
    const refusal = pipelineRefusal(this._queue, this._transactions, mode === 'read');
    if (refusal === undefined) return exec.apply(this, args);
    const rejected = Promise.reject(refusalError(refusal));
    const callback = args[0];
    if (typeof callback === 'function') rejected.catch((error: unknown) => callback(error));
    return rejected;
  };
}

function guardedView(redis: Redis, mode: LendMode, onSend?: (command: object) => void): Redis {
  function sendCommand(command: SentCommand, stream?: unknown, ...rest: unknown[]): unknown {
    onSend?.(command);
    // A pipeline's commands (sent with its stream) were checked together by its exec.
    if (stream === undefined) {
      const refusal =
        refusalOf(command.name, command.args) ??
        (mode === 'read' ? writeInReadRefusal(command.name) : undefined);
      if (refusal !== undefined) {
        command.reject(refusalError(refusal));
        return command.promise;
      }
    }
    return (redis.sendCommand as (...args: unknown[]) => unknown)(command, stream, ...rest);
  }
  function disconnect(): never {
    throw new SentinelKitError(
      'COMMAND_NOT_ALLOWED',
      "disconnect() is not allowed on sentinelkit's shared connections: it would close the connection for every other caller; call client.close() to end the client",
    );
  }
  return new Proxy(redis, {
    get(target, property, receiver) {
      if (property === 'sendCommand') return sendCommand;
      if (property === 'disconnect') return disconnect;
      const value = Reflect.get(target, property, receiver);
      if (property !== 'pipeline' && property !== 'multi') return value;
      return (...args: unknown[]) => {
        // Called on the view, so the pipeline sends its commands through the view.
        const result = (value as (...a: unknown[]) => unknown).apply(receiver, args);
        if (isPipeline(result)) guardPipeline(result, mode);
        return result;
      };
    },
  });
}

const views: Record<LendMode, WeakMap<Redis, Redis>> = {
  read: new WeakMap(),
  write: new WeakMap(),
};

/**
 * A guarded view of `redis` for one callback, which calls `onSend` with each command before it
 * is checked and sent (every command of the callback, its pipelines' too): how the cluster
 * client tells ioredis' routing hook, which sees only the command, which call it belongs to.
 */
export function lendTagged(redis: Redis, mode: LendMode, onSend: (command: object) => void): Redis {
  return guardedView(redis, mode, onSend);
}

/** The guarded view of `redis` lent to a callback (one per connection and mode, reused). */
export function lend(redis: Redis, mode: LendMode): Redis {
  let view = views[mode].get(redis);
  if (view === undefined) {
    view = guardedView(redis, mode);
    views[mode].set(redis, view);
  }
  return view;
}
