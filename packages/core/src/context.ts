import type { ClosingConnections, ConnectionSetup } from './connections.js';
import { SentinelKitError } from './errors.js';
import type { TopologyEvent } from './events.js';
import type { ResolvedSentinelClientOptions } from './options.js';

/**
 * What every part of a client shares (see docs/architecture.md): its options, the secrets to keep
 * out of messages, the setup of its data connections, and where background problems and topology
 * changes go (the facade's `'error'` and `'topology-change'` events).
 */
export interface ClientContext {
  readonly options: ResolvedSentinelClientOptions;
  readonly secrets: readonly (string | undefined)[];
  readonly setup: ConnectionSetup;
  /** Data connections closed and not ended yet: the client's `close()` waits for them. */
  readonly closing: ClosingConnections;
  /** A background problem: emitted as `'error'` (throttled, secrets redacted) when listened to. */
  report(error: unknown): void;
  emit(event: TopologyEvent): void;
}

/** What every wait and call of a closed client rejects with. */
export function closedError(): SentinelKitError {
  return new SentinelKitError('CLIENT_CLOSED', 'the client was closed');
}
