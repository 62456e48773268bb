// The tracing half of `@sentinelkit/core/opentelemetry`. Spans per Redis command are
// `@opentelemetry/instrumentation-ioredis`' job: it patches ioredis' `sendCommand`, so every
// command on our per-node connections gets a span with that node's real address. What only
// sentinelkit knows is added to spans that exist already, never as spans of its own:
// - to each command span, through `sentinelKitRequestHook` (the instrumentation's
//   `requestHook`): the role of the node and the attempt the command belongs to;
// - to the span the operation was called in (an HTTP request's, say): an event for a wait for
//   a new master, and one for each retry on another node.
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import { type Span, trace } from '@opentelemetry/api';
import { type OperationMessage, SENTINELKIT_CHANNELS } from './diagnostics.js';
import { formatAddress } from './types.js';

/** The operation the code running now belongs to, while operations are traced. */
const currentOperation = new AsyncLocalStorage<OperationMessage>();

/**
 * A `requestHook` for `@opentelemetry/instrumentation-ioredis` that adds to the span of each
 * command sent inside a sentinelkit operation (`write()`, `read()`, `call()`, the stores'
 * operations): `sentinelkit.node.role` (`master` or `replica`), `sentinelkit.attempt` (2 for a
 * command of the retry on another node) and `sentinelkit.master_name`. Does nothing outside an
 * operation, or before `instrumentSentinelKit()`. If you have a hook of your own, call this one
 * from it.
 *
 * ```ts
 * new IORedisInstrumentation({ requestHook: sentinelKitRequestHook })
 * ```
 */
export function sentinelKitRequestHook(span: Span): void {
  const message = currentOperation.getStore();
  if (message?.node === undefined) return;
  span.setAttributes({
    'sentinelkit.node.role': message.node.role,
    'sentinelkit.attempt': message.attempts,
    'sentinelkit.master_name': message.masterName,
  });
}

/** Event names on the calling span, documented in docs/observability.md. */
export const SPAN_EVENTS = {
  waitForMaster: 'sentinelkit.wait_for_master',
  retry: 'sentinelkit.retry',
} as const;

/**
 * Starts tracing operations: makes the running operation known to {@link sentinelKitRequestHook}
 * and adds the wait and retry events to the calling span. Returns what stops it.
 */
export function traceOperations(): () => void {
  const operations = diagnosticsChannel.tracingChannel<OperationMessage, OperationMessage>(
    SENTINELKIT_CHANNELS.operation,
  );
  // The span active where the operation was called; only operations that waited or retried
  // have anything to add to it, which is known at their end.
  const callers = new WeakMap<OperationMessage, { span: Span; calledAt: number }>();
  const handlers = {
    start(message: OperationMessage) {
      const span = trace.getActiveSpan();
      if (span?.isRecording()) callers.set(message, { span, calledAt: performance.now() });
    },
    end() {},
    asyncStart() {},
    asyncEnd(message: OperationMessage) {
      const caller = callers.get(message);
      if (caller === undefined || !caller.span.isRecording()) return;
      addOperationEvents(caller.span, message, caller.calledAt);
    },
    error() {},
  };
  operations.start.bindStore(currentOperation, (message) => message);
  operations.subscribe(handlers);
  return () => {
    operations.unsubscribe(handlers);
    operations.start.unbindStore(currentOperation);
  };
}

// Event times are `performance.now()` readings made absolute (epoch milliseconds).
function addOperationEvents(span: Span, message: OperationMessage, calledAt: number): void {
  if (message.waitedForMaster !== undefined && message.node !== undefined) {
    span.addEvent(
      SPAN_EVENTS.waitForMaster,
      {
        'sentinelkit.master_name': message.masterName,
        'sentinelkit.wait.duration': message.waitedForMaster / 1000,
        'server.address': message.node.address.host,
        'server.port': message.node.address.port,
      },
      // When the wait ended: the first attempt, on the new master.
      performance.timeOrigin + calledAt + message.waitedForMaster,
    );
  }
  const retries = message.retriedFrom ?? [];
  for (let i = 0; i < retries.length; i++) {
    const from = retries[i]!;
    const to = retries[i + 1] ?? message.node;
    if (to === undefined) continue;
    span.addEvent(
      SPAN_EVENTS.retry,
      {
        'sentinelkit.operation.kind': message.kind,
        'sentinelkit.retry.from': formatAddress(from.address),
        'sentinelkit.retry.from_role': from.role,
        'sentinelkit.retry.to': formatAddress(to.address),
        'sentinelkit.retry.to_role': to.role,
      },
      performance.timeOrigin + from.retriedAt,
    );
  }
}
