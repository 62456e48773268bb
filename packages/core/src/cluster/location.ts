/**
 * Cluster locations: one line that says where a Redis Cluster is.
 *
 * ```text
 * redis+cluster://[username[:password]@]host[:port][,host[:port]…][/][?query]
 * rediss+cluster://…
 * redis+cluster://:s3cret@10.0.0.1:7000,10.0.0.2:7000?readFrom=master
 * ```
 *
 * - The hosts are seed nodes: any nodes of the cluster; the client learns the rest from them.
 *   Ports default to 6379. Hosts are written as in Sentinel locations (IPv6 in brackets).
 * - `username:password@` are the credentials of every node, percent-decoded.
 * - `rediss+cluster://` turns TLS on; the `tls` parameter overrides it.
 * - Query parameters (each at most once): `tls=true|false`, `readFrom=replica|master|replica-only`.
 * - No path (a cluster has one database), no whitespace, no `#fragment`.
 *
 * Parsing, redaction and errors are the Sentinel location's (location.ts): the same masks, the
 * same linear-time pass, the same {@link SentinelConfigError} naming `location.<part>`.
 *
 * @module
 */
import { SentinelConfigError } from '../errors.js';
import {
  type Context,
  fail,
  type HostList,
  indexOfAny,
  MAX_LOCATION_LENGTH,
  maskedRanges,
  parseHosts,
  parseUserinfo,
  queryParams,
  span,
} from '../location.js';
import { type NodeAddress, READ_FROM_VALUES, type ReadFrom } from '../types.js';

/** A cluster location string, parsed. Optional fields are set only when the location gave them. */
export interface ClusterLocationOptions {
  /** Seed nodes, in the order given; ports defaulted to 6379. */
  nodes: NodeAddress[];
  /** Username for every node (URL userinfo). */
  username?: string;
  /** Password for every node (URL userinfo). */
  password?: string;
  /** TLS to every node: from the scheme, or the `tls` query parameter. */
  tls?: boolean;
  /** Read routing (`readFrom` query parameter). */
  readFrom?: ReadFrom;
}

/** Port of a cluster node given without one. */
export const DEFAULT_CLUSTER_PORT = 6379;

const FORMAT = 'redis+cluster://[user:password@]host:port[,host:port…][?name=value&…]';
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const QUERY_PARAMS = ['tls', 'readFrom'];
const NODE_LIST: HostList = {
  option: 'location.nodes',
  noun: 'cluster node',
  defaultPort: DEFAULT_CLUSTER_PORT,
};

/** Whether `location` is a string in the cluster form (`redis+cluster://`, `rediss+cluster://`). */
export function isClusterLocation(location: unknown): location is string {
  if (typeof location !== 'string') return false;
  const scheme = SCHEME.exec(location)?.[1]?.toLowerCase();
  return scheme === 'redis+cluster' || scheme === 'rediss+cluster';
}

/**
 * Parses a cluster location (grammar in this module's header). Throws {@link SentinelConfigError}
 * with option `location` or `location.<part>` on any mistake; messages never contain passwords.
 */
export function parseClusterLocation(location: string): ClusterLocationOptions {
  if (typeof location !== 'string' || location === '') {
    throw new SentinelConfigError({
      option: 'location',
      expected: `a cluster location such as "${FORMAT}"`,
      received: typeof location === 'string' ? '""' : `a ${typeof location}`,
    });
  }
  if (location.length > MAX_LOCATION_LENGTH) {
    throw new SentinelConfigError({
      option: 'location',
      expected: `at most ${MAX_LOCATION_LENGTH} characters`,
      received: `${location.length} characters`,
      hint: 'A location names a few seed nodes; pass long lists as options instead',
    });
  }
  const ctx: Context = { raw: location, format: FORMAT, masked: maskedRanges(location) };
  const whole = { text: location, start: 0 };
  if (/\s/.test(location)) fail(ctx, 'location', 'no whitespace', whole);
  if (location.includes('#')) {
    fail(ctx, 'location', 'no "#" (percent-encode it as %23 inside credentials)', whole);
  }
  const scheme = SCHEME.exec(location)?.[1];
  if (!isClusterLocation(location) || scheme === undefined) {
    fail(ctx, 'location.scheme', '"redis+cluster://" or "rediss+cluster://"', {
      text: scheme ?? location,
      start: 0,
    });
  }
  return parseUrl(ctx, scheme.toLowerCase() === 'rediss+cluster', scheme.length + 3);
}

function parseUrl(ctx: Context, secure: boolean, authorityStart: number): ClusterLocationOptions {
  const { raw } = ctx;
  const authorityEnd = indexOfAny(raw, '/?', authorityStart);
  const queryStart = indexOfAny(raw, '?', authorityEnd);
  const authority = span(raw, authorityStart, authorityEnd);
  const at = authority.text.lastIndexOf('@');
  const result: Omit<ClusterLocationOptions, 'nodes'> = {};
  if (at >= 0) parseUserinfo(ctx, span(raw, authorityStart, authorityStart + at), result);
  const nodes = parseHosts(ctx, span(raw, authorityStart + at + 1, authorityEnd), NODE_LIST);
  const path = span(raw, authorityEnd + 1, queryStart);
  if (raw[authorityEnd] === '/' && path.text !== '') {
    fail(
      ctx,
      'location',
      'nothing after the nodes but "?query"',
      path,
      'A cluster has one database and no master name.',
    );
  }
  if (secure) result.tls = true;
  if (queryStart < raw.length) parseQuery(ctx, span(raw, queryStart + 1, raw.length), result);
  return { nodes, ...result };
}

function parseQuery(
  ctx: Context,
  query: ReturnType<typeof span>,
  into: Omit<ClusterLocationOptions, 'nodes'>,
): void {
  for (const { name, value, valueSpan, option } of queryParams(ctx, query, QUERY_PARAMS)) {
    if (name === 'tls') {
      if (value !== 'true' && value !== 'false') fail(ctx, option, 'true or false', valueSpan);
      into.tls = value === 'true';
    } else {
      if (!(READ_FROM_VALUES as readonly string[]).includes(value)) {
        fail(ctx, option, READ_FROM_VALUES.join(', '), valueSpan);
      }
      into.readFrom = value as ReadFrom;
    }
  }
}
