import type { Attributes } from '@opentelemetry/api';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { type ConnectedTopology, startConnectedTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSentinelClient, type SentinelClient } from '../src/index.js';
import { instrumentSentinelKit, type SentinelKitInstrumentation } from '../src/opentelemetry.js';
import { nextTopologyEvent } from './helpers/topology.js';

/** A reader the test collects from when it wants (an in-memory exporter without a timer). */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

type Point = DataPoint<unknown>;

function pointsOf(collected: ResourceMetrics, name: string): Point[] {
  return collected.scopeMetrics.flatMap((scope) =>
    scope.metrics.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as Point[]),
  );
}

const countOf = (point: Point) => (point.value as Histogram).count;
const matches = (attributes: Attributes, wanted: Attributes) =>
  Object.entries(wanted).every(([key, value]) => attributes[key] === value);
/** Sum over the points whose attributes include `wanted`: histogram counts or sums' values. */
function total(points: Point[], wanted: Attributes = {}): number {
  return points
    .filter((p) => matches(p.attributes, wanted))
    .reduce((n, p) => n + (typeof p.value === 'number' ? p.value : countOf(p)), 0);
}

describe('OpenTelemetry metrics on a real topology, through a master kill', () => {
  let connected: ConnectedTopology<SentinelClient>;
  let reader: TestReader;
  let provider: MeterProvider;
  let instrumentation: SentinelKitInstrumentation;

  beforeAll(async () => {
    reader = new TestReader();
    provider = new MeterProvider({ readers: [reader] });
    // Installed before the client exists: the client is found through its connect().
    instrumentation = instrumentSentinelKit({ meterProvider: provider });
    connected = await startConnectedTopology(({ location }) => createSentinelClient(location));
  });

  afterAll(async () => {
    instrumentation?.uninstall();
    await connected?.stop();
    await provider?.shutdown();
  });

  it('records each operation on the node that ran it, the failover with its durations, and the rotation', async () => {
    const { topology, client } = connected;
    const master = await topology.currentMaster();
    const replicaPorts = (await topology.replicas()).map((r) => r.port).sort();
    for (let i = 0; i < 20; i++) await client.write((m) => m.set(`otel:${i}`, String(i)));
    for (let i = 0; i < 40; i++) await client.read((r) => r.get(`otel:${i % 20}`));
    for (let i = 0; i < 10; i++) await client.call('GET', `otel:${i}`);
    await expect(client.write((m) => m.call('NOSUCHCOMMAND'))).rejects.toThrow();

    let collected = (await reader.collect()).resourceMetrics;
    const durations = pointsOf(collected, 'db.client.operation.duration');
    const base = {
      'db.system.name': 'redis',
      'db.namespace': '0',
      'sentinelkit.master_name': 'mymaster',
    };
    // 20 writes and the failed one on the master, at its address.
    expect(
      total(durations, {
        ...base,
        'sentinelkit.operation.kind': 'write',
        'server.port': master.port,
        'sentinelkit.node.role': 'master',
      }),
    ).toBe(21);
    // 40 reads and 10 GETs, each on one of the replicas (the rotation has both).
    const readPorts = durations
      .filter((p) => p.attributes['sentinelkit.node.role'] === 'replica')
      .map((p) => Number(p.attributes['server.port']));
    expect([...new Set(readPorts)].sort()).toEqual(replicaPorts);
    expect(total(durations, { 'sentinelkit.operation.kind': 'read' })).toBe(40);
    expect(
      total(durations, { 'sentinelkit.operation.kind': 'call', 'db.operation.name': 'GET' }),
    ).toBe(10);
    // The failed write says why, as the duration's error.type and as a rejection.
    expect(total(durations, { 'error.type': 'ReplyError' })).toBe(1);
    expect(
      total(pointsOf(collected, 'sentinelkit.operations.rejected'), { 'error.type': 'ReplyError' }),
    ).toBe(1);
    expect(total(pointsOf(collected, 'sentinelkit.replicas'), base)).toBe(2);
    expect(total(pointsOf(collected, 'sentinelkit.sentinels.watched'), base)).toBe(3);
    expect(pointsOf(collected, 'sentinelkit.failovers')).toEqual([]);

    // A master kill, with writes going on through it.
    const switched = nextTopologyEvent(
      client,
      (e) => e.type === 'MASTER_CHANGE' && e.reason !== 'discovered',
    );
    await topology.killMaster();
    let writing = true;
    const writes = (async () => {
      let i = 0;
      while (writing)
        await client.write((m) => m.set(`otel:k:${i}`, String(i++)), { idempotent: true });
    })();
    const change = await switched;
    writing = false;
    await writes;
    expect(change.type === 'MASTER_CHANGE' && change.timings).toBeTruthy();

    collected = (await reader.collect()).resourceMetrics;
    const failovers = pointsOf(collected, 'sentinelkit.failovers');
    expect(total(failovers, base)).toBeGreaterThanOrEqual(1);
    expect(
      failovers.every((p) => typeof p.attributes['sentinelkit.failover.reason'] === 'string'),
    ).toBe(true);
    // Whichever way the client heard of it, a failover leaves its pause or its switch delay.
    const timed =
      total(pointsOf(collected, 'sentinelkit.failover.pause.duration')) +
      total(pointsOf(collected, 'sentinelkit.failover.switch.duration'));
    expect(timed).toBeGreaterThanOrEqual(1);
    // The client asked the sentinels about the failover (polls and refreshes).
    expect(total(pointsOf(collected, 'sentinelkit.sentinel.queries'), base)).toBeGreaterThan(0);
    // Writes after the switch ran on the new master, at its address.
    const current = client.topology().master!.address;
    expect(
      total(pointsOf(collected, 'db.client.operation.duration'), {
        'server.port': current.port,
        'sentinelkit.node.role': 'master',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('records nothing more once uninstalled', async () => {
    const { client } = connected;
    const before = total(
      pointsOf((await reader.collect()).resourceMetrics, 'db.client.operation.duration'),
    );
    instrumentation.uninstall();
    for (let i = 0; i < 5; i++) await client.write((m) => m.set(`otel:after:${i}`, '1'));
    const after = total(
      pointsOf((await reader.collect()).resourceMetrics, 'db.client.operation.duration'),
    );
    expect(after).toBe(before);
  });
});
