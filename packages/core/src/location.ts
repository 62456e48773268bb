/**
 * Location strings: one line that says where a Sentinel-monitored Redis deployment is.
 *
 * Short form (as in django-redis-sentinel), for deployments without credentials or TLS:
 *
 * ```text
 * masterName/host[:port][,host[:port]…][/db]
 * mymaster/10.0.0.1:26379,10.0.0.2:26379,[::1]/2
 * ```
 *
 * URL form:
 *
 * ```text
 * redis+sentinel://[username[:password]@]host[:port][,host[:port]…]/masterName[/db][?query]
 * rediss+sentinel://…
 * redis+sentinel://:s3cret@10.0.0.1,10.0.0.2:26380/mymaster/1?sentinelPassword=other&readFrom=master
 * ```
 *
 * - `host` is a name or IPv4 address (letters, digits, `.`, `-`, `_`) or an IPv6 address in
 *   brackets: `[::1]` or `[::1]:26379`. Sentinel ports default to 26379.
 * - `masterName` is letters, digits, `.`, `_` and `-`. `db` is a non-negative integer, default 0.
 * - `username:password@` are the credentials of the data nodes (master and replicas),
 *   percent-decoded; `:password@` gives a password alone. Percent-encode `:` `@` `/` `?` `#` `%`
 *   inside them (`formatLocation` does).
 * - Sentinels get no credentials from `username:password@`; they get `sentinelUsername` and
 *   `sentinelPassword` from the query, or none.
 * - `rediss+sentinel://` turns TLS on for both data nodes and sentinels; the `tls` and
 *   `sentinelTls` parameters override that per side.
 * - Query parameters (case-sensitive names; values percent-decoded, `+` is not a space; each at
 *   most once): `sentinelUsername`, `sentinelPassword`, `sentinelTls=true|false`,
 *   `tls=true|false`, `readFrom=replica|master|replica-only`.
 * - No whitespace and no `#fragment` anywhere; credentials only in the URL form.
 *
 * @module
 */
import { isIPv6 } from 'node:net';
import { SentinelConfigError } from './errors.js';
import { formatAddress, READ_FROM_VALUES, type ReadFrom } from './types.js';
import { didYouMean, NAME_PATTERN } from './validate.js';

/** A location string, parsed. Optional fields are set only when the location gave them. */
export interface LocationOptions {
  /** Name of the master group, as in `sentinel monitor <name>`. */
  masterName: string;
  /** Sentinel addresses, in the order given; ports defaulted to 26379. */
  sentinels: { host: string; port: number }[];
  /** Database index; 0 when the location has none. */
  db: number;
  /** Username for the data nodes (URL userinfo). */
  username?: string;
  /** Password for the data nodes (URL userinfo). */
  password?: string;
  /** Username for the sentinels (`sentinelUsername` query parameter). */
  sentinelUsername?: string;
  /** Password for the sentinels (`sentinelPassword` query parameter). */
  sentinelPassword?: string;
  /** TLS to the data nodes: from the scheme, or the `tls` query parameter. */
  tls?: boolean;
  /** TLS to the sentinels: from the scheme, or the `sentinelTls` query parameter. */
  sentinelTls?: boolean;
  /** Read routing (`readFrom` query parameter). */
  readFrom?: ReadFrom;
}

/**
 * What {@link formatLocation} accepts: a {@link LocationOptions}, or resolved client options.
 * TLS option objects print as `true`, since their settings have no place in a location.
 */
export interface LocationLike {
  /** Name of the master group. */
  masterName: string;
  /** Sentinel addresses; a missing port prints as 26379. */
  sentinels: readonly { host: string; port?: number }[];
  /** Database index; 0 or missing prints nothing. */
  db?: number;
  /** Username for the data nodes. */
  username?: string;
  /** Password for the data nodes; printed as `***` unless `showPasswords`. */
  password?: string;
  /** Username for the sentinels. */
  sentinelUsername?: string;
  /** Password for the sentinels; printed as `***` unless `showPasswords`. */
  sentinelPassword?: string;
  /** TLS to the data nodes. */
  tls?: boolean | object;
  /** TLS to the sentinels. */
  sentinelTls?: boolean | object;
  /** Read routing. */
  readFrom?: ReadFrom;
}

