import { type SentinelTopology, startSentinelTopology } from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../src/options.js';
import { SentinelWatch } from '../src/sentinel-watch.js';

describe('watching the sentinels', () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    topology = await startSentinelTopology({ replicas: 1 });
  });

  afterAll(async () => {
    await topology?.stop();
  });

  it('one sentinel given by hostname and learnt by IP is watched once', async () => {
    // Configured as localhost:<port>; its peers list it (and each other) as 127.0.0.1:<port>.
    const byName = topology.sentinels.map((s) => ({ host: 'localhost', port: s.port }));
    const options = resolveOptions({ masterName: topology.masterName, sentinels: byName });
    const watch = new SentinelWatch(
      options,
      () => {},
      () => {},
    );
    try {
      watch.watch([...byName, ...topology.sentinels]);
      await watch.settled();
      expect(watch.live).toBe(topology.sentinels.length);
    } finally {
      await watch.close();
    }
  });
});
