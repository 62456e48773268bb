// The cluster client through faults on a real cluster (3 masters, 1 replica each;
// cluster-require-full-coverage no, so the other shards keep serving while one has no master).
// Each test breaks the cluster, so each starts its own.
import { type ClusterTopology, startClusterTopology } from '@sentinelkit/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ClusterClient, createClusterClient } from '../src/cluster/client.js';
import type { TopologyEvent } from '../src/index.js';

let cluster: ClusterTopology | undefined;
let client: ClusterClient | undefined;

afterEach(async () => {
  await client?.close();
  await cluster?.stop();
  client = undefined;
  cluster = undefined;
});

async function start(
  replicasPerMaster = 1,
): Promise<{ cluster: ClusterTopology; client: ClusterClient }> {
  cluster = await startClusterTopology({
    masters: 3,
    replicasPerMaster,
    requireFullCoverage: false,
  });
  client = createClusterClient(cluster.location, { healthPollInterval: 200 });
  await client.connect();
  return { cluster, client };
}

describe('ClusterClient through a failover', () => {
  it('a killed master: 0 failed idempotent writes, the other shards not held', {
    timeout: 60_000,
  }, async () => {
    const { cluster, client } = await start();
    const killedSlot = cluster.slotOf('{victim}');
    const changes: TopologyEvent[] = [];
    client.on('topology-change', (event) => changes.push(event));

    // Writers over every shard: each key records its last acknowledged value.
    // Keys of the other shards only; the failed shard's are the same keys under `{victim}`.
    const killedShard = cluster.shardIndexOf(killedSlot);
    const keys = Array.from({ length: 90 }, (_, i) => `load:${i}`).filter(
      (key) => cluster.shardIndexOf(cluster.slotOf(key)) !== killedShard,
    );
    const acknowledged = new Map<string, number>();
    const failures: string[] = [];
    const heldOther: number[] = []; // latencies of writes to other shards during the failover
    let killedAt: number | undefined;
    let promotedAt: number | undefined;
    let stop = false;
    // Writers of the failed shard and writers of the others, apart: a writer waiting on the
    // failed shard would otherwise hold its next write to another shard.
    const writer = async (offset: number, victim: boolean) => {
      for (let n = 0; !stop && client.status !== 'closed'; n++) {
        const key = keys[(offset + n) % keys.length] as string;
        const target = victim ? `{victim}:${key}` : key;
        const started = Date.now();
        try {
          await client.write((m) => m.set(target, String(n)), { idempotent: true });
          acknowledged.set(target, n);
          const inWindow = killedAt !== undefined && promotedAt === undefined;
          if (!victim && inWindow) {
            heldOther.push(Date.now() - started);
          }
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    const writers = [
      writer(0, true),
      writer(31, true),
      writer(7, false),
      writer(13, false),
      writer(29, false),
    ];
    await vi.waitFor(() => expect(acknowledged.size).toBeGreaterThan(40), { timeout: 10_000 });

    const old = await cluster.killMaster({ slot: killedSlot });
    killedAt = Date.now();
    const { master } = await cluster.waitForFailover({ slot: killedSlot });
    promotedAt = Date.now();
    // The client saw the new master (its poll, or ioredis' MOVED), and writes to the shard go on.
    await vi.waitFor(
      () => {
        const moved = changes.some(
          (e) => e.type === 'MASTER_CHANGE' && e.current.port === master.port,
        );
        expect(moved).toBe(true);
      },
      { timeout: 10_000, interval: 20 },
    );
    await client.write((m) => m.set('{victim}:after', '1'), { idempotent: true });
    stop = true;
    await Promise.all(writers);

    expect(failures).toEqual([]);
    expect(old.address).not.toBe(master.address);
    // The other shards kept going while the failed one had no master, none held for long.
    expect(heldOther.length).toBeGreaterThan(10);
    expect(Math.max(...heldOther)).toBeLessThan(1000);
    // Every acknowledged write is there, read from the masters.
    for (const [key, value] of acknowledged) {
      const stored = await client.read((node) => node.get(key), { readFrom: 'master' });
      expect(Number(stored)).toBeGreaterThanOrEqual(value);
    }
    expect(client.stats().writeRetries).toBeGreaterThan(0);
    // The lost connection made the master suspect at once (the view was then read every 50 ms),
    // and it stayed suspect until the promotion: ioredis reconnecting to the dead node (its slot
    // map still names it) does not clear the suspicion.
    const change = changes.find(
      (e) => e.type === 'MASTER_CHANGE' && e.current.port === master.port,
    );
    const timings = change?.type === 'MASTER_CHANGE' ? change.timings : undefined;
    expect(timings?.lostAt).toBeDefined();
    expect((timings?.lostAt ?? Infinity) - killedAt).toBeLessThan(500);
  });
});

/** One write of {@link steadyWrites}: its key, when it was issued and answered, how it ended. */
interface WriteRecord {
  key: string;
  victim: boolean;
  issuedAt: number;
  doneAt: number | undefined;
  error: string | undefined;
}

/**
 * Issues an idempotent SET of a fresh key every `everyMs`, alternating between the failed
 * shard's keys (`{victim}:n`) and keys of the other shards, whether or not earlier writes have
 * answered (as an application under load does): a write stuck on a hung node does not hold back
 * the next one, so the writes a hung socket holds show up as they would in production.
 */
function steadyWrites(
  client: ClusterClient,
  otherKeys: readonly string[],
  everyMs: number,
): { records: WriteRecord[]; stop(): Promise<void> } {
  const records: WriteRecord[] = [];
  const pending = new Set<Promise<void>>();
  let n = 0;
  const timer = setInterval(() => {
    const victim = n % 2 === 0;
    const key = victim ? `{victim}:${n}` : `${otherKeys[n % otherKeys.length]}:${n}`;
    n++;
    const record: WriteRecord = {
      key,
      victim,
      issuedAt: Date.now(),
      doneAt: undefined,
      error: undefined,
    };
    records.push(record);
    const write = client
      .write((m) => m.set(key, String(n)), { idempotent: true })
      .then(
        () => {
          record.doneAt = Date.now();
        },
        (error: Error) => {
          record.doneAt = Date.now();
          record.error = error.message;
        },
      )
      .finally(() => pending.delete(write));
    pending.add(write);
  }, everyMs);
  return {
    records,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

describe('ClusterClient through a frozen master (SIGSTOP)', () => {
  it('holds only the frozen shard until the promotion, moves at once, loses no acknowledged write after the thaw', {
    timeout: 90_000,
  }, async () => {
    const { cluster, client } = await start();
    const frozenSlot = cluster.slotOf('{victim}');
    const frozenShard = cluster.shardIndexOf(frozenSlot);
    const otherKeys = Array.from({ length: 60 }, (_, i) => `{load:${i}}`).filter(
      (key) => cluster.shardIndexOf(cluster.slotOf(key)) !== frozenShard,
    );
    const changes: TopologyEvent[] = [];
    client.on('topology-change', (event) => changes.push(event));
    const load = steadyWrites(client, otherKeys, 5);
    await vi.waitFor(
      () => expect(load.records.filter((r) => r.doneAt).length).toBeGreaterThan(50),
      {
        timeout: 10_000,
      },
    );

    const old = await cluster.freezeMaster({ slot: frozenSlot });
    const frozenAt = Date.now();
    const failover = await cluster.waitForFailover({ slot: frozenSlot });
    // The client says it moved the shard to the promoted replica…
    await vi.waitFor(
      () => {
        const moved = changes.some(
          (e) => e.type === 'MASTER_CHANGE' && e.current.port === failover.master.port,
        );
        expect(moved).toBe(true);
      },
      { timeout: 10_000, interval: 5 },
    );
    // …so the old master, thawed now with the writes its socket held, must not acknowledge any.
    await cluster.thaw(old);
    const thawedAt = Date.now();
    // Writes to the frozen shard go on, on the promoted replica.
    await vi.waitFor(
      () => {
        const after = load.records.filter(
          (r) => r.victim && r.issuedAt > thawedAt && r.doneAt && !r.error,
        );
        expect(after.length).toBeGreaterThan(10);
      },
      { timeout: 10_000, interval: 10 },
    );
    await cluster.waitForReady({ timeoutMs: 30_000 });
    await load.stop();

    const failures = load.records.filter((r) => r.error !== undefined);
    expect.soft(failures.map((r) => `${r.key}: ${r.error}`)).toEqual([]);

    // The first write to the frozen shard issued after the freeze was answered soon after the promotion
    // (commandTimeout is 5000 ms: without a watchdog, the frozen socket holds them that long).
    const resumedAt = Math.min(
      ...load.records
        .filter((r) => r.victim && r.issuedAt > frozenAt && r.error === undefined)
        .map((r) => r.doneAt!),
    );
    expect.soft(resumedAt - failover.at).toBeLessThan(1000);

    // Writes to the other shards were not held by the frozen one.
    const others = load.records.filter((r) => !r.victim && r.issuedAt >= frozenAt);
    const worst = Math.max(...others.map((r) => r.doneAt! - r.issuedAt));
    expect.soft(worst).toBeLessThan(1000);

    // The old master rejoined as a replica of the promoted one.
    const described = await cluster.describe();
    const oldNow = described.find((d) => d.node === old);
    expect.soft(oldNow?.role).toBe('replica');
    expect.soft(oldNow?.master).toBe(failover.master);

    // Every acknowledged write is on its slot's master now, none lost to the old master's
    // acknowledgements after the thaw.
    const lost: string[] = [];
    for (const record of load.records) {
      const master = await cluster.masterForKey(record.key);
      const stored = await cluster.command(master, 'GET', record.key);
      if (stored === null) lost.push(record.key);
    }
    expect.soft(lost).toEqual([]);
    // The switch, with its timings: suspected (stalled commands) before the cluster promoted,
    // switched once the view named the promoted replica.
    const change = changes.find(
      (e) => e.type === 'MASTER_CHANGE' && e.current.port === failover.master.port,
    );
    const timings = change?.type === 'MASTER_CHANGE' ? change.timings : undefined;
    expect.soft(change).toMatchObject({ reason: 'poll', previous: { port: old.port } });
    expect.soft(timings?.lostAt).toBeLessThan(timings?.announcedAt ?? 0);
    expect.soft(timings?.announcedAt).toBeLessThanOrEqual(timings?.switchedAt ?? 0);
    console.log(
      `freeze: every node named the new master ${failover.at - frozenAt} ms after the freeze; client: suspect after ${(timings?.lostAt ?? 0) - frozenAt} ms, saw the promotion ${(timings?.announcedAt ?? 0) - frozenAt} ms, switched ${(timings?.switchedAt ?? 0) - (timings?.announcedAt ?? 0)} ms later (${timings?.queued} pauses, ${timings?.retried} reruns); first write to the shard answered ${resumedAt - (timings?.switchedAt ?? 0)} ms after the switch; other shards worst ${worst} ms; ${load.records.length} writes`,
    );
  });
});

describe('ClusterClient when a replica dies', () => {
  it('takes the killed replica out of the read rotation; reads of its shard keep working', {
    timeout: 60_000,
  }, async () => {
    const { cluster, client } = await start(2);
    const slot = cluster.slotOf('{reads}');
    await client.write((m) => m.set('{reads}:k', 'v'), { idempotent: true });
    // Both replicas of the shard in rotation (a fresh replica is "loading" until it has synced).
    const shardIndex = cluster.shardIndexOf(slot);
    const { master } = await cluster.shard({ slot });
    const inRotation = () =>
      client.topology().shards.find((s) => s.master?.address.port === master.port)?.replicas ?? [];
    await vi.waitFor(() => expect(inRotation()).toHaveLength(2), { timeout: 15_000, interval: 20 });

    const changes: TopologyEvent[] = [];
    client.on('topology-change', (event) => changes.push(event));
    const servedBy: { port: number; at: number }[] = [];
    const failures: string[] = [];
    let stop = false;
    const reader = async () => {
      while (!stop) {
        try {
          const value = await client.read(async (node, by) => {
            // Routed when sent: a read sent before the removal may be answered after it.
            const at = Date.now();
            const v = await node.get('{reads}:k');
            servedBy.push({ port: by.address.port, at });
            return v;
          });
          if (value !== 'v') failures.push(`read ${value}`);
        } catch (error) {
          failures.push((error as Error).message);
          // A read that fails at once must not starve the event loop (and the test's timers).
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    };
    const readers = [reader(), reader(), reader()];
    await vi.waitFor(
      () => {
        expect(failures.slice(0, 3)).toEqual([]);
        expect(servedBy.length).toBeGreaterThan(50);
      },
      { timeout: 10_000 },
    );

    const killed = await cluster.killReplica({ slot }, 0);
    const killedAt = Date.now();
    // The client takes it out (the cluster's view, or a read it failed).
    await vi.waitFor(
      () => {
        const removed = changes.find(
          (e) => e.type === 'REPLICA_REMOVE' && e.replica.port === killed.port,
        );
        expect(removed).toBeDefined();
      },
      { timeout: 10_000, interval: 10 },
    );
    const removedAt = Date.now();
    const served = servedBy.length;
    await vi.waitFor(() => expect(servedBy.length).toBeGreaterThan(served + 50), {
      timeout: 10_000,
    });
    stop = true;
    await Promise.all(readers);

    expect(failures).toEqual([]);
    // Once out, no read is sent to it; the other replica serves the shard.
    const afterRemoval = servedBy.filter((r) => r.at > removedAt);
    expect(afterRemoval.filter((r) => r.port === killed.port)).toEqual([]);
    const other = inRotation();
    expect(other.map((r) => r.address.port)).not.toContain(killed.port);
    expect(other).toHaveLength(1);
    expect(afterRemoval.filter((r) => r.port === other[0]!.address.port).length).toBeGreaterThan(0);
    expect(shardIndex).toBe(cluster.shardIndexOf(slot));
    console.log(`replica kill: out of the rotation ${removedAt - killedAt} ms after the kill`);
  });
});

describe('ClusterClient watching a suspect shard', () => {
  it("sees a frozen master's replica promoted by asking that replica ROLE, not at the next read of the view; the write the old master held runs again at once", {
    timeout: 60_000,
  }, async () => {
    cluster = await startClusterTopology({
      masters: 3,
      replicasPerMaster: 1,
      requireFullCoverage: false,
    });
    const slot = cluster.slotOf('{victim}');
    // A node leaves out of `CLUSTER SLOTS` a replica it has not heard has copied anything, and
    // ioredis only connects to the nodes `CLUSTER SLOTS` names: the replica copies a write, and
    // the client connects once every node lists it.
    await cluster.command(await cluster.masterForKey('{victim}'), 'SET', '{victim}:before', '1');
    await vi.waitFor(
      async () => {
        for (const node of cluster!.nodes) {
          const ranges = (await cluster!.command(node, 'CLUSTER', 'SLOTS')) as unknown[][];
          const range = ranges.find(([from, to]) => Number(from) <= slot && slot <= Number(to));
          expect(range?.length, `${node} lists the replica`).toBe(4); // from, to, master, replica
        }
      },
      { timeout: 10_000, interval: 50 },
    );
    // Reads of the view far apart (and no command timeout to trigger one): only the suspect
    // shard's replica, asked its ROLE while its master is suspect, can tell the client in time.
    client = createClusterClient(cluster.location, {
      healthPollInterval: 60_000,
      failoverPollInterval: 60_000,
      commandTimeout: 60_000,
    });
    await client.connect();
    const changes: TopologyEvent[] = [];
    client.on('topology-change', (event) => changes.push(event));
    await client.write((m) => m.set('{victim}:open', '1'), { idempotent: true }); // connected

    const old = await cluster.freezeMaster({ slot });
    // Held by the frozen master: it makes the master suspect after stallTimeout. The switch
    // closes its connection, failing it as sent (it may have run), and the client runs it again
    // (idempotent). It began before the switch, so it runs again at once, without the pause an
    // operation waiting for a promotion takes: no macrotask (an immediate set when it failed)
    // runs between its failure and its next attempt.
    let attempts = 0;
    let turnPassed: boolean | undefined;
    const held = client.write(
      (m) => {
        attempts++;
        if (attempts === 2) turnPassed ??= false;
        const sent = m.set('{victim}:held', '1');
        if (attempts === 1) {
          sent.catch(() => setImmediate(() => (turnPassed ??= true)));
        }
        return sent;
      },
      { idempotent: true },
    );
    held.catch(() => {}); // awaited below; not unhandled if the test fails first
    const { master } = await cluster.waitForFailover({ slot });
    await vi.waitFor(
      () => {
        const change = changes.find(
          (e) => e.type === 'MASTER_CHANGE' && e.current.port === master.port,
        );
        expect(change).toMatchObject({ reason: 'poll', previous: { port: old.port } });
      },
      { timeout: 10_000, interval: 10 },
    );
    // The write the frozen master held runs on the promoted one, at once.
    await held;
    expect(attempts).toBe(2);
    expect(turnPassed, 'the rerun waited for a later turn of the event loop').toBe(false);
    await cluster.thaw(old);
    expect(await cluster.command(master, 'GET', '{victim}:held')).toBe('1');
  });
});
