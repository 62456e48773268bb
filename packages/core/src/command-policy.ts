import { exists, hasFlag } from '@ioredis/commands';

/**
 * Which commands may travel on sentinelkit's connections. Every caller shares them: a command
 * that changes the state of the connection it runs on (its database, its transaction, its reply
 * mode, subscriber mode) or holds it (a blocking read) changes it for every other caller too,
 * and silently: writes answered `QUEUED` and never run, writes landing in another database,
 * replies matched to the wrong commands. Those commands are refused before they are sent.
 * Pure functions of a command's name and arguments.
 */

/** Why a command is refused, and what to use instead. */
export interface Refusal {
  /** `COMMAND_NOT_ALLOWED`: never on a shared connection; `WRITE_IN_READ`: a write inside `read()`. */
  code: 'COMMAND_NOT_ALLOWED' | 'WRITE_IN_READ';
  /** The command as the caller named it, upper case (with its subcommand for `CLIENT`). */
  command: string;
  /** A sentence for the error message: why, and what to use instead. */
  advice: string;
}

/** A command's arguments as ioredis takes them. */
export type CommandArg = string | Buffer | number;

const TRANSACTION =
  'a transaction must reach Redis whole: use `redis.multi().….exec()` inside write(fn), which sends MULTI, the commands and EXEC together';
const OWN_CONNECTION =
  'it needs a connection of its own (see "Subscribers and blocking commands" in docs/core.md)';
const SHARED = 'it would change the connection for every other caller';

/** Commands refused whatever their arguments, with the advice given for each. */
const REFUSED: ReadonlyMap<string, string> = new Map([
  ['multi', TRANSACTION],
  ['exec', TRANSACTION],
  ['discard', TRANSACTION],
  [
    'watch',
    `other callers' commands share the connection, so a WATCH guards nothing reliably: use a script (EVAL, defineCommand) for check-and-set, or ${OWN_CONNECTION.replace('it needs ', '')}`,
  ],
  ['unwatch', `${TRANSACTION}; WATCH is not available on shared connections`],
  ['select', `${SHARED}: choose the database with the "db" option (one client per database)`],
  ['subscribe', `subscriber mode: ${OWN_CONNECTION}`],
  ['psubscribe', `subscriber mode: ${OWN_CONNECTION}`],
  ['ssubscribe', `subscriber mode: ${OWN_CONNECTION}`],
  ['unsubscribe', `subscriber mode: ${OWN_CONNECTION}`],
  ['punsubscribe', `subscriber mode: ${OWN_CONNECTION}`],
  ['sunsubscribe', `subscriber mode: ${OWN_CONNECTION}`],
  ['monitor', `it turns the connection into a stream of events: ${OWN_CONNECTION}`],
  ['sync', `it turns the connection into a replication stream: ${OWN_CONNECTION}`],
  ['psync', `it turns the connection into a replication stream: ${OWN_CONNECTION}`],
  ['replconf', `it is a replica's handshake: ${OWN_CONNECTION}`],
  ['reset', `${SHARED}: it drops the database, credentials and transaction of the connection`],
  ['auth', `${SHARED}: set credentials with the "username" and "password" options`],
  ['hello', `${SHARED}: sentinelkit sets the protocol and credentials itself`],
  ['quit', `${SHARED}: call client.close() to end the client`],
  ['readonly', `${SHARED} (a cluster command)`],
  ['readwrite', `${SHARED} (a cluster command)`],
  [
    'wait',
    "it blocks the connection for every caller: use write(fn, { waitReplicas }), which runs WAIT on a connection of sentinelkit's own",
  ],
  [
    'waitaof',
    `it blocks the connection for every caller: ${OWN_CONNECTION.replace('it needs', 'use')}`,
  ],
]);

/** `CLIENT` subcommands that change the connection they run on. */
const CLIENT_SUBCOMMANDS: ReadonlyMap<string, string> = new Map([
  ['reply', `${SHARED}: replies would stop matching commands`],
  ['tracking', `${SHARED}: ${OWN_CONNECTION}`],
  ['caching', `${SHARED}: ${OWN_CONNECTION}`],
  ['setname', `${SHARED}: set "redisOptions.connectionName" instead`],
  ['setinfo', `${SHARED}: set "redisOptions.clientInfoTag" instead`],
  ['no-evict', SHARED],
  ['no-touch', SHARED],
]);