/** Options of {@link formatLocation}. */
export interface FormatLocationOptions {
  /**
   * Print passwords in clear instead of `***`. Only for handing the string to another program.
   * @default false
   */
  showPasswords?: boolean;
}

/** Longest location {@link parseLocation} accepts; a real one is far shorter. */
export const MAX_LOCATION_LENGTH = 8192;

/** Port used for a sentinel given without one. */
export const DEFAULT_SENTINEL_PORT = 26379;

const SHORT_FORMAT = 'mymaster/host:port[,host:port…][/db]';
const URL_FORMAT =
  'redis+sentinel://[user:password@]host:port[,host:port…]/mymaster[/db][?name=value&…]';
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const QUERY_PARAMS = ['sentinelUsername', 'sentinelPassword', 'sentinelTls', 'tls', 'readFrom'];

/** A piece of the raw location, remembered with its offset so quoting can mask secrets. */
export interface Span {
  text: string;
  start: number;
}

export interface Context {
  raw: string;
  format: string;
  /** `[start, end)` ranges of the raw string that may hold a password. */
  masked: [number, number][];
}

/**
 * Parses a location string (grammar in this module's header). Throws {@link SentinelConfigError}
 * with option `location` or `location.<part>` on any mistake; messages never contain passwords.
 */
export function parseLocation(location: string): LocationOptions {
  if (typeof location !== 'string' || location === '') {
    throw new SentinelConfigError({
      option: 'location',
      expected: `a location string such as "${SHORT_FORMAT}" or "${URL_FORMAT}"`,
      received: typeof location === 'string' ? '""' : `a ${typeof location}`,
    });
  }
  if (location.length > MAX_LOCATION_LENGTH) {
    throw new SentinelConfigError({
      option: 'location',
      expected: `at most ${MAX_LOCATION_LENGTH} characters`,
      received: `${location.length} characters`,
      hint: 'A location names a master and its sentinels; pass long lists as options instead',
    });
  }
  const scheme = SCHEME.exec(location)?.[1];
  const ctx: Context = {
    raw: location,
    format: scheme === undefined ? SHORT_FORMAT : URL_FORMAT,
    masked: maskedRanges(location),
  };
  const whole = { text: location, start: 0 };
  if (/\s/.test(location)) fail(ctx, 'location', 'no whitespace', whole);
  if (location.includes('#')) {
    fail(ctx, 'location', 'no "#" (percent-encode it as %23 inside credentials)', whole);
  }
  if (scheme === undefined) return parseShort(ctx, whole);
  checkScheme(ctx, scheme);
  return parseUrl(ctx, scheme.toLowerCase() === 'rediss+sentinel', scheme.length + 3);
}

/**
 * Returns `location` with its passwords (userinfo password, `sentinelPassword`) replaced by
 * `***`, for logs. Never throws, even on strings {@link parseLocation} rejects.
 */
export function redactLocation(location: string): string {
  const ctx: Context = { raw: location, format: '', masked: maskedRanges(location) };
  return masked(ctx, { text: location, start: 0 });
}

/**
 * Formats a location: the short form when there are no credentials, TLS, `readFrom` or sentinel
 * settings, the URL form otherwise. Passwords print as `***` unless `showPasswords` is set.
 * For any valid `s`, `parseLocation(formatLocation(parseLocation(s), { showPasswords: true }))`
 * deep-equals `parseLocation(s)`.
 */
export function formatLocation(options: LocationLike, opts: FormatLocationOptions = {}): string {
  const hosts = options.sentinels
    .map((s) => formatAddress({ host: s.host, port: s.port ?? DEFAULT_SENTINEL_PORT }))
    .join(',');
  const db = options.db ? `/${options.db}` : '';
  const secret = (value: string) => (opts.showPasswords ? encodeURIComponent(value) : '***');
  const tls = options.tls === undefined ? undefined : options.tls !== false;
  const sentinelTls = options.sentinelTls === undefined ? undefined : options.sentinelTls !== false;
  const both = tls === true && sentinelTls === true;

  const query: string[] = [];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined) query.push(`${name}=${value}`);
  };
  add('sentinelUsername', mapDefined(options.sentinelUsername, encodeURIComponent));
  add('sentinelPassword', mapDefined(options.sentinelPassword, secret));
  if (!both) {
    add('tls', mapDefined(tls, String));
    add('sentinelTls', mapDefined(sentinelTls, String));
  }
  add('readFrom', options.readFrom);

  const { username, password } = options;
  if (query.length === 0 && !both && username === undefined && password === undefined) {
    return `${options.masterName}/${hosts}${db}`;
  }
  const user = username === undefined ? '' : encodeURIComponent(username);
  const pass = password === undefined ? '' : `:${secret(password)}`;
  const userinfo = username === undefined && password === undefined ? '' : `${user}${pass}@`;
  const search = query.length === 0 ? '' : `?${query.join('&')}`;
  const scheme = both ? 'rediss+sentinel' : 'redis+sentinel';
  return `${scheme}://${userinfo}${hosts}/${options.masterName}${db}${search}`;
}

