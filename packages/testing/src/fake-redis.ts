/**
 * A tiny fake Redis/Sentinel server speaking RESP2, for unit tests of discovery edge cases (null
 * replies, wrong roles, unknown master names, hangs, ACL refusals) that a real server will not
 * produce on cue. Not a Redis: what it answers is what the test's handler says. Tests of
 * behaviour on real servers use `startSentinelTopology`.
 *
 * ioredis 6 opens with `HELLO 3`; unless the handler answers it, the fake replies `NOPROTO` as a
 * Redis 5 would, and ioredis falls back to RESP2.
 */
import { createServer, type Socket } from 'node:net';

/**
 * A reply: `{ simple }` (+OK), `{ error }` (-ERR …), `{ replies }` (several replies to one
 * command, as SUBSCRIBE sends one per channel), a string or Buffer (bulk string), an
 * integer, `null` (null bulk string), or an array of replies.
 */
export type FakeReply =
  | { simple: string }
  | { error: string }
  | { replies: readonly FakeReply[] }
  | string
  | Buffer
  | number
  | null
  | readonly FakeReply[];

/**
 * What a handler returns: a reply; `'hang'` to never answer this command or any later one on the
 * same connection (a stopped server); `'close'` to drop the connection; `undefined` for the
 * default reply (PING → PONG, HELLO → NOPROTO, AUTH/SELECT/CLIENT → OK, else unknown command).
 * To send the bulk strings "hang" or "close", return them as Buffers.
 */
export type FakeAction = FakeReply | 'hang' | 'close' | undefined;

/** Called for every command, with its name and arguments as strings. */
export type FakeHandler = (args: string[]) => FakeAction | Promise<FakeAction>;

