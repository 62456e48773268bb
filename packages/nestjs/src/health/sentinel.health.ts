import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import {
  isClusterClient,
  isRoutedClient,
  type RoutedClient,
  SentinelConfigError,
} from '@sentinelkit/core';
import { getSentinelClientToken } from '../sentinel.constants.js';
import { resolveClientName } from '../sentinel.options.js';
import {
  assessCluster,
  type ClusterHealthDetails,
  type ClusterInfo,
  parseClusterInfo,
  parseClusterSlots,
  type SlotRange,
  whyClusterClientIsDown,
} from './cluster-state.js';
import { assessTopology, type SentinelHealthDetails } from './health-state.js';

/** Options of {@link SentinelHealthIndicator.isHealthy}. */
export interface SentinelHealthCheckOptions {
  /**
   * The client to check: the name it was registered under in `SentinelModule`, or a
   * `SentinelClient`.
   * @default 'default'
   */
  client?: string | RoutedClient;
  /**
   * Milliseconds the master may take to answer `PING`; slower is `down`.
   * @default 1000
   */
  timeout?: number;
  /**
   * Healthy replicas needed for `up`; with fewer (and a master) the state is `degraded`: reads
   * go to the master.
   * @default 1
   */
  minReplicas?: number;
}

/** Defaults of {@link SentinelHealthCheckOptions}. */
export const DEFAULT_HEALTH_CHECK_OPTIONS = Object.freeze({
  timeout: 1000,
  minReplicas: 1,
});

/**
 * A Terminus health indicator for a Sentinel client, on Terminus's `HealthIndicatorService`:
 *
 * - `up`: the client has a verified master that answers `PING` within `timeout`, and at least
 *   `minReplicas` healthy replicas serve reads;
 * - `degraded`: a master, but fewer healthy replicas (reads fall back to the master);
 * - `down`: no master (during a failover, or none at all), or it does not answer in time.
 *
 * On a cluster client (`redis+cluster://`) the states weigh every master's `CLUSTER INFO` and
 * `CLUSTER SLOTS` against the client's view (see {@link assessCluster}): `down` while a slot has
 * no verified master, `degraded` while a shard has fewer than `minReplicas` healthy replicas.
 *
 * The details are the client's topology as addresses only (`master`, `replicas`, `sentinels`),
 * never credentials. Terminus 11 has no `degraded` state: there the indicator reports `up` with
 * `degraded: true` in its details.
 *
 * Add it to the providers of the module of your health controller (which imports
 * `TerminusModule`), then: `health.check([() => sentinel.isHealthy('redis')])`.
 */
@Injectable()
export class SentinelHealthIndicator {
  constructor(
    @Inject(HealthIndicatorService) private readonly health: HealthIndicatorService,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * Checks one client and reports it under `key`.
   *
   * @param key - Key of the result in the health check's response, e.g. `'redis'`.
   * @param options - Which client, the master's `PING` timeout, and the replicas needed for `up`.
   */
  async isHealthy<const Key extends string>(
    key: Key,
    options: SentinelHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const session = this.health.check(key);
    const client = this.#client(options.client);
    const timeout = options.timeout ?? DEFAULT_HEALTH_CHECK_OPTIONS.timeout;
    const minReplicas = options.minReplicas ?? DEFAULT_HEALTH_CHECK_OPTIONS.minReplicas;
    if (isClusterClient(client)) {
      return this.#clusterHealth(session, client, timeout, minReplicas);
    }
    const { state, details } = assessTopology(client.topology(), minReplicas);
    if (state === 'down') return session.down(details);
    const failure = await pingMaster(client, timeout);
    if (failure !== undefined) return session.down({ ...details, message: failure });
    if (state === 'up') return session.up(details);
    return degraded<Key>(session, details);
  }

  /**
   * A cluster client: its topology first (no probe while a shard has no verified master), then
   * every master's `CLUSTER INFO` and `CLUSTER SLOTS` within `timeout` (which pings them too).
   */
  async #clusterHealth<Key extends string>(
    session: ReturnType<HealthIndicatorService['check']>,
    client: RoutedClient,
    timeout: number,
    minReplicas: number,
  ): Promise<HealthIndicatorResult<Key>> {
    const topology = client.topology();
    if (whyClusterClientIsDown(topology) !== undefined) {
      const { details } = assessCluster({ topology, info: undefined, slots: [] }, minReplicas);
      return session.down(details) as HealthIndicatorResult<Key>;
    }
    const views = await probeMasters(client, timeout);
    if (typeof views === 'string') {
      const { details } = assessCluster({ topology, info: undefined, slots: [] }, minReplicas);
      return session.down({ ...details, message: views }) as HealthIndicatorResult<Key>;
    }
    // The worst view decides: a master that says `fail` makes the cluster down.
    const view = views.find((v) => v.info.state !== 'ok') ?? views[0];
    const { state, details } = assessCluster(
      { topology: client.topology(), info: view?.info, slots: view?.slots ?? [] },
      minReplicas,
    );
    if (state === 'down') return session.down(details) as HealthIndicatorResult<Key>;
    if (state === 'up') return session.up(details) as HealthIndicatorResult<Key>;
    return degraded<Key>(session, details);
  }

  #client(client: string | RoutedClient | undefined): RoutedClient {
    if (isRoutedClient(client)) return client;
    const name = resolveClientName(client, 'client');
    try {
      return this.moduleRef.get<RoutedClient>(getSentinelClientToken(name), { strict: false });
    } catch (error) {
      throw new SentinelConfigError({
        option: 'client',
        expected: 'the name of a client registered with SentinelModule.forRoot()/forRootAsync()',
        received: JSON.stringify(name),
        cause: error,
      });
    }
  }
}

/** `degraded()` where Terminus has it (12), else `up()` flagged `degraded: true` (Terminus 11). */
function degraded<Key extends string>(
  session: ReturnType<HealthIndicatorService['check']>,
  details: SentinelHealthDetails | ClusterHealthDetails,
): HealthIndicatorResult<Key> {
  // Typed for both majors: Terminus 11's session has no degraded().
  const either = session as {
    degraded?: (data: SentinelHealthDetails | ClusterHealthDetails) => unknown;
  };
  const result =
    typeof either.degraded === 'function'
      ? either.degraded.call(session, details)
      : session.up({ ...details, degraded: true });
  return result as HealthIndicatorResult<Key>;
}

/** `undefined` when the master answers `PING` within `timeout`, else why not. */
async function pingMaster(client: RoutedClient, timeout: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`master did not answer PING within ${timeout} ms`)),
      timeout,
    );
  });
  try {
    await Promise.race([client.read((master) => master.ping(), { readFrom: 'master' }), late]);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

/** Every master's `CLUSTER INFO` and `CLUSTER SLOTS`, or why they did not all answer in time. */
async function probeMasters(
  client: RoutedClient,
  timeout: number,
): Promise<{ info: ClusterInfo; slots: SlotRange[] }[] | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`a master did not answer CLUSTER INFO within ${timeout} ms`)),
      timeout,
    );
  });
  try {
    const probe = client.eachMaster(
      async (master) => {
        const [info, slots] = await Promise.all([
          master.call('CLUSTER', 'INFO'),
          master.call('CLUSTER', 'SLOTS'),
        ]);
        return { info: parseClusterInfo(String(info)), slots: parseClusterSlots(slots) };
      },
      // Not left waiting for a failover after the check answered.
      { timeout },
    );
    return await Promise.race([probe, late]);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
