import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerEngineAvailable } from '../src/backends/container.js';
import { type SentinelTopology, startSentinelTopology } from '../src/index.js';
import { onNode, roleOf } from './helpers.js';

// Runs in the `containers` vitest project (`pnpm test:containers`, after .ci/setup-containers.sh).
const SETUP_HINT =
  'no container engine answers: run `eval "$(bash .ci/setup-containers.sh)"` (podman + a local ' +
  'redis image, and DOCKER_HOST) or start Docker';

describe('container backend over TLS: TLS-only nodes with mutual TLS', () => {
  let topology: SentinelTopology;

  beforeAll(async () => {
    if (!(await containerEngineAvailable())) throw new Error(SETUP_HINT);
    topology = await startSentinelTopology({
      backend: 'container',
      tls: { clientCertificates: 'required' },
    });
  });

  afterAll(async () => {
    await topology?.stop();
  });

  it('starts healthy: replicas follow the master over TLS, sentinels see each other', async () => {
    const master = await topology.currentMaster();
    expect(await roleOf(topology, master)).toBe('master');
    const replicas = await topology.replicas();
    expect(replicas).toHaveLength(2);
    for (const replica of replicas) {
      const role = (await onNode(topology, replica, 'ROLE')) as unknown[];
      expect(role.slice(0, 4)).toEqual(['slave', '127.0.0.1', master.port, 'connected']);
    }
    const tls = topology.connectionOptions.tls;
    expect(tls?.ca).toMatch(/BEGIN CERTIFICATE/);
    expect(topology.connectionOptions.sentinelTls).toEqual(tls);
  });

  it('kill master: Sentinel fails over over TLS', async () => {
    const old = await topology.killMaster();
    const switched = await topology.waitForSwitch();
    expect(switched.master).not.toBe(old);
    expect(await roleOf(topology, switched.master)).toBe('master');
  });
});
