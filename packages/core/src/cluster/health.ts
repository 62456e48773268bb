/**
 * The cluster's own view of its nodes, as pure functions of its replies: `CLUSTER SHARDS`
 * (Redis 7+) or `CLUSTER NODES` (any version) → shards, each a master, its replicas and the
 * health the cluster gives each; and from that, which replicas may serve reads. The client
 * (client.ts) polls one of the two and routes reads by the result.
 */
import { applyNatMap } from '../replicas.js';
import type { NatMap, NodeAddress } from '../types.js';

/** Health of a node as the cluster reports it. */
export type ClusterNodeHealth = 'online' | 'failed' | 'loading';

/** One node of a shard, as announced by the cluster. */
export interface ClusterNode {
  id: string;
  /** The address the node announces (before the NAT map). */
  address: NodeAddress;
  role: 'master' | 'replica';
  health: ClusterNodeHealth;
  /** Replication offset the cluster knows for the node (0 before the first sync). */
  offset: number;
}

/** One shard: the slots it serves, its master (if the cluster knows one) and its replicas. */
export interface ClusterShard {
  /** Inclusive `[first, last]` slot ranges. */
  slots: [number, number][];
  master: ClusterNode | undefined;
  replicas: ClusterNode[];
}

/** `host:port` as ioredis keys its node connections (IPv6 without brackets). */
export function nodeKey(address: NodeAddress): string {
  return `${address.host}:${address.port}`;
}

/** A flat `[name, value, name, value…]` reply as a record (RESP2), or a RESP3 map as it is. */
function record(value: unknown): Record<string, unknown> | undefined {
  if (Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < value.length; i += 2) out[String(value[i])] = value[i + 1];
    return out;
  }
  if (value instanceof Map) return Object.fromEntries(value);
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number') return String(value);
  return undefined;
}

function int(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : Number(text(value));
  return Number.isInteger(n) ? n : undefined;
}

function parseShardNode(value: unknown): ClusterNode | undefined {
  const r = record(value);
  if (r === undefined) return undefined;
  const id = text(r.id);
  // The address clients should use: `endpoint` (ip, hostname or "?"), else `ip`.
  const endpoint = text(r.endpoint);
  const host =
    endpoint !== undefined && endpoint !== '?' && endpoint !== '' ? endpoint : text(r.ip);
  const port = int(r.port) ?? int(r['tls-port']);
  const role = text(r.role);
  const health = text(r.health);
  if (id === undefined || host === undefined || port === undefined || port <= 0) return undefined;
  if (role !== 'master' && role !== 'replica') return undefined;
  return {
    id,
    address: { host, port },
    role,
    health: health === 'online' || health === 'loading' ? health : 'failed',
    offset: int(r['replication-offset']) ?? 0,
  };
}

/**
 * `CLUSTER SHARDS`, parsed: the shards that serve slots. A node whose entry cannot be read is
 * left out; a shard without a master entry has `master: undefined`. Redis 7.0 writes a failed
 * node's health as `fail` (the documentation says `failed`): anything but `online` and
 * `loading` is taken as failed.
 */
export function parseClusterShards(reply: unknown): ClusterShard[] {
  if (!Array.isArray(reply)) return [];
  const shards: ClusterShard[] = [];
  for (const entry of reply) {
    const r = record(entry);
    if (r === undefined) continue;
    const flat = Array.isArray(r.slots) ? r.slots.map(int) : [];
    const slots: [number, number][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const first = flat[i];
      const last = flat[i + 1];
      if (first !== undefined && last !== undefined) slots.push([first, last]);
    }
    const nodes = (Array.isArray(r.nodes) ? r.nodes : [])
      .map(parseShardNode)
      .filter((n): n is ClusterNode => n !== undefined);
    // A node that lost its slots in a failover (the old master, failed) is a shard of none.
    if (slots.length === 0) continue;
    shards.push({
      slots,
      master: nodes.find((n) => n.role === 'master'),
      replicas: nodes.filter((n) => n.role === 'replica'),
    });
  }
  return shards;
}