// XREAD and XREADGROUP block only with a BLOCK option (which comes before STREAMS).
const BLOCKING_WITH_OPTION: ReadonlySet<string> = new Set(['xread', 'xreadgroup']);

const text = (arg: CommandArg | undefined) =>
  arg === undefined
    ? ''
    : (Buffer.isBuffer(arg) ? arg.toString('latin1') : String(arg)).toLowerCase();

function blocks(command: string, args: readonly CommandArg[]): boolean {
  if (!exists(command) || !hasFlag(command, 'blocking')) return false;
  if (!BLOCKING_WITH_OPTION.has(command)) return true;
  for (const arg of args) {
    const option = text(arg);
    if (option === 'streams') return false;
    if (option === 'block') return true;
  }
  return false;
}

/**
 * Why `name args…` may not be sent on a shared connection, or `undefined` when it may. Refused:
 * transactions outside `multi()…exec()`, `WATCH`, `SELECT`, the subscribe commands, `MONITOR`,
 * replication handshakes, `RESET`, `AUTH`, `HELLO`, `QUIT`, `READONLY`/`READWRITE`, the `CLIENT`
 * subcommands that change the connection, and blocking commands (`BLPOP`…, `XREAD BLOCK`,
 * `WAIT`).
 */
export function refusalOf(name: string, args: readonly CommandArg[] = []): Refusal | undefined {
  const command = name.toLowerCase();
  const refused = REFUSED.get(command);
  if (refused !== undefined) {
    return { code: 'COMMAND_NOT_ALLOWED', command: command.toUpperCase(), advice: refused };
  }
  if (command === 'client') {
    const sub = text(args[0]);
    const advice = CLIENT_SUBCOMMANDS.get(sub);
    if (advice === undefined) return undefined;
    return { code: 'COMMAND_NOT_ALLOWED', command: `CLIENT ${sub.toUpperCase()}`, advice };
  }
  if (blocks(command, args)) {
    return {
      code: 'COMMAND_NOT_ALLOWED',
      command: command.toUpperCase(),
      advice: `it blocks the connection for every caller: ${OWN_CONNECTION.replace('it needs', 'use')}`,
    };
  }
  return undefined;
}

/**
 * Why `name` may not be sent inside `read()`: it writes (Redis' `write` flag). Reads may run on
 * a replica, which refuses writes, or on the master when no replica is healthy, where a write
 * would succeed: refusing it everywhere makes `read()` behave the same on every node. Commands
 * without the flag (`EVAL`, module commands) are sent; a replica refuses their writes itself.
 */
export function writeInReadRefusal(name: string): Refusal | undefined {
  const command = name.toLowerCase();
  if (!exists(command) || !hasFlag(command, 'write')) return undefined;
  return {
    code: 'WRITE_IN_READ',
    command: command.toUpperCase(),
    advice: 'reads may run on a replica, which refuses writes: send writes with write()',
  };
}

/** A command as queued in an ioredis pipeline. */
export interface QueuedCommand {
  name: string;
  args: readonly CommandArg[];
}

/**
 * Why a pipeline may not be sent, or `undefined` when it may. Its transactions must be whole:
 * each `MULTI` closed by `EXEC` or `DISCARD` within the pipeline, except the `open` ones ioredis
 * will close itself when it sends the pipeline (`multi()…exec()`). Every other command is checked
 * as on its own, and for writes as well when `read` is set.
 */
export function pipelineRefusal(
  commands: readonly QueuedCommand[],
  open: number,
  read: boolean,
): Refusal | undefined {
  const unbalanced: Refusal = {
    code: 'COMMAND_NOT_ALLOWED',
    command: 'MULTI',
    advice: TRANSACTION,
  };
  let depth = 0;
  for (const { name, args } of commands) {
    const command = name.toLowerCase();
    if (command === 'multi') {
      if (depth++ > 0) return unbalanced; // nested
      continue;
    }
    if (command === 'exec' || command === 'discard') {
      if (depth-- === 0) return { ...unbalanced, command: command.toUpperCase() };
      continue;
    }
    const refusal = refusalOf(command, args) ?? (read ? writeInReadRefusal(command) : undefined);
    if (refusal !== undefined) return refusal;
  }
  return depth === open ? undefined : unbalanced;
}
