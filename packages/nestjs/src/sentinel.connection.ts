import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  createClient,
  formatAddress,
  isSentinelKitError,
  type RoutedClient,
  type TopologyEvent,
} from '@sentinelkit/core';
import { SENTINEL_LOGGER_CONTEXT } from './sentinel.constants.js';
import { type ResolvedSentinelModuleOptions, resolveModuleOptions } from './sentinel.options.js';

/**
 * One client of the module and what the module owes it: connecting at bootstrap (or in the
 * background), logging failovers, and closing it on shutdown if the module created it.
 *
 * Nest calls `onApplicationShutdown` on it because it is a provider of the module; that hook runs
 * after every `onModuleDestroy` (the CacheModule's store disconnects there), so nothing that
 * still needs the client during shutdown finds it closed.
 */
export class SentinelConnection implements OnApplicationShutdown {
  /** The client's name in the module. */
  readonly name: string;
  /** The client the module injects. */
  readonly client: RoutedClient;
  /** Whether the module created the client, and so closes it. */
  readonly owned: boolean;
  readonly #settings: ResolvedSentinelModuleOptions;
  readonly #logger: Logger;
  #closing: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #wakeRetry: (() => void) | undefined;
  readonly #onTopology = (event: TopologyEvent) => this.#logTopology(event);

  private constructor(name: string, settings: ResolvedSentinelModuleOptions) {
    this.name = name;
    this.#settings = settings;
    this.#logger = new Logger(SENTINEL_LOGGER_CONTEXT);
    if (settings.client) {
      this.client = settings.client;
      this.owned = false;
    } else {
      // Validates the location and options (INVALID_OPTION naming the option); no I/O.
      // A Sentinel or a cluster client, by what the location names (no I/O).
      this.client = createClient(
        settings.source as NonNullable<typeof settings.source>,
        settings.overrides,
      );
      this.owned = true;
    }
    this.client.on('topology-change', this.#onTopology);
  }

  /**
   * Validates `options`, creates (or adopts) the client and connects it: before resolving with
   * `failFast`, in the background without. With `failFast`, a client that cannot connect rejects
   * with the core's typed error, after the module closed what it created.
   */
  static async open(name: string, options: unknown): Promise<SentinelConnection> {
    const connection = new SentinelConnection(name, resolveModuleOptions(options));
    if (connection.#settings.failFast) {
      await connection.#connectOrFail();
    } else {
      connection.#connectInBackground();
    }
    return connection;
  }

  /** Nest's shutdown hook (`app.close()`, or a signal with `enableShutdownHooks()`). */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /**
   * Stops connecting in the background and closes the client if the module created it; a client
   * passed in as `client` stays open. Runs once, however often it is called.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearTimeout(this.#retryTimer);
      this.#wakeRetry?.();
      this.client.off('topology-change', this.#onTopology);
      if (this.owned) await this.client.close();
    })();
    return this.#closing;
  }

  async #connectOrFail(): Promise<void> {
    try {
      await this.client.connect();
    } catch (error) {
      this.#logger.error(
        `Sentinel client "${this.name}" could not connect: ${messageOf(error)}. ` +
          'Fix the location, or set failFast: false to start without Sentinel and connect in the background',
      );
      await this.close();
      throw error;
    }
  }

  #connectInBackground(): void {
    void (async () => {
      let lastCode: string | undefined;
      let attempts = 0;
      while (this.#closing === undefined) {
        attempts++;
        try {
          await this.client.connect();
          if (attempts > 1) {
            this.#logger.log(`Sentinel client "${this.name}" connected after ${attempts} attempts`);
          }
          return;
        } catch (error) {
          if (this.#closing !== undefined) return;
          const code = isSentinelKitError(error) ? error.code : 'UNKNOWN';
          // One line per kind of failure, not one per attempt.
          if (code !== lastCode) {
            this.#logger.warn(
              `Sentinel client "${this.name}" could not connect, trying again every ${this.#settings.retryDelay} ms: ${messageOf(error)}`,
            );
            lastCode = code;
          }
        }
        await new Promise<void>((resolve) => {
          this.#wakeRetry = resolve;
          this.#retryTimer = setTimeout(resolve, this.#settings.retryDelay);
          // Waiting to retry must not keep the process alive by itself.
          this.#retryTimer.unref();
        });
      }
    })();
  }

  #logTopology(event: TopologyEvent): void {
    if (event.type === 'MASTER_CHANGE' && event.reason !== 'discovered') {
      const from = event.previous ? formatAddress(event.previous) : 'none';
      const took =
        event.timings?.lostAt === undefined
          ? ''
          : ` in ${event.switchedAt - event.timings.lostAt} ms`;
      this.#logger.log(
        `Sentinel client "${this.name}": master moved from ${from} to ${formatAddress(event.current)}${took}`,
      );
    } else if (event.type === 'MASTER_LOST') {
      this.#logger.warn(
        `Sentinel client "${this.name}": lost master ${formatAddress(event.previous)} (${event.reason}); asking Sentinel for the new one`,
      );
    }
  }
}

function messageOf(error: unknown): string {
  if (isSentinelKitError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
