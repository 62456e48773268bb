/**
 * How the test process reaches a node: credentials and TLS per node kind, a
 * long-lived connection to a sentinel, and one-shot commands on any node.
 */

import { connect as connectTcp } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';
import { Redis } from 'ioredis';
import { type DataAuth, SENTINEL_ADMIN_USER } from './config.js';
import { TopologyError } from './errors.js';
import type { TlsSettings } from './layout.js';
import type { TopologyNode } from './node.js';
import { nodeHostname } from './tls.js';

export interface AccessSettings {
  dataAuth: DataAuth;
  sentinelPassword: string | undefined;
  /** Set when the sentinels have ACL users: the topology then logs in as their admin user. */
  sentinelUser?: { name: string } | undefined;
  tls?: TlsSettings | undefined;
}

export class NodeAccess {
  constructor(private readonly settings: AccessSettings) {}

  /** `tls.connect` options for `node` (the topology's CA, client certificate, servername); `undefined` without TLS. */
  tlsFor(node: TopologyNode): ConnectionOptions | undefined {
    const tls = this.settings.tls;
    if (!tls) return undefined;
    return {
      ...tls.certificates.client,
      ...(tls.hostnameCertificates && { servername: nodeHostname(node.name) }),
    };
  }

  /**
   * The credentials the topology's own connections use on `node`: the data nodes' user, or on
   * the sentinels their password (as their admin user when they have ACL users, so the
   * topology keeps every permission whatever the clients' user lacks).
   */
  authFor(node: TopologyNode): DataAuth {
    if (node.kind !== 'sentinel') return this.settings.dataAuth;
    return {
      ...(this.settings.sentinelUser && { username: SENTINEL_ADMIN_USER }),
      password: this.settings.sentinelPassword,
    };
  }

  /** A lazily connecting, endlessly reconnecting connection to `sentinel` that fails commands fast while it is down. */
  sentinelClient(sentinel: TopologyNode): Redis {
    const tls = this.tlsFor(sentinel);
    const client = new Redis({
      host: sentinel.host,
      port: sentinel.port,
      ...this.redisAuth(sentinel),
      ...(tls && { tls }),
      lazyConnect: true,
      // Fail fast while a sentinel is down instead of queueing: polls retry anyway.
      enableOfflineQueue: false,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      commandTimeout: 1000,
      retryStrategy: () => 100,
    });
    // Connection errors are expected while a sentinel is killed; polls report them.
    client.on('error', () => {});
    return client;
  }

  /**
   * Runs one command on `node` over a connection of its own, bounded by 2 s (a
   * frozen node fails it with "Command timed out").
   */
  async command(
    node: TopologyNode,
    ...command: [string, ...(string | number | Buffer)[]]
  ): Promise<unknown> {
    const [reply] = await this.commands(node, command);
    return reply;
  }

  /** How many times `command` ran on `node` since it started or since `CONFIG RESETSTAT` (`INFO commandstats`). */
  async commandCalls(node: TopologyNode, command: string): Promise<number> {
    const info = String(await this.command(node, 'INFO', 'commandstats'));
    const match = new RegExp(`^cmdstat_${command.toLowerCase()}:calls=(\\d+)`, 'm').exec(info);
    return match ? Number(match[1]) : 0;
  }

  /**
   * Runs `commands` on `node` in one pipeline over a connection of its own (bounded like
   * {@link command}); resolves with their replies in order, rejects with the first error.
   */
  async commands(
    node: TopologyNode,
    ...commands: [string, ...(string | number | Buffer)[]][]
  ): Promise<unknown[]> {
    const tls = this.tlsFor(node);
    const redis = new Redis({
      host: node.host,
      port: node.port,
      ...this.redisAuth(node),
      ...(tls && { tls }),
      lazyConnect: true,
      // A bare connection (no HELLO, no CLIENT SETINFO, no ready check): the
      // command itself meets the node.
      protocol: 2,
      disableClientInfo: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2000,
      commandTimeout: 2000,
    });
    redis.on('error', () => {});
    try {
      await redis.connect();
      return await Promise.all(commands.map((command) => redis.call(...command)));
    } finally {
      redis.disconnect();
    }
  }

  /**
   * Sends commands to `node` over a connection of its own, even a frozen one: a frozen
   * process's kernel still accepts the connection and buffers what is written, so the node runs
   * them first thing when thawed. Resolves once they are written (raw RESP, `AUTH` pipelined
   * before them: ioredis would wait for `AUTH`'s reply first), with `reply` settling once the
   * node has answered them all. Each must answer one line (`+OK`). TLS needs the node to answer
   * its handshake, so a frozen TLS node is refused.
   */
  async send(
    node: TopologyNode,
    ...sent: (readonly (string | number)[])[]
  ): Promise<{ reply: Promise<void>; close(): void }> {
    const name = sent.map((c) => c[0]).join(', ');
    const tls = this.tlsFor(node);
    if (tls && node.state !== 'running') {
      throw new TopologyError(
        'NODE_NOT_RUNNING',
        `cannot send ${name} to ${node} over TLS: thaw() it first`,
      );
    }
    const { username, password } = this.authFor(node);
    const commands: string[][] = [];
    if (password !== undefined) {
      commands.push(username === undefined ? ['AUTH', password] : ['AUTH', username, password]);
    }
    commands.push(...sent.map((c) => c.map(String)));
    const socket = tls
      ? connectTls({ host: node.host, port: node.port, ...tls })
      : connectTcp({ host: node.host, port: node.port });
    await new Promise<void>((resolve, reject) => {
      socket.once(tls ? 'secureConnect' : 'connect', resolve);
      socket.once('error', reject);
      socket.setTimeout(2000, () =>
        reject(new TopologyError('TIMEOUT', `no connection to ${node} within 2000 ms`)),
      );
    }).catch((error: unknown) => {
      socket.destroy();
      throw error;
    });
    socket.setTimeout(0);
    const reply = new Promise<void>((resolve, reject) => {
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        // Every reply expected here is one line: +OK or -ERR ….
        const lines = received.split('\r\n').slice(0, -1);
        const failed = lines.find((line) => line.startsWith('-'));
        if (failed) reject(new Error(`${node} answered ${name} with ${failed.slice(1)}`));
        else if (lines.length >= commands.length) resolve();
        else return;
        socket.destroy();
      });
      socket.once('close', () => reject(new Error(`${node} closed the connection`)));
      socket.on('error', () => {});
    });
    reply.catch(() => {});
    socket.write(commands.map(encodeCommand).join(''));
    return { reply, close: () => socket.destroy() };
  }

  private redisAuth(node: TopologyNode): { username?: string; password?: string } {
    const { username, password } = this.authFor(node);
    return {
      ...(username !== undefined && { username }),
      ...(password !== undefined && { password }),
    };
  }
}

/** One command in RESP, as a client sends it (an array of bulk strings). */
function encodeCommand(args: readonly string[]): string {
  const bulk = args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
  return `*${args.length}\r\n${bulk}`;
}