function parseShort(ctx: Context, whole: Span): LocationOptions {
  const parts = split(whole, '/');
  const [name, hosts, db, ...extra] = parts;
  if (name === undefined || hosts === undefined) {
    fail(ctx, 'location', 'a master name, "/" and at least one sentinel', whole);
  }
  if (extra.length > 0) {
    fail(ctx, 'location', 'at most 3 parts separated by "/": master name, sentinels, db', whole);
  }
  // Anywhere, not just among the sentinels: `user:pw@h/m` is a URL missing its scheme.
  if (whole.text.includes('@')) {
    fail({ ...ctx, format: URL_FORMAT }, 'location', 'credentials only in the URL form', whole);
  }
  const masterName = parseMasterName(ctx, name);
  const sentinels = parseHosts(ctx, hosts);
  return { masterName, sentinels, db: db === undefined ? 0 : parseDb(ctx, db) };
}

function checkScheme(ctx: Context, scheme: string): void {
  const lower = scheme.toLowerCase();
  if (lower === 'redis+sentinel' || lower === 'rediss+sentinel') return;
  const plain = lower === 'redis' || lower === 'rediss';
  const cluster = lower === 'redis+cluster' || lower === 'rediss+cluster';
  fail(
    ctx,
    'location.scheme',
    '"redis+sentinel://" or "rediss+sentinel://"',
    { text: scheme, start: 0 },
    plain
      ? `A ${lower}:// URL addresses one Redis server, not a Sentinel deployment.`
      : cluster
        ? `A ${lower}:// location names a Redis Cluster: pass it to createClient() or createClusterClient().`
        : undefined,
  );
}

function parseUrl(ctx: Context, secure: boolean, authorityStart: number): LocationOptions {
  const { raw } = ctx;
  const authorityEnd = indexOfAny(raw, '/?', authorityStart);
  const queryStart = indexOfAny(raw, '?', authorityEnd);
  const authority = span(raw, authorityStart, authorityEnd);
  const at = authority.text.lastIndexOf('@');
  const result: Partial<LocationOptions> = {};
  if (at >= 0) parseUserinfo(ctx, span(raw, authorityStart, authorityStart + at), result);
  const sentinels = parseHosts(ctx, span(raw, authorityStart + at + 1, authorityEnd));

  const path = span(raw, authorityEnd + 1, queryStart);
  if (raw[authorityEnd] !== '/' || path.text === '') {
    fail(ctx, 'location.masterName', 'the master name after the sentinels and a "/"', undefined);
  }
  const [name, dbText, ...extra] = split(path, '/');
  if (extra.length > 0) {
    fail(ctx, 'location', 'at most a master name and a db after the sentinels', path);
  }
  const masterName = parseMasterName(ctx, name!);
  const db = dbText === undefined ? 0 : parseDb(ctx, dbText);
  if (secure) {
    result.tls = true;
    result.sentinelTls = true;
  }
  if (queryStart < raw.length) parseQuery(ctx, span(raw, queryStart + 1, raw.length), result);
  return { masterName, sentinels, db, ...result };
}

export function parseUserinfo(
  ctx: Context,
  userinfo: Span,
  into: { username?: string; password?: string },
): void {
  const colon = userinfo.text.indexOf(':');
  const user = colon < 0 ? userinfo : span(ctx.raw, userinfo.start, userinfo.start + colon);
  const username = decode(ctx, 'location.username', user);
  if (username !== '') into.username = username;
  if (colon < 0) return;
  const pass = span(ctx.raw, userinfo.start + colon + 1, userinfo.start + userinfo.text.length);
  const password = decode(ctx, 'location.password', pass);
  if (password !== '') into.password = password;
}