/** A running fake server. */
export interface FakeRedis {
  /** Always `127.0.0.1`. */
  host: string;
  /** The port the server listens on. */
  port: number;
  /** Every command received, in arrival order, including the client's handshake. */
  commands: string[][];
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a fake server on 127.0.0.1 and a free port. */
export async function startFakeRedis(handler: FakeHandler): Promise<FakeRedis> {
  const sockets = new Set<Socket>();
  const commands: string[][] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending: Buffer = Buffer.alloc(0);
    // Replies leave in request order, as with Redis, even when a handler answers out of order.
    let queue: Promise<void> = Promise.resolve();
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        let parsed: { args: string[]; rest: Buffer } | undefined;
        try {
          parsed = readCommand(pending);
        } catch {
          socket.end('-ERR Protocol error: the fake only reads arrays of bulk strings\r\n');
          return;
        }
        if (parsed === undefined) return;
        const { args } = parsed;
        pending = parsed.rest;
        commands.push(args);
        queue = queue.then(() => respond(socket, args, handler));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake server has no port');
  return {
    host: '127.0.0.1',
    port: address.port,
    commands,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function respond(socket: Socket, args: string[], handler: FakeHandler): Promise<void> {
  let action: FakeAction;
  try {
    action = await handler(args);
  } catch (error) {
    action = { error: `ERR fake handler threw: ${(error as Error).message}` };
  }
  if (action === undefined) action = defaultReply(args);
  if (action === 'hang') return new Promise<void>(() => {});
  if (action === 'close') {
    socket.end();
    return;
  }
  if (socket.writable) socket.write(encode(action));
}

function defaultReply(args: string[]): FakeReply {
  const name = (args[0] ?? '').toLowerCase();
  if (name === 'ping') return args[1] ?? { simple: 'PONG' };
  if (name === 'hello') return { error: 'NOPROTO sorry, this protocol version is not supported' };
  if (name === 'auth' || name === 'select' || name === 'client') return { simple: 'OK' };
  return { error: `ERR unknown command '${args[0]}'` };
}

/** What a fake sentinel ({@link startFakeSentinel}) answers; each function is called once per command. */
export interface FakeSentinelScript {
  /** Reply to `SENTINEL get-master-addr-by-name` (`null`: it knows no such master). */
  master: (name: string) => FakeAction;
  /** Reply to `SENTINEL master` (its `config-epoch` and `flags`); an error by default. */
  state?: () => FakeAction;
  /** Reply to `SENTINEL replicas`; `[]` by default. */
  replicas?: () => FakeAction;
  /** Reply to `SENTINEL sentinels`; `[]` by default. */
  sentinels?: () => FakeAction;
  /** Reply to any other command (AUTH, SUBSCRIBE, …); the fake's default when `undefined`. */
  other?: (args: string[]) => FakeAction;
}

/**
 * A fake sentinel answering the `SENTINEL` queries a client or a status tool sends, from
 * `script`; other `SENTINEL` subcommands get an error. Close it with `close()`.
 */
export function startFakeSentinel(script: FakeSentinelScript): Promise<FakeRedis> {
  return startFakeRedis((args) => {
    if (args[0]?.toUpperCase() !== 'SENTINEL') return script.other?.(args);
    switch (args[1]?.toLowerCase()) {
      case 'get-master-addr-by-name':
        return script.master(args[2] ?? '');
      case 'master':
        return script.state?.() ?? { error: 'ERR No such master with that name' };
      case 'replicas':
        return script.replicas?.() ?? [];
      case 'sentinels':
        return script.sentinels?.() ?? [];
      default:
        return { error: `ERR unknown sentinel subcommand '${args[1]}'` };
    }
  });
}

/** Encodes a reply in RESP2. */
export function encode(reply: FakeReply): Buffer {
  if (reply === null) return Buffer.from('$-1\r\n');
  if (typeof reply === 'number') return Buffer.from(`:${Math.trunc(reply)}\r\n`);
  if (typeof reply === 'string' || Buffer.isBuffer(reply)) {
    const body = Buffer.isBuffer(reply) ? reply : Buffer.from(reply);
    return Buffer.concat([Buffer.from(`$${body.length}\r\n`), body, Buffer.from('\r\n')]);
  }
  if (Array.isArray(reply)) {
    const items = reply as readonly FakeReply[];
    return Buffer.concat([Buffer.from(`*${items.length}\r\n`), ...items.map(encode)]);
  }
  if ('replies' in reply) return Buffer.concat(reply.replies.map(encode));
  if ('simple' in reply) return Buffer.from(`+${reply.simple}\r\n`);
  return Buffer.from(`-${(reply as { error: string }).error}\r\n`);
}

/**
 * Reads one `*N\r\n$len\r\narg\r\n…` command from the front of `buffer`; `undefined` when it is
 * not complete yet. Throws on anything else, which ioredis never sends.
 */
function readCommand(buffer: Buffer): { args: string[]; rest: Buffer } | undefined {
  const header = readLine(buffer, 0, '*');
  if (header === undefined) return undefined;
  const args: string[] = [];
  let offset = header.next;
  for (let i = 0; i < header.value; i++) {
    const length = readLine(buffer, offset, '$');
    if (length === undefined) return undefined;
    const end = length.next + length.value;
    if (buffer.length < end + 2) return undefined;
    args.push(buffer.toString('utf8', length.next, end));
    offset = end + 2;
  }
  return { args, rest: buffer.subarray(offset) };
}

function readLine(
  buffer: Buffer,
  offset: number,
  prefix: string,
): { value: number; next: number } | undefined {
  if (buffer.length <= offset) return undefined;
  if (buffer[offset] !== prefix.charCodeAt(0)) throw new Error(`expected ${prefix}`);
  const end = buffer.indexOf('\r\n', offset);
  if (end < 0) return undefined;
  const value = Number(buffer.toString('latin1', offset + 1, end));
  if (!Number.isInteger(value) || value < 0) throw new Error(`bad ${prefix} length`);
  return { value, next: end + 2 };
}