/**
 * `CLUSTER NODES`, parsed into shards (one per master). Health from the flags and link state:
 * `fail`, `fail?`, `handshake`, `noaddr` or a disconnected cluster-bus link → `failed`; a
 * replica that has no replication offset yet → `loading`.
 */
export function parseClusterNodes(reply: string): ClusterShard[] {
  const byMaster = new Map<string, ClusterShard>();
  const replicaOf: [string, ClusterNode][] = [];
  for (const line of reply.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8) continue;
    const [id, addr, flagText, masterId, , , , link, ...slotFields] = fields as string[];
    const address = parseNodesAddress(addr!);
    if (address === undefined) continue;
    const flags = new Set(flagText!.split(','));
    const failed =
      flags.has('fail') ||
      flags.has('fail?') ||
      flags.has('handshake') ||
      flags.has('noaddr') ||
      link !== 'connected';
    const isMaster = flags.has('master');
    const node: ClusterNode = {
      id: id!,
      address,
      role: isMaster ? 'master' : 'replica',
      health: failed ? 'failed' : 'online',
      offset: 0,
    };
    if (isMaster) {
      byMaster.set(id!, { slots: parseSlotFields(slotFields), master: node, replicas: [] });
    } else if (flags.has('slave') && masterId !== '-') {
      replicaOf.push([masterId!, node]);
    }
  }
  for (const [masterId, node] of replicaOf) byMaster.get(masterId)?.replicas.push(node);
  return [...byMaster.values()].filter((s) => s.slots.length > 0);
}

/** `ip:port@cport[,hostname]` → the address (hostname when announced, else ip). */
function parseNodesAddress(text: string): NodeAddress | undefined {
  const [endpoint, hostname] = text.split(',');
  const hostPort = endpoint!.split('@')[0]!;
  const colon = hostPort.lastIndexOf(':');
  if (colon < 0) return undefined;
  const ip = hostPort.slice(0, colon);
  const port = Number(hostPort.slice(colon + 1));
  if (!Number.isInteger(port) || port <= 0) return undefined;
  const host = hostname !== undefined && hostname !== '' ? hostname : ip;
  return host === '' ? undefined : { host, port };
}

/** Slot fields of a `CLUSTER NODES` line (`0-5460`, `5461`; importing/migrating marks skipped). */
function parseSlotFields(fields: string[]): [number, number][] {
  const slots: [number, number][] = [];
  for (const field of fields) {
    if (field.startsWith('[')) continue;
    const [first, last] = field.split('-').map(Number);
    if (first === undefined || !Number.isInteger(first)) continue;
    slots.push([first, last !== undefined && Number.isInteger(last) ? last : first]);
  }
  return slots;
}

/**
 * The replicas reads may go to, by their connection key (`host:port` after the NAT map): those
 * the cluster calls `online`, of a shard whose master is `online` too (a replica of a failed
 * master is about to be promoted or to lose its data source), and, when `linked` is given (each
 * replica's own `ROLE`: link state `connected`), linked to their master.
 */
export function readableReplicas(
  shards: readonly ClusterShard[],
  natMap: NatMap | undefined,
  linked?: ReadonlySet<string>,
): Set<string> {
  const readable = new Set<string>();
  for (const shard of shards) {
    if (shard.master?.health !== 'online') continue;
    for (const replica of shard.replicas) {
      if (replica.health !== 'online') continue;
      const key = nodeKey(applyNatMap(replica.address, natMap));
      if (linked === undefined || linked.has(key)) readable.add(key);
    }
  }
  return readable;
}

/** The master of each shard by its first slot, by connection key: to tell when one changes. */
export function mastersBySlot(
  shards: readonly ClusterShard[],
  natMap: NatMap | undefined,
): Map<number, string> {
  const masters = new Map<number, string>();
  for (const shard of shards) {
    const first = shard.slots[0]?.[0];
    if (first === undefined || shard.master?.health !== 'online') continue;
    masters.set(first, nodeKey(applyNatMap(shard.master.address, natMap)));
  }
  return masters;
}
