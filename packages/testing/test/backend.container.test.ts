import { existsSync } from 'node:fs';
import { getContainerRuntimeClient } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINER_LABEL, containerEngineAvailable } from '../src/backends/container.js';
import { type SentinelTopology, startSentinelTopology } from '../src/index.js';
import { isPortFree } from '../src/ports.js';
import { onNode, roleOf } from './helpers.js';

// This file runs in the `containers` vitest project (`pnpm test:containers`), which
// CI runs after .ci/setup-containers.sh. Without an engine it fails, saying how to get one.
const SETUP_HINT =
  'no container engine answers: run `eval "$(bash .ci/setup-containers.sh)"` (podman + a local ' +
  'redis image, and DOCKER_HOST) or start Docker';

/** This topology's containers as the engine lists them, with their states. */
async function containersOf(workDir: string): Promise<Map<string, string>> {
  const client = await getContainerRuntimeClient();
  const listed = await client.container.dockerode.listContainers({
    all: true,
    filters: { label: [`${CONTAINER_LABEL}=${workDir}`] },
  });
  return new Map(listed.map((c) => [c.Labels[`${CONTAINER_LABEL}.node`] ?? c.Id, c.State]));
}

describe('container backend: start, kill, restart, freeze, stop', () => {
  let topology: SentinelTopology;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    if (!(await containerEngineAvailable())) throw new Error(SETUP_HINT);
    const started = Date.now();
    topology = await startSentinelTopology({ backend: 'container' });
    timings.start = Date.now() - started;
  });

  afterAll(async () => {
    await topology?.stop();
    console.log(`container backend timings (ms): ${JSON.stringify(timings)}`);
  });

  it('starts 1 master, 2 replicas and 3 sentinels, each in its own container', async () => {
    const states = await containersOf(topology.workDir!);
    expect([...states.keys()].sort()).toEqual(
      ['data-0', 'data-1', 'data-2', 'sentinel-0', 'sentinel-1', 'sentinel-2'].sort(),
    );
    expect([...states.values()]).toEqual(Array(6).fill('running'));
    const master = await topology.currentMaster();
    expect(master.name).toBe('data-0');
    expect(master.host).toBe('127.0.0.1');
    expect(await roleOf(topology, master)).toBe('master');
    for (const replica of await topology.replicas()) {
      const role = (await onNode(topology, replica, 'ROLE')) as unknown[];
      expect(role.slice(0, 3)).toEqual(['slave', '127.0.0.1', master.port]);
    }
    // Host networking: Sentinel hands out addresses this process reaches as they are.
    expect(topology.connectionOptions.natMap).toBeUndefined();
  });

  it('kill master (container SIGKILL): Sentinel promotes a replica', async () => {
    const killedAt = Date.now();
    const old = await topology.killMaster();
    expect(old.state).toBe('killed');
    expect((await containersOf(topology.workDir!)).get(old.name)).toBe('exited');
    const switched = await topology.waitForSwitch();
    timings.killToSwitch = Date.now() - killedAt;
    expect(switched.from).toEqual({ host: '127.0.0.1', port: old.port });
    expect(switched.master).not.toBe(old);
    expect(await roleOf(topology, switched.master)).toBe('master');
  });

  it('restart: the old master starts again on the config it last wrote and rejoins', async () => {
    const old = topology.dataNodes.find((n) => n.state === 'killed')!;
    const restartedAt = Date.now();
    await topology.restart(old);
    expect((await containersOf(topology.workDir!)).get(old.name)).toBe('running');
    const master = await topology.waitForHealthy({ timeoutMs: 45_000 });
    timings.restartToHealthy = Date.now() - restartedAt;
    expect(master).not.toBe(old);
    expect(await roleOf(topology, old)).toBe('slave');
  });

  it('freeze master (SIGSTOP in its container): Sentinel promotes a replica; thawed, it rejoins', async () => {
    const frozenAt = Date.now();
    const old = await topology.freezeMaster();
    expect(old.state).toBe('frozen');
    await expect(onNode(topology, old, 'PING')).rejects.toThrow(/timed out/i);
    const switched = await topology.waitForSwitch();
    timings.freezeToSwitch = Date.now() - frozenAt;
    expect(switched.from.port).toBe(old.port);
    expect(switched.master).not.toBe(old);
    await topology.thaw();
    expect(await onNode(topology, old, 'PING')).toBe('PONG');
    await topology.waitForHealthy({ timeoutMs: 45_000 });
    expect(await roleOf(topology, old)).toBe('slave');
  });

  it('stop(): no container, no port and no work directory left, even with a frozen node', async () => {
    const nodes = [...topology.dataNodes, ...topology.sentinelNodes];
    const dir = topology.workDir!;
    await topology.freezeReplica(0);
    const stoppedAt = Date.now();
    await topology.stop();
    timings.stop = Date.now() - stoppedAt;
    expect(await containersOf(dir)).toEqual(new Map());
    for (const node of nodes) expect(await isPortFree(node.port)).toBe(true);
    expect(existsSync(dir)).toBe(false);
    await expect(topology.killMaster()).rejects.toMatchObject({ code: 'STOPPED' });
  });
});
