/**
 * `@sentinelkit/core/opentelemetry`: sentinelkit's metrics through `@opentelemetry/api` (an
 * optional peer dependency: install it to use this entry point). `instrumentSentinelKit()`
 * listens to the core's `diagnostics_channel` channels (diagnostics.ts) and records, for every
 * client in the process: the OpenTelemetry database-client operation duration (with the real
 * node's address and role), failovers and their durations, operations held, retried and
 * rejected, the replicas in rotation and the Sentinel queries. Until it is called, and after
 * `uninstall()`, nothing is listened to and nothing is recorded. Without a meter provider set,
 * the API's no-op meter records nothing. Every instrument is listed in docs/observability.md.
 *
 * @module
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { type Attributes, type MeterProvider, metrics, ValueType } from '@opentelemetry/api';
import {
  type ObservedTarget,
  type OperationMessage,
  SENTINELKIT_CHANNELS,
  type StoreLookupMessage,
  type TopologyMessage,
} from './diagnostics.js';
import { traceOperations } from './opentelemetry-tracing.js';
import { formatAddress } from './types.js';

export { SPAN_EVENTS, sentinelKitRequestHook } from './opentelemetry-tracing.js';

export interface SentinelKitInstrumentationOptions {
  /** Where instruments come from. @default the global provider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
  /**
   * Adds sentinelkit's events (a wait for a new master, a retry on another node) to the span
   * an operation was called in, and lets {@link sentinelKitRequestHook} mark each ioredis
   * command span with its node's role and attempt. Spans come from the global tracer
   * provider's context; no span is created here. @default true
   */
  traces?: boolean;
}

export interface SentinelKitInstrumentation {
  /** Stops listening; instruments already recorded stay with the provider. */
  uninstall(): void;
}

/** The meter's name (the instrumentation scope). */
export const INSTRUMENTATION_NAME = '@sentinelkit/core';

// The buckets OpenTelemetry's semantic conventions advise for db.client.operation.duration.
const DURATION_BUCKETS_S = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/** What a rejection is called in `error.type`: its sentinelkit code, else its class. */
function errorType(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return '_OTHER';
}

const targetAttributes = (target: ObservedTarget): Attributes => ({
  'db.system.name': 'redis',
  'db.namespace': String(target.db),
  'sentinelkit.master_name': target.masterName,
});

// One object literal per operation, properties added after it: on Node 20's V8 a spread followed
// by more properties (`{ ...target, kind }`) takes the runtime's slow path, 2–10 µs per object.
const operationAttributes = (message: OperationMessage): Attributes => ({
  'db.system.name': 'redis',
  'db.namespace': String(message.db),
  'sentinelkit.master_name': message.masterName,
  'sentinelkit.operation.kind': message.kind,
});

