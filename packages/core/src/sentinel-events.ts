import type { NodeAddress } from './types.js';

/**
 * Sentinel's Pub/Sub events that matter to a client, parsed. Channel names are
 * Sentinel's own (it says "slave"); the parsed form says "replica".
 */
export const WATCHED_CHANNELS = Object.freeze([
  '+switch-master',
  '+sdown',
  '-sdown',
  '+odown',
  '-odown',
  '+slave',
  '+convert-to-slave',
  '+reboot',
  '+role-change',
  '+failover-end',
  // A failover has started (or is moving on): writes must stop reaching the old master.
  '+try-failover',
  '+elected-leader',
  '+failover-state-select-slave',
  '+selected-slave',
  '+failover-state-send-slaveof-noone',
  '+failover-state-wait-promotion',
  '+promoted-slave',
  '+failover-state-reconf-slaves',
  // …or it has given up.
  '-failover-abort-not-elected',
  '-failover-abort-no-good-slave',
  '-failover-abort-slave-timeout',
  '+failover-end-for-timeout',
] as const);

/** Events that mean a failover of the master is under way. */
export function isFailoverStart(type: string): boolean {
  return (
    type === '+try-failover' ||
    type === '+elected-leader' ||
    type === '+selected-slave' ||
    type === '+promoted-slave' ||
    type.startsWith('+failover-state-')
  );
}

/** Events that mean a failover ended without `+switch-master`. */
export function isFailoverAbort(type: string): boolean {
  return type.startsWith('-failover-abort-') || type === '+failover-end-for-timeout';
}

/** One event about our master name. */
export interface SentinelEvent {
  /** The channel, e.g. `+switch-master`, `+sdown`. */
  type: string;
  /** The master name the event is about. */
  masterName: string;
  /** For `+switch-master`: the new master, as announced. */
  newMaster?: NodeAddress;
  /** For instance events: which node it is about, as announced. */
  instance?: { kind: 'master' | 'replica' | 'sentinel'; address: NodeAddress };
}

const KINDS: Readonly<Record<string, 'master' | 'replica' | 'sentinel'>> = {
  master: 'master',
  slave: 'replica',
  sentinel: 'sentinel',
};

function address(host: string | undefined, port: string | undefined): NodeAddress | undefined {
  const value = Number(port);
  return host && Number.isInteger(value) && value > 0 ? { host, port: value } : undefined;
}

/**
 * Parses a Sentinel event message. Returns `undefined` for events about other
 * master names (a sentinel may watch several) and for malformed messages.
 *
 * Formats (sentinel.c): `+switch-master` is `<name> <old-ip> <old-port>
 * <new-ip> <new-port>`; instance events are `<kind> <name> <ip> <port>`, and
 * for replicas and sentinels `… @ <master-name> <master-ip> <master-port>`.
 */
export function parseSentinelEvent(
  channel: string,
  message: string,
  masterName: string,
): SentinelEvent | undefined {
  const parts = message.trim().split(/\s+/);
  if (channel === '+switch-master') {
    const [name, , , newHost, newPort] = parts;
    const newMaster = address(newHost, newPort);
    if (name !== masterName || !newMaster) return undefined;
    return { type: channel, masterName: name, newMaster };
  }
  const [kindWord, name, host, port] = parts;
  const kind = KINDS[kindWord ?? ''];
  const instanceAddress = address(host, port);
  if (!kind || !instanceAddress) return undefined;
  const at = parts.indexOf('@');
  const owner = kind === 'master' ? name : at >= 0 ? parts[at + 1] : undefined;
  if (owner !== masterName) return undefined;
  return { type: channel, masterName, instance: { kind, address: instanceAddress } };
}
