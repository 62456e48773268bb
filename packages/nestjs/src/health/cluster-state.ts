/**
 * The health of a Redis Cluster client, as pure functions of what the indicator read: the
 * client's own topology (verified masters, replicas in rotation, per shard), a master's
 * `CLUSTER INFO` and its `CLUSTER SLOTS` (which master serves which slots).
 */
import { formatAddress, type NodeAddress, type RoutedTopology } from '@sentinelkit/core';
import type { SentinelHealthState } from './health-state.js';

/** Hash slots of every Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

/** The fields of `CLUSTER INFO` the indicator weighs. */
export interface ClusterInfo {
  /** `cluster_state`: `ok`, or `fail` while some slot has no master (or the node is cut off). */
  state: string;
  /** `cluster_slots_ok`: slots whose master the node does not flag failing. */
  slotsOk: number;
  /** `cluster_slots_pfail` + `cluster_slots_fail`: slots whose master is flagged failing. */
  slotsFailing: number;
}

/** One range of `CLUSTER SLOTS`: inclusive slots and the address of the master serving them. */
export interface SlotRange {
  first: number;
  last: number;
  master: NodeAddress;
}

/** One shard in the health details, by addresses only. */
export type ClusterShardDetails = {
  /** Its slot ranges, `first-last` (or one slot), as the cluster reports them. */
  slots: string[];
  /** Its master, `host:port`, or `null` while the client has no verified master for it. */
  master: string | null;
  /** Replicas in the read rotation, `host:port`. */
  replicas: string[];
};

/** The details of the indicator for a cluster client. */
export type ClusterHealthDetails = {
  /** The client's state: `'idle'`, `'connecting'`, `'ready'` or `'closed'`. */
  clientStatus: string;
  /** `cluster_state` as a master reports it (`ok` / `fail`), `null` if none was read. */
  clusterState: string | null;
  /** Slots served by a master the client has verified (16384 when all are). */
  slotsCovered: number;
  /** Each shard: slots, master, replicas in rotation. */
  shards: ClusterShardDetails[];
  /** Why the state is not `up`. */
  message?: string;
};

/** `CLUSTER INFO` (`name:value` lines), the fields {@link ClusterInfo} keeps. */
export function parseClusterInfo(text: string): ClusterInfo {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const count = (name: string) => {
    const n = Number(fields.get(name));
    return Number.isInteger(n) ? n : 0;
  };
  return {
    state: fields.get('cluster_state') ?? 'unknown',
    slotsOk: count('cluster_slots_ok'),
    slotsFailing: count('cluster_slots_pfail') + count('cluster_slots_fail'),
  };
}

/**
 * `CLUSTER SLOTS` (`[[first, last, [host, port, id, …], …replicas], …]`), the master of each
 * range; an entry that cannot be read is left out (its slots then count as not covered).
 */
export function parseClusterSlots(reply: unknown): SlotRange[] {
  if (!Array.isArray(reply)) return [];
  const ranges: SlotRange[] = [];
  for (const entry of reply) {
    if (!Array.isArray(entry) || !Array.isArray(entry[2])) continue;
    const [first, last] = [Number(entry[0]), Number(entry[1])];
    const host = String(entry[2][0] ?? '');
    const port = Number(entry[2][1]);
    if (!Number.isInteger(first) || !Number.isInteger(last) || host === '' || host === '?')
      continue;
    if (!Number.isInteger(port) || port <= 0) continue;
    ranges.push({ first, last, master: { host, port } });
  }
  return ranges.sort((a, b) => a.first - b.first);
}

const key = (address: NodeAddress) => `${address.host}:${address.port}`;
const rangeText = (r: SlotRange) => (r.first === r.last ? `${r.first}` : `${r.first}-${r.last}`);

/**
 * Why the client's own view is `down` before any node is asked (not ready, or a shard without
 * a verified master: a failover under way), else `undefined`.
 */
export function whyClusterClientIsDown(topology: RoutedTopology): string | undefined {
  if (topology.status !== 'ready') return `client is ${topology.status}`;
  if (topology.shards.length === 0 || topology.shards.some((shard) => !shard.master)) {
    return 'a shard has no verified master';
  }
  return undefined;
}

/**
 * The state of a cluster:
 * - `down`: the client is not ready, a master's `cluster_state` is not `ok`, or some slot is not
 *   served by a master the client has verified (a shard without master, a slot with none);
 * - `degraded`: every slot covered, but some shard has fewer than `minReplicas` replicas in
 *   the read rotation (its reads go to its master);
 * - `up`: otherwise.
 *
 * Masters are matched by the address they announce (`CLUSTER SLOTS` names announced
 * addresses), so a NAT map does not hide them.
 */
export function assessCluster(
  input: { topology: RoutedTopology; info: ClusterInfo | undefined; slots: readonly SlotRange[] },
  minReplicas: number,
): { state: SentinelHealthState; details: ClusterHealthDetails } {
  const { topology, info, slots } = input;
  const byMaster = new Map<string, RoutedTopology['shards'][number]>();
  for (const shard of topology.shards) {
    if (shard.master) byMaster.set(key(shard.master.announced), shard);
  }
  const shards = new Map<string, ClusterShardDetails & { verified: boolean }>();
  let slotsCovered = 0;
  for (const range of slots) {
    const shard = byMaster.get(key(range.master));
    if (shard !== undefined) slotsCovered += range.last - range.first + 1;
    const entry = shards.get(key(range.master)) ?? {
      slots: [],
      master: shard?.master ? formatAddress(shard.master.address) : null,
      replicas: shard?.replicas.map((r) => formatAddress(r.address)) ?? [],
      verified: shard !== undefined,
    };
    entry.slots.push(rangeText(range));
    shards.set(key(range.master), entry);
  }
  const details: ClusterHealthDetails = {
    clientStatus: topology.status,
    clusterState: info?.state ?? null,
    slotsCovered,
    shards: [...shards.values()].map(({ verified: _, ...shard }) => shard),
  };
  const down = (message: string) => ({
    state: 'down' as const,
    details: { ...details, message },
  });
  const unready = whyClusterClientIsDown(topology);
  if (unready !== undefined) return down(unready);
  if (info === undefined) return down('no master answered CLUSTER INFO');
  if (info.state !== 'ok') return down(`cluster_state is ${info.state}`);
  if (slotsCovered < CLUSTER_SLOTS) {
    return down(`${CLUSTER_SLOTS - slotsCovered} slot(s) have no verified master`);
  }
  const short = [...shards.values()].filter((shard) => shard.replicas.length < minReplicas);
  if (short.length > 0) {
    const names = short.map((shard) => `${shard.master} (slots ${shard.slots.join(',')})`);
    return {
      state: 'degraded',
      details: {
        ...details,
        message: `fewer than ${minReplicas} healthy replica(s) in ${short.length} shard(s), their reads go to the master: ${names.join('; ')}`,
      },
    };
  }
  return { state: 'up', details };
}
