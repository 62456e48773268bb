/**
 * What connect() does: ask the sentinels for the master, verify it with `ROLE` (trying the masters
 * other sentinels name when the first is stale), adopt it, and admit the healthy replicas; again
 * until a master verifies or `connectTimeout` passes.
 */
import { isPermanentSetupError } from './connection-errors.js';
import { messageOf } from './connections.js';
import { type ClientContext, closedError } from './context.js';
import { type DataNode, delay, dialMaster, isWrongMaster, sameAddress } from './data-node.js';
import { SentinelKitError } from './errors.js';
import { type Master, RETRY_PAUSE_MS } from './master.js';
import type { SentinelAnswer } from './sentinel-link.js';
import type { SentinelSide } from './sentinel-side.js';

/** Discovers and adopts the master, admits the replicas; rejects as connect() documents. */
export async function discover(
  context: ClientContext,
  master: Master,
  sentinels: SentinelSide,
): Promise<void> {
  const { options, secrets } = context;
  const closed = () => master.lifecycle === 'closed';
  const deadline = options.clock() + options.connectTimeout;
  // The last attempt that got an answer ("role replica"), for the error if the deadline then
  // cuts an attempt short: that answer says more than "did not answer within N ms".
  let lastAnswered: unknown;
  const outOfTime = () => options.clock() + RETRY_PAUSE_MS >= deadline;
  const unavailable = (reason: unknown) =>
    new SentinelKitError(
      'MASTER_UNAVAILABLE',
      `no verified master for "${options.masterName}" within connectTimeout (${options.connectTimeout} ms): ${messageOf(reason, secrets)}`,
      { cause: reason },
    );
  for (;;) {
    if (closed()) throw closedError();
    const first = await sentinels.link.ask(deadline).catch((error: unknown) => {
      // A close() during the query makes it fail: say so, not "no sentinel".
      if (closed()) throw closedError();
      // A query the deadline cut short after an attempt got an answer: that answer is the cause.
      if (lastAnswered !== undefined && outOfTime()) throw unavailable(lastAnswered);
      throw error;
    });
    try {
      const { node, answer } = await verifyNamed(context, sentinels, first, deadline, closed);
      // close() may have run while we were verifying.
      if (closed()) {
        node.close();
        throw closedError();
      }
      master.dispatch({ type: 'discovered', node, epoch: answer.epoch, at: options.clock() });
      await sentinels.reconcile(answer, deadline);
      // close() may have run while replicas were being admitted: closed stays closed (no
      // watch, no poll timer for a client nobody will close again).
      if (closed()) throw closedError();
      return;
    } catch (error) {
      // A certificate, a password or an ACL rule will not change by retrying.
      if (isPermanentSetupError(error)) throw error;
      // Nor a setup step the server refused (SELECT of `db`, say).
      if (error instanceof SentinelKitError && error.code === 'INVALID_OPTION') throw error;
      if (error instanceof SentinelKitError && error.code === 'CLIENT_CLOSED') throw error;
      if (closed()) throw closedError();
      const unanswered = error instanceof SentinelKitError && error.code === 'TIMEOUT';
      if (!unanswered) lastAnswered = error;
      if (outOfTime()) throw unavailable(unanswered ? (lastAnswered ?? error) : error);
      await delay(RETRY_PAUSE_MS);
    }
  }
}

/**
 * Verifies the master `first` names. When it is not master (or cannot be reached), the
 * sentinel that named it may be stale (partitioned away, still naming the old master): the
 * other sentinels are asked, and the masters they name tried, highest config epoch first.
 * Throws the first answer's failure when none verifies (every sentinel names a node that is
 * not master yet: a failover in progress), for the caller to retry.
 */
async function verifyNamed(
  context: ClientContext,
  sentinels: SentinelSide,
  first: SentinelAnswer,
  deadline: number,
  closed: () => boolean,
): Promise<{ node: DataNode; answer: SentinelAnswer }> {
  try {
    return { node: await dialMaster(context, first.master, deadline), answer: first };
  } catch (error) {
    if (!isWrongMaster(error) || closed()) throw error;
    const { link } = sentinels;
    link.demote(first.from);
    const tried = [first.master];
    for (const answer of await link.survey(deadline, first.from)) {
      if (tried.some((t) => sameAddress(t, answer.master))) continue;
      tried.push(answer.master);
      const node = await dialMaster(context, answer.master, deadline).catch(() => undefined);
      if (!node) continue;
      link.promote(answer.from);
      return { node, answer };
    }
    throw error;
  }
}
