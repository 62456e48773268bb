// One way in for whatever names a deployment: the stores, the Nest module and apps create their
// client here, and get a Sentinel client or a cluster client by what the location says, typed
// as the contract both implement, so that nothing downstream branches on which one it got.

import { createSentinelClient } from './client.js';
import { createClusterClient } from './cluster/client.js';
import { isClusterLocation } from './cluster/location.js';
import type { ClusterClientOptions } from './cluster/options.js';
import type { RoutedClient } from './contract.js';
import type { SentinelClientOptions } from './options.js';

/** A location string (Sentinel or cluster form), or the options of either client. */
export type ClientLocation = string | SentinelClientOptions | ClusterClientOptions;

/** Whether `location` names a Redis Cluster: a `redis+cluster://` string or options with `nodes`. */
export function isClusterSource(location: unknown): boolean {
  if (typeof location === 'string') return isClusterLocation(location);
  return typeof location === 'object' && location !== null && 'nodes' in location;
}

/**
 * Creates the client a location names: a `ClusterClient` for `redis+cluster://…` /
 * `rediss+cluster://…` or options with `nodes`, a `SentinelClient` otherwise. `overrides` are
 * laid on top and checked by that client's options (an option the other kind has only, such as
 * `sentinels` on a cluster, is an `INVALID_OPTION` naming it). No I/O: call `connect()`.
 */
export function createClient(
  location: ClientLocation,
  overrides?: Partial<SentinelClientOptions> | Partial<ClusterClientOptions>,
): RoutedClient {
  if (isClusterSource(location)) {
    return createClusterClient(
      location as string | ClusterClientOptions,
      overrides as Partial<ClusterClientOptions>,
    );
  }
  return createSentinelClient(
    location as string | SentinelClientOptions,
    overrides as Partial<SentinelClientOptions>,
  );
}
