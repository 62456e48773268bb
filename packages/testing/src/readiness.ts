/**
 * Readiness: polls what the running sentinels say until it amounts to a
 * healthy topology (the rule itself is the pure `assessHealth` of health.ts).
 */

import { TopologyError } from './errors.js';
import { assessHealth } from './health.js';
import type { TopologyNode } from './node.js';
import type { SentinelObserver } from './sentinel-observer.js';

const POLL_INTERVAL_MS = 50;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ReadinessProbe {
  observer: SentinelObserver;
  dataNodes: readonly TopologyNode[];
  sentinelNodes: readonly TopologyNode[];
  /** Throws once the topology is stopped. */
  assertRunning(): void;
}

/**
 * Resolves with the master's announced address once every running sentinel
 * agrees on a running master and sees every other running data node following
 * it and every other running sentinel; a `NOT_READY` error after `timeoutMs`.
 */
export async function waitUntilHealthy(probe: ReadinessProbe, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let reason = 'not checked yet';
  while (Date.now() < deadline) {
    probe.assertRunning();
    const running = (n: TopologyNode) => n._state === 'running';
    const verdict = assessHealth(await probe.observer.views(probe.sentinelNodes.filter(running)), {
      runningDataNodes: probe.dataNodes.filter(running).map((n) => n.announced),
      runningSentinels: probe.sentinelNodes.filter(running).length,
    });
    if (verdict.healthy) return `${verdict.master.host}:${verdict.master.port}`;
    reason = verdict.reason;
    await delay(POLL_INTERVAL_MS);
  }
  throw new TopologyError('NOT_READY', `topology not healthy after ${timeoutMs} ms: ${reason}`);
}
