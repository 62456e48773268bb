import { parseSentinelInfo } from './replicas.js';
import type { NodeAddress } from './types.js';

/**
 * What the client learns from sentinels is bounded: a misconfigured or hostile sentinel listing
 * thousands of peers or replicas must not make the client dial them all, on every poll.
 */
/** At most this many sentinels are known (given and learnt together). */
export const MAX_SENTINELS = 32;
/** At most this many replicas of one `SENTINEL replicas` reply are considered. */
export const MAX_REPLICAS = 64;

// Sentinel's flags for a peer it cannot reach: such a peer is not worth dialling.
const UNREACHABLE_FLAGS = ['s_down', 'o_down', 'disconnected'];

/**
 * The usable sentinels of a whole `SENTINEL sentinels <name>` reply, validated as strictly as the
 * `sentinels` option: a host (no whitespace, not empty), a port 1-65535, not flagged down or
 * disconnected by the sentinel that lists it, each `runid` once. Anything else is left out.
 */
export function parseSentinelList(reply: unknown): NodeAddress[] {
  if (!Array.isArray(reply)) return [];
  const result: NodeAddress[] = [];
  const runids = new Set<string>();
  for (const entry of reply) {
    const info = parseSentinelInfo(entry);
    const host = info.ip ?? '';
    const port = /^\d{1,5}$/.test(info.port ?? '') ? Number(info.port) : 0;
    if (host === '' || /\s/.test(host) || host.length > 255 || port < 1 || port > 65535) continue;
    const flags = (info.flags ?? '').split(',');
    if (flags.some((flag) => UNREACHABLE_FLAGS.includes(flag))) continue;
    if (info.runid) {
      if (runids.has(info.runid)) continue;
      runids.add(info.runid);
    }
    result.push({ host, port });
  }
  return result;
}
