// What `status` sends to each data node, against a fake sentinel (RESP) naming a node by hostname.
import { createServer } from 'node:net';
import { type NodeAddress, resolveOptions } from '@sentinelkit/core';
import { type FakeRedis, type FakeSentinelScript, startFakeSentinel } from '@sentinelkit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectDeployment, sentinelFailure } from '../src/inspect.js';

const MASTER_NAME = 'mymaster';
const fakes: FakeRedis[] = [];

async function fakeSentinel(script: FakeSentinelScript): Promise<FakeRedis> {
  const fake = await startFakeSentinel(script);
  fakes.push(fake);
  return fake;
}

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

describe('inspectDeployment: per-node TLS options (review item 4)', () => {
  it('the tls function gets the address Sentinel announces, not the natMap target, as in the core', async () => {
    const sentinel = await fakeSentinel({ master: () => ['redis-a.internal', '7000'] });
    const mapped = await closedPort();
    const seen: NodeAddress[] = [];
    const options = resolveOptions({
      masterName: MASTER_NAME,
      sentinels: [{ host: sentinel.host, port: sentinel.port }],
      natMap: { 'redis-a.internal:7000': { host: '127.0.0.1', port: mapped } },
      tls: (node) => {
        seen.push({ ...node });
        return {};
      },
      connectTimeout: 2000,
      sentinelTimeout: 2000,
    });
    const report = await inspectDeployment(options);
    expect(report.master?.address).toBe('redis-a.internal:7000');
    expect(report.master?.reachable).toBe(false);
    expect(seen).toEqual([{ host: 'redis-a.internal', port: 7000 }]);
  });
});

describe('sentinelFailure: the core classification of a sentinel that could not be asked (review item 8)', () => {
  const coded = (code: string, message: string) => Object.assign(new Error(message), { code });
  const plain = resolveOptions({ masterName: 'm', sentinels: [{ host: 'h', port: 1 }] });
  const tls = resolveOptions({
    masterName: 'm',
    sentinels: [{ host: 'h', port: 1 }],
    sentinelTls: {},
  });

  it('refused: rejected credentials or an ACL rule, as core reads them', () => {
    for (const message of [
      'WRONGPASS invalid username-password pair or user is disabled.',
      'NOAUTH Authentication required.',
      "NOPERM User app has no permissions to run the 'sentinel|get-master-addr-by-name' command",
    ]) {
      expect(sentinelFailure(new Error(message), plain).refused).toBe(true);
    }
    expect(sentinelFailure(new Error('Connection is closed.'), plain).refused).toBe(false);
  });

  it('a closed connection hints at TLS only when TLS is off', () => {
    expect(sentinelFailure(new Error('Connection is closed.'), plain).hint).toMatch(/sentinelTls/);
    expect(sentinelFailure(new Error('Connection is closed.'), tls).hint).toBeUndefined();
  });

  it('with TLS on, a refused client certificate says so', () => {
    const alert = coded(
      'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      'error:0A00045C:SSL routines::tlsv13 alert certificate required',
    );
    expect(sentinelFailure(alert, tls).hint).toMatch(/sentinelTls\.cert/);
  });
});

describe('inspectDeployment leaves nothing running (issue 14: status took ~2.3 s with one sentinel down)', () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('a sentinel refusing connections and an unreachable master leave no timer behind', async () => {
    const master = await closedPort();
    const sentinel = await fakeSentinel({ master: () => ['127.0.0.1', String(master)] });
    const refusing = await closedPort();
    const options = resolveOptions({
      masterName: MASTER_NAME,
      sentinels: [
        { host: sentinel.host, port: sentinel.port },
        { host: '127.0.0.1', port: refusing },
      ],
      connectTimeout: 2000,
      sentinelTimeout: 2000,
    });
    const before = timers();
    const report = await inspectDeployment(options);
    expect(report.sentinels.map((s) => s.reachable)).toEqual([true, false]);
    expect(report.master?.reachable).toBe(false);
    // ioredis' disconnect() on a connection whose socket had already closed armed its 2-second
    // disconnectTimeout, which held the process (the CLI exited ~2 s late).
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
