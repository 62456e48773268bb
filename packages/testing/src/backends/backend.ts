/**
 * How nodes are started is a backend's business; everything else (configs,
 * readiness, faults, Sentinel queries) lives in the topology and works the same
 * for every backend.
 */

import type { ConnectionOptions } from 'node:tls';

export type NodeKind = 'data' | 'sentinel';

/** What a backend needs to run one node. */
export interface NodeSpec {
  kind: NodeKind;
  /** Unique within the topology, e.g. `data-0`, `sentinel-2`. */
  name: string;
  /**
   * Loopback address the test process reaches the node on. With `'loopback'`
   * addressing the node also listens on and announces it; with `'hostname'`
   * addressing the node announces `name` and the backend makes `host:port`
   * reach it (e.g. a published container port).
   */
  host: string;
  port: number;
  /** Redis config text, without `dir` and `logfile` (the backend adds them). */
  config: string;
  /** Files the config names relative to the node's directory (e.g. TLS certificates): name → content. */
  files?: Readonly<Record<string, string>> | undefined;
  /** TLS-only nodes: what a client needs to connect (readiness checks that speak Redis use it). */
  clientTls?: ConnectionOptions | undefined;
}

/** One running (or stopped) node, as a backend drives it. */
export interface BackendNode {
  /** OS process id, when the backend knows it. */
  readonly pid: number | undefined;
  /** Starts the node (again) with its current config; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Hard kill (SIGKILL); resolves once it is gone. A frozen node is killed too. */
  kill(): Promise<void>;
  /** Suspends the node (SIGSTOP or a cgroup freeze): its sockets stay open and silent. */
  freeze(): Promise<void>;
  /** Resumes a frozen node. */
  thaw(): Promise<void>;
  /** Last lines of the node's log, for error messages. */
  logTail(lines?: number): Promise<string>;
}

export type NodeAddressing = 'loopback' | 'hostname';

export interface NodeBackend {
  /** Short name for messages, e.g. `process`. */
  readonly name: string;
  /** Host directory holding the nodes' files, if the backend uses one. */
  readonly workDir: string | undefined;
  /**
   * How nodes know each other. `'loopback'`: every node listens on and
   * announces its loopback `host:port`, which the test process reaches as is.
   * `'hostname'`: nodes listen on every interface of their own network and
   * announce their `name` (the backend makes names resolvable between nodes);
   * clients outside translate with the topology's `natMap`. @default 'loopback'
   */
  readonly addressing?: NodeAddressing | undefined;
  createNode(spec: NodeSpec): BackendNode;
  /** Releases whatever the backend itself holds (temp directory, engine connections). */
  dispose(): Promise<void>;
}
