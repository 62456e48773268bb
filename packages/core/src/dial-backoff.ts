/**
 * When to dial again a replica Sentinel calls healthy but that we could not use: the client may
 * not reach what Sentinel reaches (a firewall or NAT between them, a wrong announce address).
 * Without a rule every refresh (each poll, each Sentinel event) would dial it again and report
 * one more error, forever. So the failures of each address back off exponentially: the first
 * retry comes at the next refresh (a replica restarting is back soon), then after one poll
 * interval, two, four… up to {@link MAX_DIAL_BACKOFF_MS}. An address starts afresh when an attempt
 * succeeds or when Sentinel stops listing it as healthy.
 */

/** The longest wait between two attempts at an address that keeps failing. */
export const MAX_DIAL_BACKOFF_MS = 60_000;

/** The consecutive failures of one address and when it may be dialled again. */
export interface DialBackoff {
  failures: number;
  /** Epoch ms before which it is not dialled. */
  retryAt: number;
}

/**
 * The backoff after one more failure at `now` (`previous`: the address's backoff so far), with
 * `stepMs` the first wait (the poll interval).
 */
export function afterDialFailure(
  previous: DialBackoff | undefined,
  now: number,
  stepMs: number,
): DialBackoff {
  const failures = (previous?.failures ?? 0) + 1;
  const wait = failures === 1 ? 0 : Math.min(MAX_DIAL_BACKOFF_MS, stepMs * 2 ** (failures - 2));
  return { failures, retryAt: now + wait };
}

/** Whether an address with this backoff (none: it has not failed) may be dialled at `now`. */
export function mayDial(backoff: DialBackoff | undefined, now: number): boolean {
  return backoff === undefined || now >= backoff.retryAt;
}
