import type { Cluster, Redis } from 'ioredis';

/**
 * The connection `write()` and `read()` hand to their callback: ioredis' `Redis`, from the app's
 * own ioredis (a peer dependency of the core, so there is one copy). Lets callbacks be typed
 * without importing ioredis; `import type { Redis } from 'ioredis'` names the same type.
 */
export type RedisConnection = Redis;

/**
 * The connection the contract's `write()` and `read()` hand to their callback: one node's
 * `Redis` (`SentinelClient`: the master, or the replica chosen for the call), or ioredis'
 * `Cluster` (`ClusterClient`), which routes each command by its key to the slot's master (a
 * write) or to a replica the client chose (a read). Both have every command, `pipeline()` and
 * `multi()`; code that needs one node (a `SCAN` cursor, `options.host`) takes `RedisConnection`
 * from {@link RoutedClient.eachMaster} instead.
 */
export type RoutedConnection = Redis | Cluster;