/** One `name=value` of a location's query, its value decoded. */
export interface QueryParam {
  name: string;
  value: string;
  valueSpan: Span;
  /** The option a message about it names: `location.<name>`. */
  option: string;
}

/**
 * The `name=value` pairs of `query` (`&`-separated; empty pairs skipped), each of `allowed`
 * and at most once, else a typed error naming `location.query`. Shared by the Sentinel and
 * cluster forms, which differ only in what each parameter means.
 */
export function* queryParams(
  ctx: Context,
  query: Span,
  allowed: readonly string[],
): Generator<QueryParam> {
  const seen = new Set<string>();
  for (const pair of split(query, '&')) {
    if (pair.text === '') continue;
    const eq = pair.text.indexOf('=');
    if (eq < 0) fail(ctx, 'location.query', 'name=value pairs separated by "&"', pair);
    const name = pair.text.slice(0, eq);
    if (!allowed.includes(name)) {
      fail(
        ctx,
        'location.query',
        `one of the parameters ${allowed.join(', ')}`,
        span(ctx.raw, pair.start, pair.start + eq),
        didYouMean(name, allowed),
      );
    }
    if (seen.has(name)) {
      fail(ctx, 'location.query', 'each parameter at most once', `"${name}" twice`);
    }
    seen.add(name);
    const valueSpan = span(ctx.raw, pair.start + eq + 1, pair.start + pair.text.length);
    const option = `location.${name}`;
    yield { name, value: decode(ctx, option, valueSpan), valueSpan, option };
  }
}

function parseQuery(ctx: Context, query: Span, into: Partial<LocationOptions>): void {
  for (const { name, value, valueSpan, option } of queryParams(ctx, query, QUERY_PARAMS)) {
    if (name === 'sentinelUsername' || name === 'sentinelPassword') {
      if (value === '') fail(ctx, option, 'a non-empty value', valueSpan);
      into[name] = value;
    } else if (name === 'tls' || name === 'sentinelTls') {
      if (value !== 'true' && value !== 'false') fail(ctx, option, 'true or false', valueSpan);
      into[name] = value === 'true';
    } else {
      if (!(READ_FROM_VALUES as readonly string[]).includes(value)) {
        fail(ctx, option, READ_FROM_VALUES.join(', '), valueSpan);
      }
      into.readFrom = value as ReadFrom;
    }
  }
}

function parseMasterName(ctx: Context, name: Span): string {
  if (!NAME_PATTERN.test(name.text)) {
    fail(
      ctx,
      'location.masterName',
      'a master name of letters, digits, ".", "_" and "-"',
      name,
      name.text.includes(':') ? `The master name comes first: ${ctx.format}` : undefined,
    );
  }
  return name.text;
}

/** How a list of hosts is named in messages, and the port of a host given without one. */
export interface HostList {
  option: string;
  noun: string;
  defaultPort: number;
}

const SENTINEL_LIST: HostList = {
  option: 'location.sentinels',
  noun: 'sentinel',
  defaultPort: DEFAULT_SENTINEL_PORT,
};

export function parseHosts(
  ctx: Context,
  list: Span,
  kind: HostList = SENTINEL_LIST,
): { host: string; port: number }[] {
  if (list.text === '') {
    fail(ctx, kind.option, `at least one ${kind.noun} host[:port]`, undefined);
  }
  const entries = split(list, ',');
  if (entries.some((e) => e.text === '')) {
    fail(ctx, kind.option, 'a host[:port] on both sides of every ","', list);
  }
  return entries.map((entry) => parseHost(ctx, entry, kind.defaultPort));
}

function parseHost(ctx: Context, entry: Span, defaultPort: number): { host: string; port: number } {
  const { text, start } = entry;
  let host: string;
  let port: Span | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) fail(ctx, 'location.host', 'a "]" closing the IPv6 address', entry);
    host = text.slice(1, close);
    if (!isIPv6(host)) fail(ctx, 'location.host', 'an IPv6 address inside "[ ]"', entry);
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) {
      fail(ctx, 'location.host', '":port" or nothing after "]"', entry);
    }
    if (rest !== '') port = span(ctx.raw, start + close + 2, start + text.length);
  } else {
    const colon = text.indexOf(':');
    if (colon >= 0 && text.indexOf(':', colon + 1) >= 0) {
      fail(ctx, 'location.host', 'an IPv6 address in brackets, as in [::1]:26379', entry);
    }
    host = colon < 0 ? text : text.slice(0, colon);
    if (!NAME_PATTERN.test(host)) {
      fail(
        ctx,
        'location.host',
        'a host name or IP address of letters, digits, ".", "-", "_"',
        entry,
      );
    }
    if (colon >= 0) port = span(ctx.raw, start + colon + 1, start + text.length);
  }
  return { host, port: port === undefined ? defaultPort : parsePort(ctx, port, entry) };
}