/** Starts recording sentinelkit's metrics; see docs/observability.md for the list. */
export function instrumentSentinelKit(
  options: SentinelKitInstrumentationOptions = {},
): SentinelKitInstrumentation {
  const provider = options.meterProvider ?? metrics.getMeterProvider();
  const meter = provider.getMeter(INSTRUMENTATION_NAME);

  const duration = meter.createHistogram('db.client.operation.duration', {
    description:
      'Duration of a write(), read() or call(), retries and waits for a master included.',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
  });
  const failovers = meter.createCounter('sentinelkit.failovers', {
    description: 'Times the client moved writes to a new master (first discovery not counted).',
    unit: '{failover}',
    valueType: ValueType.INT,
  });
  const switchDuration = meter.createHistogram('sentinelkit.failover.switch.duration', {
    description:
      "From Sentinel's +switch-master reaching the client to writes going to the new master.",
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
  });
  const pauseDuration = meter.createHistogram('sentinelkit.failover.pause.duration', {
    description:
      'From the client stopping writes to the old master to writes going to the new one.',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
  });
  const held = meter.createCounter('sentinelkit.operations.held', {
    description: 'Operations that waited for the new master during a failover.',
    unit: '{operation}',
    valueType: ValueType.INT,
  });
  const rejected = meter.createCounter('sentinelkit.operations.rejected', {
    description: 'Operations that rejected, by error.type (a sentinelkit code or an error class).',
    unit: '{operation}',
    valueType: ValueType.INT,
  });
  const rotationChanges = meter.createCounter('sentinelkit.rotation.changes', {
    description: 'Replicas added to or removed from the read rotation, by change and reason.',
    unit: '{change}',
    valueType: ValueType.INT,
  });
  const lookups = meter.createCounter('sentinelkit.store.lookups', {
    description:
      "Keys the stores looked up, by store and result (hit or miss): the cache's get/getMany, the session store's get.",
    unit: '{key}',
    valueType: ValueType.INT,
  });
  const replicas = meter.createObservableGauge('sentinelkit.replicas', {
    description: 'Replicas in the read rotation.',
    unit: '{replica}',
    valueType: ValueType.INT,
  });
  const watched = meter.createObservableGauge('sentinelkit.sentinels.watched', {
    description: 'Sentinels whose event subscription is up.',
    unit: '{sentinel}',
    valueType: ValueType.INT,
  });
  const queries = meter.createObservableCounter('sentinelkit.sentinel.queries', {
    description:
      'Times the client asked Sentinel for the topology (polls and event-driven refreshes).',
    unit: '{query}',
    valueType: ValueType.INT,
  });
  const queryFailures = meter.createObservableCounter('sentinelkit.sentinel.query_failures', {
    description: 'Questions to sentinels that failed (unreachable, timed out, refused).',
    unit: '{query}',
    valueType: ValueType.INT,
  });
  const retried = meter.createObservableCounter('sentinelkit.operations.retried', {
    description:
      'Operations run again on another node, by kind (write after a lost master, read after a failed node).',
    unit: '{operation}',
    valueType: ValueType.INT,
  });

  // Clients seen connecting or operating, held weakly: a dropped client is not kept alive.
  const seen = new WeakSet<ObservedTarget['client']>();
  const observed: { client: WeakRef<ObservedTarget['client']>; attributes: Attributes }[] = [];
  const remember = (target: ObservedTarget) => {
    if (seen.has(target.client)) return;
    seen.add(target.client);
    observed.push({ client: new WeakRef(target.client), attributes: targetAttributes(target) });
  };
  const observe = meter.addBatchObservableCallback.bind(meter);
  const observeClients = (result: Parameters<Parameters<typeof observe>[0]>[0]) => {
    for (let i = observed.length - 1; i >= 0; i--) {
      const { client, attributes } = observed[i]!;
      const topology = client.deref()?.topology();
      const stats = client.deref()?.stats();
      if (!topology || !stats || topology.status === 'closed') {
        observed.splice(i, 1);
        continue;
      }
      result.observe(replicas, topology.replicas.length, attributes);
      result.observe(watched, topology.watchedSentinels, attributes);
      result.observe(queries, stats.sentinelQueries, attributes);
      result.observe(queryFailures, stats.sentinelQueryFailures, attributes);
      result.observe(retried, stats.writeRetries, {
        ...attributes,
        'sentinelkit.operation.kind': 'write',
      });
      result.observe(retried, stats.readRetries, {
        ...attributes,
        'sentinelkit.operation.kind': 'read',
      });
    }
  };
  observe(observeClients, [replicas, watched, queries, queryFailures, retried]);

  const started = new WeakMap<OperationMessage, number>();
  const operationHandlers = {
    start(message: OperationMessage) {
      remember(message);
      started.set(message, performance.now());
    },
    end() {},
    asyncStart() {},
    asyncEnd(message: OperationMessage) {
      const at = started.get(message);
      if (at === undefined) return;
      const attributes = operationAttributes(message);
      if (message.command !== undefined) attributes['db.operation.name'] = message.command;
      if (message.node) {
        attributes['server.address'] = message.node.address.host;
        attributes['server.port'] = message.node.address.port;
        attributes['sentinelkit.node.role'] = message.node.role;
      }
      if ('error' in message) {
        attributes['error.type'] = errorType(message.error);
        const rejection = operationAttributes(message);
        rejection['error.type'] = attributes['error.type'];
        rejected.add(1, rejection);
      }
      duration.record((performance.now() - at) / 1000, attributes);
    },
    error() {},
  };
  const onTopology = (raw: unknown) => {
    const message = raw as TopologyMessage;
    remember(message);
    const attributes = targetAttributes(message);
    const { event } = message;
    switch (event.type) {
      case 'MASTER_CHANGE': {
        if (event.reason === 'discovered') return;
        failovers.add(1, { ...attributes, 'sentinelkit.failover.reason': event.reason });
        const timings = event.timings;
        if (!timings) return;
        if (timings.announcedAt !== undefined) {
          switchDuration.record(
            Math.max(0, timings.switchedAt - timings.announcedAt) / 1000,
            attributes,
          );
        }
        if (timings.lostAt !== undefined) {
          pauseDuration.record(Math.max(0, timings.switchedAt - timings.lostAt) / 1000, attributes);
        }
        if (timings.queued > 0) held.add(timings.queued, attributes);
        return;
      }
      case 'REPLICA_ADD':
        rotationChanges.add(1, {
          ...attributes,
          'sentinelkit.rotation.change': 'add',
          'sentinelkit.replica': formatAddress(event.replica),
        });
        return;
      case 'REPLICA_REMOVE':
        rotationChanges.add(1, {
          ...attributes,
          'sentinelkit.rotation.change': 'remove',
          'sentinelkit.rotation.reason': event.reason,
          'sentinelkit.replica': formatAddress(event.replica),
        });
        return;
      default:
        return;
    }
  };
  const onClient = (raw: unknown) => remember(raw as ObservedTarget);
  const onStoreLookup = (raw: unknown) => {
    const { store, hits, misses, tier = 'redis' } = raw as StoreLookupMessage;
    // Literals, not a spread of shared attributes (see operationAttributes).
    if (hits > 0) {
      lookups.add(hits, {
        'sentinelkit.store': store,
        'sentinelkit.store.tier': tier,
        'sentinelkit.store.result': 'hit',
      });
    }
    if (misses > 0) {
      lookups.add(misses, {
        'sentinelkit.store': store,
        'sentinelkit.store.tier': tier,
        'sentinelkit.store.result': 'miss',
      });
    }
  };

  const operations = diagnosticsChannel.tracingChannel<OperationMessage, OperationMessage>(
    SENTINELKIT_CHANNELS.operation,
  );
  operations.subscribe(operationHandlers);
  diagnosticsChannel.subscribe(SENTINELKIT_CHANNELS.topology, onTopology);
  diagnosticsChannel.subscribe(SENTINELKIT_CHANNELS.client, onClient);
  diagnosticsChannel.subscribe(SENTINELKIT_CHANNELS.storeLookup, onStoreLookup);
  const stopTracing = options.traces === false ? () => {} : traceOperations();
  let installed = true;
  return {
    uninstall() {
      if (!installed) return;
      installed = false;
      stopTracing();
      operations.unsubscribe(operationHandlers);
      diagnosticsChannel.unsubscribe(SENTINELKIT_CHANNELS.topology, onTopology);
      diagnosticsChannel.unsubscribe(SENTINELKIT_CHANNELS.client, onClient);
      diagnosticsChannel.unsubscribe(SENTINELKIT_CHANNELS.storeLookup, onStoreLookup);
      meter.removeBatchObservableCallback(observeClients, [
        replicas,
        watched,
        queries,
        queryFailures,
        retried,
      ]);
      observed.length = 0;
    },
  };
}
