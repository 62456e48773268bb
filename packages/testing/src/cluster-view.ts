/**
 * What one cluster node says about the cluster (`CLUSTER NODES`, `CLUSTER INFO`), and the pure
 * decisions made from it: how slots are split between masters, whether a set of views amounts
 * to a ready cluster, and who every node names as a slot's master. Free of I/O so each rule can
 * be read and tested on its own.
 */

/** The number of hash slots of Redis Cluster. */
export const CLUSTER_SLOTS = 16_384;

/** An inclusive range of hash slots, `[first, last]`. */
export type SlotRange = readonly [first: number, last: number];

/** One line of `CLUSTER NODES`. */
export interface ClusterNodeEntry {
  id: string;
  /** `host:port` the node announces (the cluster bus port and hostname left out). */
  address: string;
  flags: readonly string[];
  /** Id of the master a replica follows; `undefined` for masters. */
  masterId: string | undefined;
  /** `connected` or `disconnected` (the cluster bus link, as seen by the answering node). */
  linkState: string;
  /** Slots it serves (migrating/importing markers left out). */
  slots: SlotRange[];
}

/** Splits the slots evenly between `masters` masters, as `redis-cli --cluster create` does. */
export function splitSlots(masters: number): SlotRange[] {
  return Array.from({ length: masters }, (_, i) => [
    Math.round((i * CLUSTER_SLOTS) / masters),
    Math.round(((i + 1) * CLUSTER_SLOTS) / masters) - 1,
  ]);
}

/** Parses the text of `CLUSTER NODES`. */
export function parseClusterNodes(text: string): ClusterNodeEntry[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [id = '', endpoint = '', flags = '', master = '-', , , , linkState = '', ...slots] =
        line.split(' ');
      return {
        id,
        // `127.0.0.1:7000@17000,hostname`: the client address is before the '@'.
        address: endpoint.split('@')[0] ?? '',
        flags: flags.split(','),
        masterId: master === '-' ? undefined : master,
        linkState,
        slots: slots.filter((s) => !s.startsWith('[')).map(parseSlotRange),
      };
    });
}

function parseSlotRange(text: string): SlotRange {
  const [first, last = first] = text.split('-').map(Number) as [number, number?];
  return [first, last];
}

/** The fields of `CLUSTER INFO` (or any `key:value` INFO text). */
export function parseInfoFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return fields;
}

/** True for a `CLUSTER NODES` entry flagged as failing (`fail`, or `fail?` from this node's view). */
export function isFailing(entry: ClusterNodeEntry): boolean {
  return entry.flags.includes('fail') || entry.flags.includes('fail?');
}

/** The entry that serves `slot` as master, if any. */
export function masterOfSlot(
  entries: readonly ClusterNodeEntry[],
  slot: number,
): ClusterNodeEntry | undefined {
  return entries.find(
    (e) =>
      e.flags.includes('master') && e.slots.some(([first, last]) => first <= slot && slot <= last),
  );
}

/** What one running node says: its `CLUSTER NODES` and `CLUSTER INFO`, and its replication link. */
export interface ClusterNodeView {
  /** `host:port` of the node that answered. */
  node: string;
  entries: ClusterNodeEntry[];
  info: Record<string, string>;
  /** `master_link_status` of `INFO replication` (`undefined` on a master). */
  masterLinkStatus: string | undefined;
}

export type ClusterVerdict = { ready: true } | { ready: false; reason: string };

/**
 * Ready when every running node knows every node, says `cluster_state:ok` with all 16384 slots
 * served by healthy masters, every node names the same master for each slot (a running one) and
 * the same role (and master) for every running node, itself included, and every running
 * replica's link to its master is up.
 */
export function assessCluster(
  views: readonly ClusterNodeView[],
  expected: { runningNodes: readonly string[]; totalNodes: number },
): ClusterVerdict {
  const running = new Set(expected.runningNodes);
  let reference: string | undefined;
  for (const view of views) {
    const { info } = view;
    if (info.cluster_state !== 'ok') {
      return notReady(`${view.node} says cluster_state:${info.cluster_state}`);
    }
    if (info.cluster_slots_ok !== String(CLUSTER_SLOTS)) {
      return notReady(`${view.node} says cluster_slots_ok:${info.cluster_slots_ok}`);
    }
    if (Number(info.cluster_known_nodes) !== expected.totalNodes) {
      return notReady(
        `${view.node} knows ${info.cluster_known_nodes} of ${expected.totalNodes} nodes`,
      );
    }
    const myself = view.entries.find((e) => e.flags.includes('myself'));
    if (myself?.flags.includes('slave') && view.masterLinkStatus !== 'up') {
      return notReady(`replica ${view.node} has master_link_status:${view.masterLinkStatus}`);
    }
    for (const entry of view.entries) {
      if (running.has(entry.address) && isFailing(entry)) {
        return notReady(`${view.node} flags running node ${entry.address} ${entry.flags}`);
      }
      if (running.has(entry.address) && entry.flags.includes('handshake')) {
        return notReady(`${view.node} is still in handshake with ${entry.address}`);
      }
    }
    const masters = slotOwners(view.entries);
    for (const address of masters.split(' ')) {
      if (!running.has(address.split('=')[1] ?? '')) {
        return notReady(`${view.node} names ${address} as a master, which is not running`);
      }
    }
    const layout = `${masters} | ${roles(view.entries, running)}`;
    reference ??= layout;
    if (layout !== reference) {
      return notReady(`nodes disagree: ${reference} vs ${layout} (${view.node})`);
    }
  }
  return { ready: true };
}

/** `first-last=host:port …` for every master serving slots: a canonical form to compare views. */
function slotOwners(entries: readonly ClusterNodeEntry[]): string {
  return entries
    .filter((e) => e.flags.includes('master'))
    .flatMap((e) => e.slots.map(([first, last]) => ({ first, last, address: e.address })))
    .sort((a, b) => a.first - b.first)
    .map(({ first, last, address }) => `${first}-${last}=${address}`)
    .join(' ');
}

/** `host:port>master-host:port` for each running replica and `host:port` for each running master, sorted. */
function roles(entries: readonly ClusterNodeEntry[], running: ReadonlySet<string>): string {
  const addressOf = new Map(entries.map((e) => [e.id, e.address]));
  return entries
    .filter((e) => running.has(e.address))
    .map((e) =>
      e.flags.includes('slave') ? `${e.address}>${addressOf.get(e.masterId ?? '')}` : e.address,
    )
    .sort()
    .join(' ');
}

function notReady(reason: string): ClusterVerdict {
  return { ready: false, reason };
}