function parsePort(ctx: Context, port: Span, entry: Span): number {
  const value = /^\d+$/.test(port.text) ? Number(port.text) : Number.NaN;
  if (!(value >= 1 && value <= 65535)) {
    throw new SentinelConfigError({
      option: 'location.port',
      expected: 'a port, an integer 1-65535',
      received: `${masked(ctx, port, true)} in ${masked(ctx, entry, true)}`,
      hint: `Format: ${ctx.format}`,
    });
  }
  return value;
}

function parseDb(ctx: Context, db: Span): number {
  const value = /^\d+$/.test(db.text) ? Number(db.text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    fail(ctx, 'location.db', 'a database number, a non-negative integer', db);
  }
  return value;
}

export function decode(ctx: Context, option: string, part: Span): string {
  try {
    return decodeURIComponent(part.text);
  } catch (error) {
    // The password itself is never quoted: masking covers it, but a malformed one is better unseen.
    const secret = option.endsWith('assword');
    throw new SentinelConfigError({
      option,
      expected: 'valid percent-encoding (write "%" as %25)',
      ...(secret ? {} : { received: masked(ctx, part, true) }),
      hint: `Format: ${ctx.format}`,
      cause: error,
    });
  }
}

export function fail(
  ctx: Context,
  option: string,
  expected: string,
  received: Span | string | undefined,
  hint?: string,
): never {
  const shown = typeof received === 'object' ? masked(ctx, received, true) : received;
  throw new SentinelConfigError({
    option,
    expected,
    ...(shown === undefined ? {} : { received: shown }),
    hint: hint?.includes(ctx.format)
      ? hint
      : [hint, `Format: ${ctx.format}`].filter(Boolean).join(' '),
  });
}

/**
 * Ranges that may hold a password, chosen generously: a password with an unencoded `/`, `?` or
 * `@` confuses the parser, and the fragments it then quotes must still not reveal it. One pass
 * over the string, so a hostile location costs linear time. Masked:
 * - the userinfo password (after the first `:` up to the last `@`); in the short form everything
 *   between the first `/` and the last `@`, or before the `@` when it precedes the first `/`
 *   (see {@link credentialsStart});
 * - whatever stands where a port goes and is not port-shaped (digits): `app:S3cret/m` or
 *   `app:PW:host:26379/m`, a password written without its `@`;
 * - the value of every query parameter other than the known non-secret ones (`sentinelPassword`,
 *   and typos such as `pasword`, `sentinel_password`), up to the next known parameter, since a
 *   raw `&` inside the value would end it early.
 */
export function maskedRanges(raw: string): [number, number][] {
  const ranges: [number, number][] = [];
  const scheme = SCHEME.exec(raw);
  const lastAt = raw.lastIndexOf('@');
  const queryStart = raw.indexOf('?');
  let hostsStart: number;
  if (scheme !== null) {
    const start = scheme[0].length;
    const colon = raw.indexOf(':', start);
    if (colon >= 0 && colon < lastAt) ranges.push([colon + 1, lastAt]);
    hostsStart = lastAt >= start ? lastAt + 1 : start;
  } else {
    const slash = raw.indexOf('/');
    if (lastAt >= 0) ranges.push([credentialsStart(raw, slash, lastAt), lastAt]);
    hostsStart = lastAt >= 0 ? lastAt + 1 : slash < 0 ? raw.length : slash + 1;
  }
  const hostsEnd = indexOfAny(raw, '/?', hostsStart);
  let entryStart = hostsStart;
  for (const entry of raw.slice(hostsStart, hostsEnd).split(',')) {
    const port = secretPortStart(entry);
    if (port >= 0) ranges.push([entryStart + port, entryStart + entry.length]);
    entryStart += entry.length + 1;
  }
  if (queryStart >= 0) ranges.push(...secretQueryValues(raw, queryStart + 1));
  return merge(ranges);
}

