import { type SentinelTopology, startConnectedTopology } from '@sentinelkit/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSentinelClient, type SentinelClient, type TopologyEvent } from '../src/index.js';
import { missingOn, startLoad } from './helpers/load.js';
import { failoverWhenSentinelAccepts, nextTopologyEvent, onNode } from './helpers/topology.js';

type MasterChange = Extract<TopologyEvent, { type: 'MASTER_CHANGE' }>;

describe('failovers the application does not notice', () => {
  let topology: SentinelTopology;
  let client: SentinelClient;
  const changes: MasterChange[] = [];
  const events: TopologyEvent[] = [];

  let stop: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    changes.length = 0;
    events.length = 0;
    ({ topology, client, stop } = await startConnectedTopology((t) => {
      const created = createSentinelClient(t.location);
      created.on('topology-change', (e) => {
        events.push(e);
        if (e.type === 'MASTER_CHANGE' && e.reason !== 'discovered') changes.push(e);
      });
      return created;
    }));
  });

  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  /** Direct MGET on the node that is master now, bypassing the client. */
  const onMaster = async (keys: string[]) =>
    (await onNode(topology, await topology.currentMaster(), 'MGET', ...keys)) as (string | null)[];

  it('kill master under load: no app-visible error, writes move to the new master, durable writes survive', async () => {
    const load = await startLoad(client, { prefix: 'kill' });
    const old = await topology.currentMaster();
    const switched = nextTopologyEvent(
      client,
      (e) => e.type === 'MASTER_CHANGE' && e.reason !== 'discovered',
    );
    await topology.killMaster();
    await switched;
    const { master } = await topology.waitForSwitch();
    // Keep the load on until the new master has acknowledged plain and durable writes of it.
    await Promise.all([
      load.untilAck((a) => a.port === master.port && !a.key.includes(':d:')),
      load.untilAck((a) => a.port === master.port && a.key.includes(':d:')),
    ]);
    const result = await load.stop();

    expect(result.writeErrors).toEqual([]);
    expect(result.readErrors).toEqual([]);
    expect(result.wrongReads).toBe(0);
    const change = changes.at(-1)!;
    expect(change.current.port).toBe(master.port);
    // The lost master is named, not undefined, though it was dropped before the switch.
    expect(changes[0]!.previous).toEqual({ host: old.host, port: old.port });
    expect(change.timings?.queued).toBeGreaterThan(0);
    // Nothing is answered by the old master once writes moved.
    const late = result.acks.filter((a) => a.at > changes[0]!.switchedAt);
    expect(late.every((a) => a.port !== old.port)).toBe(true);
    expect(await missingOn(onMaster, result.durableAcks)).toEqual([]);
    expect(result.durableAcks.length).toBeGreaterThan(0);
  });

  it('freeze master, thaw after the switch: no error, and no acknowledged write is lost', async () => {
    const load = await startLoad(client, { prefix: 'freeze' });
    const old = await topology.currentMaster();
    const switched = nextTopologyEvent(
      client,
      (e) => e.type === 'MASTER_CHANGE' && e.reason !== 'discovered',
    );
    await topology.freezeMaster();
    await switched;
    await topology.waitForSwitch();
    await topology.thaw();
    // Writes go on while the old master is awake again and not yet demoted.
    const more = await startLoad(client, { prefix: 'thawed' });
    await topology.waitForHealthy({ timeoutMs: 30_000 });
    const [first, second] = await Promise.all([load.stop(), more.stop()]);

    for (const result of [first, second]) {
      expect(result.writeErrors).toEqual([]);
      expect(result.readErrors).toEqual([]);
      expect(result.wrongReads).toBe(0);
      expect(
        result.acks.filter((a) => a.at > changes[0]!.switchedAt && a.port === old.port),
      ).toEqual([]);
      // Every write acknowledged at all is on the master that won.
      expect(await missingOn(onMaster, [...result.acks, ...result.durableAcks])).toEqual([]);
    }
    // The client stopped sending to the frozen master before it switched. The switch itself
    // follows +switch-master, or comes a moment earlier when the sentinel leading the failover
    // already names the promoted replica (a newer config epoch) while the client asks for a master
    // (a poll, or the search for a master after dropping the frozen one): its reason says which,
    // and agrees with what the client saw before it.
    const switchEvent = changes[0]!;
    expect(switchEvent.timings?.lostAt).toBeDefined();
    expect(switchEvent.switchedAt).toBeGreaterThanOrEqual(switchEvent.timings!.lostAt!);
    const before = events.slice(0, events.indexOf(switchEvent));
    if (switchEvent.reason === 'switch-master') {
      expect(switchEvent.timings?.announcedAt).toBeGreaterThanOrEqual(switchEvent.timings!.lostAt!);
    }
    if (switchEvent.reason === 'reconnect') {
      expect(before.filter((e) => e.type === 'MASTER_LOST')).toEqual([
        {
          type: 'MASTER_LOST',
          previous: { host: old.host, port: old.port },
          reason: 'unresponsive',
        },
      ]);
    }
  });

  it('SENTINEL FAILOVER five times in a row: every switch followed, no error', async () => {
    const load = await startLoad(client, { prefix: 'five' });
    for (let i = 0; i < 5; i++) {
      const before = await topology.currentMaster();
      const switched = nextTopologyEvent(
        client,
        (e) => e.type === 'MASTER_CHANGE' && e.previous?.port === before.port,
        30_000,
      );
      await failoverWhenSentinelAccepts(topology);
      const { master } = await topology.waitForSwitch();
      const change = (await switched) as MasterChange;
      expect(change.current.port).toBe(master.port);
    }
    const result = await load.stop();
    expect(result.writeErrors).toEqual([]);
    expect(result.readErrors).toEqual([]);
    expect(result.wrongReads).toBe(0);
    expect(await missingOn(onMaster, result.durableAcks)).toEqual([]);
    expect(client.stats().masterChanges).toBeGreaterThanOrEqual(5);
  }, 120_000);
});
