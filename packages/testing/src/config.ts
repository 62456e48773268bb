/**
 * Redis and Sentinel configuration for test topologies, as pure functions of
 * the topology's settings. Backends add only `dir` and `logfile`.
 */

/** Credentials of the data nodes (master and replicas). */
export interface DataAuth {
  /** ACL user; `undefined` means the default user with `requirepass`. */
  username?: string | undefined;
  password?: string | undefined;
}

/**
 * TLS-only nodes: the plain port is closed, `port` is the TLS port, and nodes
 * talk to each other over TLS. Certificate files are named relative to the
 * node's `dir` (Redis loads them after reading `dir`).
 */
export interface TlsConfig {
  /** `tls-auth-clients`: whether a client must present a certificate. */
  clientCertificates: 'required' | 'optional';
}

export interface DataNodeConfigInput {
  port: number;
  tls?: TlsConfig | undefined;
  /** Address the node announces (and binds, unless `hostnames`). */
  host: string;
  /** Announce `host` as a name and listen on every interface (nodes behind NAT). */
  hostnames?: boolean | undefined;
  auth: DataAuth;
  /** Address of the master to replicate from; omitted for the initial master. */
  replicaOf?: { host: string; port: number } | undefined;
  /** A Redis Cluster node (`cluster-enabled yes`); omitted for Sentinel topologies. */
  cluster?: ClusterNodeConfig | undefined;
}

export interface ClusterNodeConfig {
  /** The cluster bus port (`cluster-port`), allocated like the client port. */
  busPort: number;
  /** `cluster-node-timeout`: how long a node may not answer before it is failed over. */
  nodeTimeoutMs: number;
  /** `cluster-require-full-coverage`: refuse every slot while one has no master. */
  requireFullCoverage: boolean;
}

export interface SentinelConfigInput {
  port: number;
  tls?: TlsConfig | undefined;
  /** Address the sentinel announces (and binds, unless `hostnames`). */
  host: string;
  /** Hosts are names: resolve and announce them, and listen on every interface. */
  hostnames?: boolean | undefined;
  masterName: string;
  master: { host: string; port: number };
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  dataAuth: DataAuth;
  /** Password that clients (and the other sentinels) need to talk to this sentinel. */
  sentinelPassword?: string | undefined;
  /**
   * The sentinels' own ACL user (needs `sentinelPassword`): the default user is switched off,
   * clients log in as this user with its `rules`, and the sentinels (and the topology's own
   * connections) as {@link SENTINEL_ADMIN_USER}, which may do everything.
   */
  sentinelUser?: { name: string; rules: readonly string[] } | undefined;
}

/** The sentinels' user for each other and for the topology's own connections, when `sentinelUser` is set. */
export const SENTINEL_ADMIN_USER = 'topology-admin';

/** Renders a Redis config value; quotes anything that is not a plain word. */
function value(text: string): string {
  return /^[A-Za-z0-9_.:/@~*&+>-]+$/.test(text) ? text : JSON.stringify(text);
}

function lines(directives: ReadonlyArray<readonly string[]>): string {
  return `${directives.map((parts) => parts.map(value).join(' ')).join('\n')}\n`;
}

/** `port`/`tls-port` and the TLS directives shared by data nodes and sentinels. */
function listenDirectives(port: number, tls: TlsConfig | undefined): string[][] {
  if (!tls) return [['port', String(port)]];
  return [
    ['port', '0'],
    ['tls-port', String(port)],
    ['tls-cert-file', 'node.crt'],
    ['tls-key-file', 'node.key'],
    ['tls-ca-cert-file', 'ca.crt'],
    ['tls-auth-clients', tls.clientCertificates === 'required' ? 'yes' : 'optional'],
    // Replication, and Sentinel's links to nodes and to other sentinels.
    ['tls-replication', 'yes'],
  ];
}

