/**
 * Fake sentinels and data nodes built on {@link startFakeRedis}, for unit tests of what the client
 * does with what sentinels tell it (stale answers, hostile replies, ACL refusals).
 */
import { createServer } from 'node:net';
import {
  type FakeAction,
  type FakeRedis,
  type FakeSentinelScript,
  startFakeRedis,
  startFakeSentinel,
} from '@sentinelkit/testing';
import type { NodeAddress } from '../../src/index.js';

export const MASTER_NAME = 'mymaster';

/** Every fake started through this module, for the test's `afterEach` to close. */
export const fakes: FakeRedis[] = [];

/** What a fake sentinel answers (@sentinelkit/testing's script). */
export type SentinelScript = FakeSentinelScript;

export async function fakeSentinel(script: SentinelScript): Promise<FakeRedis> {
  const server = await startFakeSentinel(script);
  fakes.push(server);
  return server;
}

/** A sentinel naming `master`, with `config-epoch` `epoch` when given. */
export function knows(
  master: NodeAddress,
  rest: Omit<SentinelScript, 'master'> & { epoch?: number } = {},
): Promise<FakeRedis> {
  const { epoch, ...script } = rest;
  return fakeSentinel({
    master: (name) => (name === MASTER_NAME ? [master.host, String(master.port)] : null),
    ...(epoch !== undefined && { state: () => masterState(master, epoch) }),
    ...script,
  });
}

/** A `SENTINEL master` reply. */
export function masterState(master: NodeAddress, epoch: number, flags = 'master'): string[] {
  return [
    'name',
    MASTER_NAME,
    'ip',
    master.host,
    'port',
    String(master.port),
    'flags',
    flags,
    'config-epoch',
    String(epoch),
  ];
}

/**
 * A data node: answers the ready check's `INFO`, and `ROLE` with `role(n)` for the n-th `ROLE`
 * (from 0). `other` answers anything else.
 */
export async function fakeDataNode(
  role: (attempt: number) => FakeAction | Promise<FakeAction>,
  other?: (args: string[]) => FakeAction,
): Promise<FakeRedis> {
  let roles = 0;
  const server = await startFakeRedis((args) => {
    const name = args[0]?.toUpperCase();
    if (name === 'INFO') return '# Server\r\nredis_version:7.0.15\r\nloading:0\r\n';
    if (name === 'ROLE') return role(roles++);
    return other?.(args);
  });
  fakes.push(server);
  return server;
}

export const masterRole = (): FakeAction => ['master', 3000, []];
export const replicaRole =
  (of: NodeAddress, linkState = 'connected') =>
  (): FakeAction => ['slave', of.host, of.port, linkState, 3000];

/** One entry of `SENTINEL replicas`, as Redis 7 sends it (flat key/value list). */
export function replicaEntry(
  replica: { host: string; port: number | string },
  master: NodeAddress,
  overrides: Record<string, string> = {},
): string[] {
  const fields: Record<string, string> = {
    name: `${replica.host}:${replica.port}`,
    ip: replica.host,
    port: String(replica.port),
    runid: 'f00d',
    flags: 'slave',
    'master-link-status': 'ok',
    'master-host': master.host,
    'master-port': String(master.port),
    'slave-repl-offset': '3000',
    ...overrides,
  };
  return Object.entries(fields).flat();
}

/** One entry of `SENTINEL sentinels`. */
export function sentinelEntry(
  sentinel: { host: string; port: number | string },
  overrides: Record<string, string> = {},
): string[] {
  const fields: Record<string, string> = {
    name: `sentinel-${sentinel.port}`,
    ip: sentinel.host,
    port: String(sentinel.port),
    runid: `run-${sentinel.host}-${sentinel.port}`,
    flags: 'sentinel',
    ...overrides,
  };
  return Object.entries(fields).flat();
}

/** A port nothing listens on: bound once by us, then released. */
export async function closedPort(): Promise<NodeAddress> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { host: '127.0.0.1', port: address.port };
}

export const at = (server: { host: string; port: number }): NodeAddress => ({
  host: server.host,
  port: server.port,
});

/** Commands a fake received that start with `prefix` (case-insensitive). */
export const count = (server: FakeRedis, ...prefix: string[]) =>
  server.commands.filter((args) =>
    prefix.every((p, i) => args[i]?.toLowerCase() === p.toLowerCase()),
  ).length;
