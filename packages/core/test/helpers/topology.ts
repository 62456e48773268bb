import type { SentinelTopology } from '@sentinelkit/testing';
import * as waits from '@sentinelkit/testing';
import type { TopologyEvent } from '../../src/index.js';

export {
  commandCount,
  onMaster,
  onNode,
  resetStats,
  untilReplicaCount,
} from '@sentinelkit/testing';

/** Resolves with the first topology event that matches, or rejects after `timeoutMs`. */
export const nextTopologyEvent = waits.nextTopologyEvent<TopologyEvent>;

export const portOf = (address: { port: number }) => address.port;

/**
 * `SENTINEL FAILOVER`, once Sentinel can do it: right after a failover it
 * answers INPROG (still finishing) or NOGOODSLAVE (it has not yet seen a
 * replica of the new master in sync). Those answers are its real state, so
 * they are polled until it accepts.
 */
export async function failoverWhenSentinelAccepts(
  topology: SentinelTopology,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await topology.failover();
      return;
    } catch (error) {
      const busy = /INPROG|NOGOODSLAVE/.test((error as Error).message);
      if (!busy || Date.now() > deadline) throw error;
      await new Promise<void>((resolve) => setTimeout(resolve, 100));
    }
  }
}
