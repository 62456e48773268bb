import { createRequire } from 'node:module';
import { context, type Span, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { isWrapped } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { type ConnectedTopology, startConnectedTopology } from '@sentinelkit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSentinelClient, type SentinelClient } from '../src/index.js';
import {
  instrumentSentinelKit,
  type SentinelKitInstrumentation,
  SPAN_EVENTS,
  sentinelKitRequestHook,
} from '../src/opentelemetry.js';
import { nextTopologyEvent } from './helpers/topology.js';

// What an app gets with @opentelemetry/instrumentation-ioredis and sentinelkit together: the
// instrumentation's span per command (on our per-node connections, so with each node's real
// address), sentinelkit's role and attempt on those spans through its request hook, and its
// wait and retry events on the span the operation was called in. No span of sentinelkit's own.

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('test');

/** Runs `fn` inside a recording span (as an HTTP request's would be) and ends it. */
async function inRequest<T>(fn: (span: Span) => Promise<T>): Promise<{ value: T; span: Span }> {
  return tracer.startActiveSpan('request', async (span) => {
    try {
      return { value: await fn(span), span };
    } finally {
      span.end();
    }
  });
}

const spanId = (span: Span) => span.spanContext().spanId;
const commandSpans = (parent: Span, name?: string): ReadableSpan[] =>
  exporter
    .getFinishedSpans()
    .filter(
      (s) =>
        s.kind === SpanKind.CLIENT &&
        s.parentSpanContext?.spanId === spanId(parent) &&
        (name === undefined || s.name.toLowerCase() === name),
    );
const finished = (span: Span): ReadableSpan =>
  exporter.getFinishedSpans().find((s) => s.spanContext().spanId === spanId(span))!;

describe('traces: instrumentation-ioredis spans through sentinelkit, with what only sentinelkit knows', () => {
  let connected: ConnectedTopology<SentinelClient>;
  let ioredisInstrumentation: IORedisInstrumentation;
  let instrumentation: SentinelKitInstrumentation;
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(async () => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
    ioredisInstrumentation = new IORedisInstrumentation({ requestHook: sentinelKitRequestHook });
    ioredisInstrumentation.setTracerProvider(provider);
    // The instrumentation patches ioredis when it is required (as with `--require` of an
    // OpenTelemetry setup before the app); the core loaded the same module already, so its
    // connections share the patched prototype.
    createRequire(import.meta.url)('ioredis');
    if (!isWrapped(Redis.prototype.sendCommand)) {
      throw new Error(
        "@opentelemetry/instrumentation-ioredis did not patch ioredis' sendCommand: check that its supported ioredis range covers the version installed",
      );
    }
    instrumentation = instrumentSentinelKit();
    connected = await startConnectedTopology(({ location }) =>
      // A short command timeout, so that a read on a frozen replica is retried quickly.
      createSentinelClient(location, { commandTimeout: 500 }),
    );
  });

  afterAll(async () => {
    instrumentation?.uninstall();
    await connected?.stop();
    ioredisInstrumentation?.disable();
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  beforeEach(() => exporter.reset());

  it('gives one span per command, with the real node, its role and the attempt', async () => {
    const { topology, client } = connected;
    const master = await topology.currentMaster();
    const replicaPorts = (await topology.replicas()).map((r) => r.port).sort();
    const { span } = await inRequest(async () => {
      await client.write((m) => m.set('trace:a', '1'));
      for (let i = 0; i < 30; i++) await client.read((r) => r.get('trace:a'));
      await client.call('GET', 'trace:a');
    });

    const sets = commandSpans(span, 'set');
    expect(sets).toHaveLength(1);
    expect(sets[0]!.attributes).toMatchObject({
      'db.system.name': 'redis',
      'server.port': master.port,
      'sentinelkit.node.role': 'master',
      'sentinelkit.attempt': 1,
      'sentinelkit.master_name': 'mymaster',
    });
    // Not duplicated: one span for each of the 31 GETs, each on the replica that served it.
    const gets = commandSpans(span, 'get');
    expect(gets).toHaveLength(31);
    expect(gets.every((s) => s.attributes['sentinelkit.node.role'] === 'replica')).toBe(true);
    const ports = [...new Set(gets.map((s) => Number(s.attributes['server.port'])))].sort();
    expect(ports).toEqual(replicaPorts);
    // Nothing happened that needs an event.
    expect(finished(span).events).toEqual([]);
  });

  it("names the real node where ioredis' own Sentinel mode names localhost:6379", async () => {
    const { topology } = connected;
    const master = await topology.currentMaster();
    const own = new Redis({
      sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
      name: 'mymaster',
      lazyConnect: true,
    });
    try {
      await own.connect();
      const { span } = await inRequest(() => own.set('trace:own', '1'));
      const [set] = commandSpans(span, 'set');
      // The span says localhost:6379 whatever node ran it: ioredis keeps the options it was given.
      expect(set?.attributes['server.port']).not.toBe(master.port);
      expect(set?.attributes).toMatchObject({ 'server.address': 'localhost', 'server.port': 6379 });
      expect(set?.attributes['sentinelkit.node.role']).toBeUndefined();
    } finally {
      own.disconnect();
    }
  });

  it('adds a retry event, and the retry command its second attempt, when a replica fails a read', async () => {
    const { topology, client } = connected;
    await client.write((m) => m.set('trace:r', 'v'));
    const frozen = await topology.freezeReplica(0);
    try {
      // Reads go to a random replica; until one lands on the frozen replica and is retried.
      const { span } = await inRequest(async () => {
        for (let i = 0; i < 200 && client.stats().readRetries === 0; i++) {
          await client.read((r) => r.get('trace:r'));
        }
      });
      expect(client.stats().readRetries, 'no read landed on the frozen replica').toBe(1);

      const retries = finished(span).events.filter((e) => e.name === SPAN_EVENTS.retry);
      expect(retries).toHaveLength(1);
      expect(retries[0]?.attributes).toMatchObject({
        'sentinelkit.operation.kind': 'read',
        'sentinelkit.retry.from': `${frozen.host}:${frozen.port}`,
        'sentinelkit.retry.from_role': 'replica',
      });
      const gets = commandSpans(span, 'get');
      const first = gets.filter((s) => s.attributes['server.port'] === frozen.port);
      const second = gets.filter((s) => s.attributes['sentinelkit.attempt'] === 2);
      expect(first).toHaveLength(1);
      expect(first[0]!.attributes['sentinelkit.attempt']).toBe(1);
      expect(second).toHaveLength(1);
      expect(second[0]!.attributes['server.port']).not.toBe(frozen.port);
      expect(retries[0]?.attributes?.['sentinelkit.retry.to']).toBe(
        `${second[0]!.attributes['server.address']}:${second[0]!.attributes['server.port']}`,
      );
    } finally {
      await topology.thaw(frozen);
    }
  });

  it('adds a wait-for-master event to a write held through a master kill', async () => {
    const { topology, client } = connected;
    const lost = nextTopologyEvent(client, (e) => e.type === 'MASTER_LOST');
    const old = await topology.killMaster();
    await lost;

    const { span } = await inRequest(() =>
      client.write((m) => m.set('trace:held', '1'), { idempotent: true }),
    );
    const current = client.topology().master!.address;
    expect(current.port).not.toBe(old.port);

    const waits = finished(span).events.filter((e) => e.name === SPAN_EVENTS.waitForMaster);
    expect(waits).toHaveLength(1);
    expect(waits[0]?.attributes).toMatchObject({
      'sentinelkit.master_name': 'mymaster',
      'server.port': current.port,
    });
    expect(waits[0]?.attributes?.['sentinelkit.wait.duration']).toBeGreaterThan(0);
    const [set] = commandSpans(span, 'set');
    expect(set?.attributes).toMatchObject({
      'server.port': current.port,
      'sentinelkit.node.role': 'master',
      'sentinelkit.attempt': 1,
    });
  });
});
