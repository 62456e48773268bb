/** Name of the client of a `SentinelModule.forRoot()` that is given no `name`. */
export const DEFAULT_SENTINEL_CLIENT_NAME = 'default';

/** Injection token of the options of one `SentinelModule` (private to that module instance). */
export const SENTINEL_MODULE_OPTIONS = 'SENTINEL_MODULE_OPTIONS';

/** Injection token of the connection state of one `SentinelModule` (private to that module instance). */
export const SENTINEL_CONNECTION = 'SENTINEL_CONNECTION';

/** Logger context of everything the module logs. */
export const SENTINEL_LOGGER_CONTEXT = 'SentinelModule';

/**
 * The injection token of the `SentinelClient` registered under `name`: what
 * `@InjectSentinel(name)` injects, and what to put in `inject: [...]` of a factory provider.
 *
 * @param name - The `name` given to `SentinelModule.forRoot()`; `'default'` when omitted.
 */
export function getSentinelClientToken(name: string = DEFAULT_SENTINEL_CLIENT_NAME): string {
  return `SentinelClient:${name}`;
}
