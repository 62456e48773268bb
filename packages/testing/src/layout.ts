/**
 * Lays a topology out: a loopback port, a config (see config.ts) and, with TLS,
 * certificates for each node, handed to the backend as node specs.
 */

import type { NodeBackend, NodeKind } from './backends/backend.js';
import type { ClusterSettings } from './cluster-options.js';
import { dataNodeConfig, sentinelConfig } from './config.js';
import { TopologyNode } from './node.js';
import type { TopologySettings } from './options.js';
import { allocatePorts, releasePorts } from './ports.js';
import { makeCertificates, nodeHostname, type TopologyCertificates } from './tls.js';

export interface TlsSettings {
  certificates: TopologyCertificates;
  hostnameCertificates: boolean;
}

export interface TopologyLayout {
  dataNodes: TopologyNode[];
  sentinelNodes: TopologyNode[];
  tls: TlsSettings | undefined;
}

/** Allocates ports and creates (does not start) every node; on failure the ports are released. */
export async function layOutTopology(
  backend: NodeBackend,
  settings: TopologySettings,
): Promise<TopologyLayout> {
  const { replicaCount, sentinelCount } = settings;
  const host = '127.0.0.1';
  const ports = await allocatePorts(1 + replicaCount + sentinelCount, host);
  // Behind NAT, nodes know each other by name; the test process still reaches
  // every node on 127.0.0.1 (the backend publishes the same port).
  const hostnames = backend.addressing === 'hostname';
  const announcedHost = (name: string) => (hostnames ? name : host);
  const [masterPort = 0] = ports;
  const master = { host: announcedHost('data-0'), port: masterPort };

  const nodeNames = [
    ...ports.slice(0, 1 + replicaCount).map((_, i) => `data-${i}`),
    ...ports.slice(1 + replicaCount).map((_, i) => `sentinel-${i}`),
  ];
  let tls: TlsSettings | undefined;
  try {
    tls = settings.tls && {
      certificates: makeCertificates(nodeNames, settings.tls),
      hostnameCertificates: settings.tls.hostnameCertificates,
    };
  } catch (error) {
    releasePorts(ports);
    throw error;
  }
  const tlsConfig = settings.tls && { clientCertificates: settings.tls.clientCertificates };
  const node = (kind: NodeKind, index: number, port: number, config: string) => {
    const name = `${kind}-${index}`;
    return new TopologyNode(
      kind,
      index,
      host,
      port,
      backend.createNode({
        kind,
        name,
        host,
        port,
        config,
        ...(tls && {
          files: { ...tls.certificates.forNode(name) },
          clientTls: {
            ...tls.certificates.client,
            ...(tls.hostnameCertificates && { servername: nodeHostname(name) }),
          },
        }),
      }),
      { host: announcedHost(name), port },
    );
  };
  const dataNodes = ports.slice(0, 1 + replicaCount).map((port, i) =>
    node(
      'data',
      i,
      port,
      dataNodeConfig({
        host: announcedHost(`data-${i}`),
        hostnames,
        port,
        tls: tlsConfig,
        auth: settings.dataAuth,
        replicaOf: i === 0 ? undefined : master,
      }),
    ),
  );
  const sentinelNodes = ports.slice(1 + replicaCount).map((port, i) =>
    node(
      'sentinel',
      i,
      port,
      sentinelConfig({
        host: announcedHost(`sentinel-${i}`),
        hostnames,
        port,
        tls: tlsConfig,
        masterName: settings.masterName,
        master,
        quorum: settings.quorum,
        downAfterMs: settings.downAfterMs,
        failoverTimeoutMs: settings.failoverTimeoutMs,
        dataAuth: settings.dataAuth,
        sentinelPassword: settings.sentinelPassword,
        sentinelUser: settings.sentinelUser,
      }),
    ),
  );
  return { dataNodes, sentinelNodes, tls };
}

/**
 * Allocates a client port and a cluster bus port for each node of a cluster and creates (does
 * not start) the nodes: masters first (`data-0` … `data-{masters-1}`), then the replicas of
 * master 0, of master 1, …; on failure the ports are released.
 */
export async function layOutCluster(
  backend: NodeBackend,
  settings: ClusterSettings,
): Promise<{ nodes: TopologyNode[]; busPorts: number[] }> {
  const host = '127.0.0.1';
  const count = settings.masterCount * (1 + settings.replicasPerMaster);
  const ports = await allocatePorts(2 * count, host);
  try {
    const nodes = ports.slice(0, count).map((port, index) => {
      const name = `data-${index}`;
      const config = dataNodeConfig({
        host,
        port,
        auth: settings.dataAuth,
        cluster: {
          busPort: ports[count + index] ?? 0,
          nodeTimeoutMs: settings.nodeTimeoutMs,
          requireFullCoverage: settings.requireFullCoverage,
        },
      });
      return new TopologyNode(
        'data',
        index,
        host,
        port,
        backend.createNode({ kind: 'data', name, host, port, config }),
      );
    });
    return { nodes, busPorts: ports.slice(count) };
  } catch (error) {
    releasePorts(ports);
    throw error;
  }
}
