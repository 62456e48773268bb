/**
 * Connections of their own to a client's data nodes, for a store that needs one next to the
 * shared connections the client lends (client-side caching's invalidation link: tracking and
 * `SUBSCRIBE` turn a connection into a stream of messages, so they are refused on the lent ones).
 * Opened with the client's credentials, TLS and setup steps exactly as its own connections are;
 * the caller owns and closes it. Kept apart from the client so that the facade gains one line.
 */
import {
  closeNow,
  type DataNodeOptions,
  dataNodeOptions,
  openConnection,
  Redis,
} from './connections.js';
import type { ClientContext } from './context.js';
import type { NodeAddress } from './types.js';

const contexts = new WeakMap<object, ClientContext>();

/** Called by the client's constructor: lets {@link openNodeConnection} dial its nodes. */
export function registerNodeConnections(client: object, context: ClientContext): void {
  contexts.set(client, context);
}

/** Whether {@link openNodeConnection} can dial `client`'s nodes (a `SentinelClient` of this core). */
export function canOpenNodeConnections(client: object): boolean {
  return contexts.has(client);
}

/**
 * Opens a new connection to the data node at `address` (as `ServedBy.address` or a topology
 * event names it: after the NAT map) with `client`'s options, within its `connectTimeout`.
 * Rejects as the client's own connections do (`CONNECTION_FAILED`, `AUTH_FAILED`, …; no
 * secret in any message), and with an `Error` for a client this core did not create.
 */
export async function openNodeConnection(client: object, address: NodeAddress): Promise<Redis> {
  const context = contexts.get(client);
  if (context === undefined) throw new Error('not a SentinelClient of this @sentinelkit/core');
  const { options, secrets, setup } = context;
  const nodeOptions: DataNodeOptions = dataNodeOptions(options, { ...address });
  const redis = new Redis(nodeOptions);
  // Errors surface as the rejection below or as the connection's 'close', which the owner watches.
  redis.on('error', () => {});
  try {
    await openConnection(redis, address, options.connectTimeout, secrets, 'data', setup);
  } catch (error) {
    closeNow(redis);
    throw error;
  }
  return redis;
}
