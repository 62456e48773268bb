import type { Redis } from 'ioredis';

/**
 * The connection `write()` and `read()` hand to their callback: ioredis' `Redis`, from the app's
 * own ioredis (a peer dependency of the core, so there is one copy). Lets callbacks be typed
 * without importing ioredis; `import type { Redis } from 'ioredis'` names the same type.
 */
export type RedisConnection = Redis;