export function dataNodeConfig(input: DataNodeConfigInput): string {
  const { auth } = input;
  const directives: string[][] = [
    ...listenDirectives(input.port, input.tls),
    ['bind', input.hostnames ? '0.0.0.0' : input.host],
    ['protected-mode', 'no'],
    // No persistence: a restarted node resyncs from the master, which is what a
    // fresh replica does in production too, and it keeps tests fast.
    ['save', ''],
    ['appendonly', 'no'],
    ['repl-diskless-sync', 'yes'],
    ['repl-diskless-sync-delay', '0'],
  ];
  if (auth.username !== undefined) {
    directives.push(['user', 'default', 'off']);
    directives.push(['user', auth.username, 'on', `>${auth.password ?? ''}`, '~*', '&*', '+@all']);
    directives.push(['masteruser', auth.username]);
  } else if (auth.password !== undefined) {
    directives.push(['requirepass', auth.password]);
  }
  if (auth.password !== undefined) directives.push(['masterauth', auth.password]);
  if (input.hostnames) {
    // The master lists its replicas to Sentinel under this name, not the
    // container address it sees them connect from.
    directives.push(['replica-announce-ip', input.host]);
  }
  if (input.replicaOf) {
    directives.push(['replicaof', input.replicaOf.host, String(input.replicaOf.port)]);
  }
  if (input.cluster) directives.push(...clusterDirectives(input.cluster));
  return lines(directives);
}

function clusterDirectives(cluster: ClusterNodeConfig): string[][] {
  return [
    ['cluster-enabled', 'yes'],
    // Relative to the node's `dir`: a restarted node comes back with what it last knew.
    ['cluster-config-file', 'nodes.conf'],
    // An explicit bus port: the default (port + 10000) may lie in the ephemeral range or be taken.
    ['cluster-port', String(cluster.busPort)],
    ['cluster-node-timeout', String(cluster.nodeTimeoutMs)],
    ['cluster-require-full-coverage', cluster.requireFullCoverage ? 'yes' : 'no'],
    // A replica may always stand for election, however long its master has been gone.
    ['cluster-replica-validity-factor', '0'],
  ];
}

export function sentinelConfig(input: SentinelConfigInput): string {
  const name = input.masterName;
  const directives: string[][] = [
    ...listenDirectives(input.port, input.tls),
    ['bind', input.hostnames ? '0.0.0.0' : input.host],
    ['protected-mode', 'no'],
    ['sentinel', 'resolve-hostnames', input.hostnames ? 'yes' : 'no'],
    ...(input.hostnames ? [['sentinel', 'announce-hostnames', 'yes']] : []),
    ['sentinel', 'announce-ip', input.host],
    [
      'sentinel',
      'monitor',
      name,
      input.master.host,
      String(input.master.port),
      String(input.quorum),
    ],
    ['sentinel', 'down-after-milliseconds', name, String(input.downAfterMs)],
    ['sentinel', 'failover-timeout', name, String(input.failoverTimeoutMs)],
    ['sentinel', 'parallel-syncs', name, '1'],
  ];
  if (input.dataAuth.username !== undefined) {
    directives.push(['sentinel', 'auth-user', name, input.dataAuth.username]);
  }
  if (input.dataAuth.password !== undefined) {
    directives.push(['sentinel', 'auth-pass', name, input.dataAuth.password]);
  }
  if (input.sentinelPassword !== undefined && input.sentinelUser) {
    const password = `>${input.sentinelPassword}`;
    directives.push(['user', 'default', 'off']);
    directives.push(['user', SENTINEL_ADMIN_USER, 'on', password, '+@all', '&*']);
    directives.push(['user', input.sentinelUser.name, 'on', password, ...input.sentinelUser.rules]);
    directives.push(['sentinel', 'sentinel-user', SENTINEL_ADMIN_USER]);
    directives.push(['sentinel', 'sentinel-pass', input.sentinelPassword]);
  } else if (input.sentinelPassword !== undefined) {
    directives.push(['requirepass', input.sentinelPassword]);
    directives.push(['sentinel', 'sentinel-pass', input.sentinelPassword]);
  }
  return lines(directives);
}
