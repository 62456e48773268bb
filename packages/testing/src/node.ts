/** One node of a topology, as tests see it: its identity, address and state. */

import type { BackendNode, NodeKind } from './backends/backend.js';
import { TopologyError } from './errors.js';
import type { Address } from './health.js';

export type NodeState = 'running' | 'frozen' | 'killed';

/** One redis-server of the topology: a data node (master or replica) or a sentinel. */
export class TopologyNode {
  /** @internal */
  _state: NodeState = 'killed';

  constructor(
    /** `data` (master or replica: roles change on failover) or `sentinel`. */
    readonly kind: NodeKind,
    /** Position among nodes of the same kind. */
    readonly index: number,
    readonly host: string,
    readonly port: number,
    /** @internal */
    readonly _backend: BackendNode,
    /**
     * Address the sentinels and the other nodes know this node by: `host:port`,
     * except behind NAT (container bridge networks), where it is its name.
     */
    readonly announced: Address = { host, port },
  ) {}

  /** `data-0`, `sentinel-2`, … (`data-0` is the initial master). */
  get name(): string {
    return `${this.kind}-${this.index}`;
  }

  /** `host:port`. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this._backend.pid;
  }

  get state(): NodeState {
    return this._state;
  }

  toString(): string {
    return `${this.name} (${this.address}, ${this._state})`;
  }
}

/** The typed error for acting on a node that is killed or frozen. */
export function notRunning(node: TopologyNode, action: string): TopologyError {
  return new TopologyError(
    'NODE_NOT_RUNNING',
    `cannot ${action} ${node}: it is ${node.state}${node.state === 'killed' ? ' (restart() it first)' : ' (thaw() it first)'}`,
  );
}

/** `host:port` as Sentinel names the node. */
export function announcedAddress(node: TopologyNode): string {
  return `${node.announced.host}:${node.announced.port}`;
}
