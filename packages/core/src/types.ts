/**
 * Where reads go.
 * - `'replica'`: a random healthy replica per command, the master when none is healthy.
 * - `'master'`: always the master.
 * - `'replica-only'`: a random healthy replica; fails with `NO_REPLICA_AVAILABLE` when none is.
 */
export type ReadFrom = 'replica' | 'master' | 'replica-only';

/** Every accepted {@link ReadFrom} value, in documentation order. */
export const READ_FROM_VALUES: readonly ReadFrom[] = Object.freeze([
  'replica',
  'master',
  'replica-only',
]);

/** A TCP address of a Redis or Sentinel node; `host` never carries IPv6 brackets. */
export interface NodeAddress {
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  /** TCP port, 1-65535. */
  port: number;
}

/**
 * Translates addresses announced by Sentinel (often container-internal) into addresses this
 * process can reach. Either a table keyed by `"host:port"` as Sentinel announces it, or a
 * function; a function may return `null`/`undefined` to keep the announced address.
 */
export type NatMap =
  | Readonly<Record<string, NodeAddress>>
  | ((address: NodeAddress) => NodeAddress | null | undefined);

/** `host:port`, with IPv6 hosts bracketed so the port stays unambiguous. */
export function formatAddress(address: NodeAddress): string {
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