/**
 * Where the credentials of a short-form location end at `lastAt` start: after the first `/` when
 * the `@` comes after it (`m/user:pw@h`); when the `@` comes first (a URL without its scheme,
 * `user:pw@h/m`), after the first `:`, or from the start if there is none (`pw@h/m`).
 */
function credentialsStart(raw: string, slash: number, lastAt: number): number {
  if (slash >= 0 && slash < lastAt) return slash + 1;
  const colon = raw.indexOf(':');
  return colon >= 0 && colon < lastAt ? colon + 1 : 0;
}

/** Where a non-port-shaped "port" of a host entry starts, or -1 when the entry has none. */
function secretPortStart(entry: string): number {
  const close = entry.startsWith('[') ? entry.indexOf(']') : -1;
  const colon = entry.indexOf(':', close + 1);
  if (colon < 0 || (close < 0 && isIPv6(entry))) return -1;
  return /^\d{0,5}$/.test(entry.slice(colon + 1)) ? -1 : colon + 1;
}

/** The query parameters whose values are shown in messages; every other value is masked. */
const PUBLIC_PARAMS = new Set(['sentinelUsername', 'sentinelTls', 'tls', 'readFrom']);

/** Ranges of query values that may be secret, from one left-to-right pass over the pairs. */
function secretQueryValues(raw: string, from: number): [number, number][] {
  const ranges: [number, number][] = [];
  let open = -1; // start of a secret value still running into the pairs that follow
  let start = from;
  let eq = -1;
  while (start <= raw.length) {
    const amp = raw.indexOf('&', start);
    const end = amp < 0 ? raw.length : amp;
    // Searched again only once passed, so a query of many "&" and no "=" stays linear.
    if (eq < start && eq !== raw.length) eq = raw.indexOf('=', start);
    if (eq < 0) eq = raw.length;
    const name = eq >= 0 && eq < end ? raw.slice(start, eq) : undefined;
    const known = name !== undefined && (PUBLIC_PARAMS.has(name) || name === 'sentinelPassword');
    if (open >= 0 && known) {
      ranges.push([open, start - 1]);
      open = -1;
    }
    if (open < 0 && name !== undefined && !PUBLIC_PARAMS.has(name)) open = eq + 1;
    if (amp < 0) break;
    start = amp + 1;
  }
  if (open >= 0) ranges.push([open, raw.length]);
  return ranges;
}

/** Sorts and merges overlapping ranges, so quoting walks them once. */
function merge(ranges: [number, number][]): [number, number][] {
  const sorted = ranges.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged;
}

/** Longest piece of the input a message quotes: a 100 KB location must not give a 100 KB error. */
const MAX_QUOTED = 80;

/**
 * `part` with its masked ranges replaced by `***`; with `quote`, JSON-quoted and cut to
 * {@link MAX_QUOTED} characters for a message.
 */
function masked(ctx: Context, part: Span, quote = false): string {
  const end = part.start + part.text.length;
  const pieces: string[] = [];
  let i = part.start;
  for (const [s, e] of ctx.masked) {
    if (e <= i) continue;
    if (s >= end) break;
    if (s > i) pieces.push(ctx.raw.slice(i, s));
    pieces.push('***');
    i = e;
  }
  if (i < end) pieces.push(ctx.raw.slice(i, end));
  const out = pieces.join('');
  if (!quote) return out;
  if (out.length <= MAX_QUOTED) return JSON.stringify(out);
  return `${JSON.stringify(`${out.slice(0, MAX_QUOTED)}…`)} (${out.length} characters)`;
}

export function span(raw: string, start: number, end: number): Span {
  return { text: raw.slice(start, end), start };
}

export function split(part: Span, separator: string): Span[] {
  const spans: Span[] = [];
  let start = 0;
  for (const piece of part.text.split(separator)) {
    spans.push({ text: piece, start: part.start + start });
    start += piece.length + separator.length;
  }
  return spans;
}

export function indexOfAny(text: string, chars: string, from: number): number {
  for (let i = from; i < text.length; i++) if (chars.includes(text[i]!)) return i;
  return text.length;
}

function mapDefined<T, U>(value: T | undefined, fn: (value: T) => U): U | undefined {
  return value === undefined ? undefined : fn(value);
}
