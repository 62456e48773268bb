import type { ResolvedClusterClientOptions } from '@sentinelkit/core';
import { redactSecrets } from '@sentinelkit/core/internal';
import type { RedisOptions } from 'ioredis';
import type { ClusterReport } from './cluster-report.js';
import { clusterStateOf, parseClusterNodes } from './cluster-report.js';
import { withConnection } from './inspect.js';

/**
 * Asks the seed nodes in order for `CLUSTER NODES` and `CLUSTER INFO` until one answers (each
 * bounded by `connectTimeout`/`commandTimeout`): the cluster's view as that node has it.
 * Never writes anything anywhere.
 */
export async function inspectCluster(
  options: ResolvedClusterClientOptions,
): Promise<ClusterReport> {
  const secrets = [options.password];
  const unreachable: ClusterReport['unreachable'] = [];
  for (const seed of options.nodes) {
    const node = `${seed.host}:${seed.port}`;
    const connection: RedisOptions = {
      host: seed.host,
      port: seed.port,
      username: options.username,
      password: options.password,
      ...(options.tls === false ? {} : { tls: options.tls }),
      connectTimeout: options.connectTimeout,
      commandTimeout: options.commandTimeout,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    };
    try {
      const [nodes, info] = await withConnection(connection, (redis) =>
        Promise.all([redis.call('CLUSTER', 'NODES'), redis.call('CLUSTER', 'INFO')]),
      );
      return {
        checkedAt: Date.now(),
        askedNode: node,
        unreachable,
        clusterState: clusterStateOf(String(info)),
        nodes: parseClusterNodes(String(nodes)),
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      unreachable.push({ node, error: redactSecrets(message, secrets) });
    }
  }
  return {
    checkedAt: Date.now(),
    askedNode: undefined,
    unreachable,
    clusterState: undefined,
    nodes: [],
  };
}
