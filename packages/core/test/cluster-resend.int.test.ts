// What becomes of a write in flight when its slot's master is lost, on a real cluster (3
// masters, 1 replica each; cluster-require-full-coverage no): the rule of the Sentinel client.
// A write that was sent and lost its reply runs again only if the caller said it is idempotent;
// any other rejects with COMMAND_MAY_HAVE_EXECUTED and is not run again behind the caller's back
// (ioredis' Cluster would send it again by itself); a write never sent runs once the slot has a
// master again, idempotent or not. Each test breaks its cluster, so each starts its own.
import { type ClusterTopology, startClusterTopology } from '@sentinelkit/testing';
import type { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ClusterClient, createClusterClient } from '../src/cluster/client.js';
import { isSentinelKitError } from '../src/index.js';

let cluster: ClusterTopology | undefined;
let client: ClusterClient | undefined;

afterEach(async () => {
  await client?.close();
  await cluster?.stop();
  client = undefined;
  cluster = undefined;
});

async function start(): Promise<{ cluster: ClusterTopology; client: ClusterClient }> {
  cluster = await startClusterTopology({
    masters: 3,
    replicasPerMaster: 1,
    requireFullCoverage: false,
  });
  client = createClusterClient(cluster.location, { healthPollInterval: 200 });
  await client.connect();
  return { cluster, client };
}

/** How a write ended: its value, or the sentinelkit code (else the message) it rejected with. */
function settle<T>(write: Promise<T>): Promise<{ value?: T; code?: string }> {
  return write.then(
    (value) => ({ value }),
    (error: unknown) => ({
      code: isSentinelKitError(error) ? error.code : (error as Error).message,
    }),
  );
}

/** ioredis' connection to the node at `port`, as the client's `Cluster` holds it. */
async function nodeConnection(client: ClusterClient, port: number): Promise<Redis> {
  const node = await client.write(async (c) =>
    (c as unknown as Cluster).nodes('master').find((n) => n.options.port === port),
  );
  if (node === undefined) throw new Error(`the client has no connection to the master at ${port}`);
  return node;
}

// INCRs KEYS[1], then keeps its master busy for ARGV[1] ms: while it runs, the EVAL is in flight.
const INCR_THEN_SPIN = `
redis.call('INCR', KEYS[1])
local t = redis.call('TIME')
local start = t[1] * 1000 + math.floor(t[2] / 1000)
while true do
  local now = redis.call('TIME')
  if now[1] * 1000 + math.floor(now[2] / 1000) - start >= tonumber(ARGV[1]) then break end
end
return redis.call('GET', KEYS[1])
`;

describe('a write in flight when its connection to the master is lost', () => {
  it('non-idempotent: rejects with COMMAND_MAY_HAVE_EXECUTED and runs once; idempotent: runs again', {
    timeout: 60_000,
  }, async () => {
    const { cluster, client } = await start();
    const master = await cluster.masterForKey('{lost}');
    await client.write((m) => m.set('{lost}:warm', '1'), { idempotent: true });
    const node = await nodeConnection(client, master.port);
    // The replies stay in the socket, unread: the writes are sent, their replies never arrive.
    node.stream.pause();
    const incr = settle(client.write((m) => m.incr('{lost}:counter')));
    const set = settle(client.write((m) => m.set('{lost}:k', 'v'), { idempotent: true }));
    // Both ran on the master…
    await vi.waitFor(
      async () => {
        expect(await cluster.command(master, 'GET', '{lost}:counter')).toBe('1');
        expect(await cluster.command(master, 'GET', '{lost}:k')).toBe('v');
      },
      { timeout: 5000, interval: 10 },
    );
    // …and the connection is lost before their replies are read.
    node.stream.destroy();

    expect(await incr).toEqual({ code: 'COMMAND_MAY_HAVE_EXECUTED' });
    expect(await set).toEqual({ value: 'OK' });
    // Not sent again: it ran once.
    expect(await cluster.command(master, 'GET', '{lost}:counter')).toBe('1');
    // The client goes on with the slot.
    expect(await client.write((m) => m.incr('{lost}:counter'))).toBe(2);
  });
});

describe('a write in flight when its master is killed', () => {
  it('non-idempotent: COMMAND_MAY_HAVE_EXECUTED, not run on the new master; idempotent, and writes sent after the kill: run once the replica is promoted', {
    timeout: 60_000,
  }, async () => {
    const { cluster, client } = await start();
    const slot = cluster.slotOf('{victim}');
    const master = await cluster.masterForKey('{victim}');
    await client.write((m) => m.set('{victim}:warm', '1'), { idempotent: true });
    // Other clients get BUSY once a script ran 10 ms: how the test knows the EVAL is running.
    await cluster.command(master, 'CONFIG', 'SET', 'busy-reply-threshold', '10');

    const script = settle(
      client.write((m) => m.eval(INCR_THEN_SPIN, 1, '{victim}:counter', '2000')),
    );
    // Sent behind the script, so in flight too.
    const set = settle(client.write((m) => m.set('{victim}:k', 'v'), { idempotent: true }));
    await vi.waitFor(
      async () => {
        await expect(cluster.command(master, 'PING')).rejects.toThrow(/BUSY/);
      },
      { timeout: 5000, interval: 10 },
    );
    await cluster.killMaster({ slot });
    // Never sent while the slot has no master: run once it has one, idempotent or not.
    const afterKill = settle(client.write((m) => m.incr('{victim}:after-kill')));
    const { master: promoted } = await cluster.waitForFailover({ slot });

    expect(await script).toEqual({ code: 'COMMAND_MAY_HAVE_EXECUTED' });
    expect(await set).toEqual({ value: 'OK' });
    expect(await afterKill).toEqual({ value: 1 });
    // The script's INCR died with the old master (scripts replicate when they end), and the
    // EVAL was not sent again to the promoted replica.
    expect(await cluster.command(promoted, 'GET', '{victim}:counter')).toBeNull();
    expect(await cluster.command(promoted, 'GET', '{victim}:k')).toBe('v');
    expect(await cluster.command(promoted, 'GET', '{victim}:after-kill')).toBe('1');
  });
});

describe('a write held by a frozen master (SIGSTOP) when the client moves to the promoted replica', () => {
  it('non-idempotent: COMMAND_MAY_HAVE_EXECUTED, not run on the new master; idempotent: runs there', {
    timeout: 90_000,
  }, async () => {
    const { cluster, client } = await start();
    const slot = cluster.slotOf('{frozen}');
    await client.write((m) => m.set('{frozen}:warm', '1'), { idempotent: true });
    const old = await cluster.freezeMaster({ slot });
    // Sent to the frozen master: its socket holds them, unanswered.
    const incr = settle(client.write((m) => m.incr('{frozen}:counter')));
    const set = settle(client.write((m) => m.set('{frozen}:k', 'v'), { idempotent: true }));
    const { master: promoted } = await cluster.waitForFailover({ slot });

    expect(await incr).toEqual({ code: 'COMMAND_MAY_HAVE_EXECUTED' });
    expect(await set).toEqual({ value: 'OK' });
    // The old master, thawed, may run what its socket held; it then resyncs from the promoted
    // replica, which never got the INCR.
    await cluster.thaw(old);
    await cluster.waitForReady({ timeoutMs: 30_000 });
    expect(await cluster.command(promoted, 'GET', '{frozen}:counter')).toBeNull();
    expect(await cluster.command(promoted, 'GET', '{frozen}:k')).toBe('v');
  });
});
