import { describe, expect, it } from 'vitest';
import type { BackendNode } from '../src/backends/backend.js';
import { type EngineFacts, hostNetworkingAvailable } from '../src/backends/container.js';
import { backendName, pickBackend } from '../src/backends/select.js';
import { dataNodeConfig, sentinelConfig } from '../src/config.js';
import { SentinelTopology, TopologyError, TopologyNode } from '../src/index.js';

const probes = (redis: boolean, engine: boolean) => ({
  redisServerFound: () => redis,
  containerEngineAnswers: async () => engine,
});

describe('choosing a backend', () => {
  it("'auto' prefers redis-server, then a container engine", async () => {
    expect(await pickBackend('auto', probes(true, true))).toBe('process');
    expect(await pickBackend('auto', probes(false, true))).toBe('container');
    expect(await pickBackend('container', probes(true, false))).toBe('container');
    expect(await pickBackend('process', probes(false, true))).toBe('process');
  });

  it("'auto' with neither fails with one line saying how to get either", async () => {
    const error = await pickBackend('auto', probes(false, false)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopologyError);
    expect(error).toMatchObject({ code: 'NO_BACKEND' });
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/apt-get install -y redis-server/);
    expect(message).toMatch(/container engine/);
    expect(message).toMatch(/testcontainers/);
  });

  it('takes the option, else $SENTINELKIT_BACKEND, else auto', () => {
    expect(backendName(undefined, {})).toBe('auto');
    expect(backendName(undefined, { SENTINELKIT_BACKEND: 'container' })).toBe('container');
    expect(backendName('process', { SENTINELKIT_BACKEND: 'container' })).toBe('process');
    expect(() => backendName(undefined, { SENTINELKIT_BACKEND: 'docker' })).toThrow(
      /SENTINELKIT_BACKEND.*"docker"/,
    );
    expect(() => backendName('vm' as 'auto', {})).toThrow(/option "backend"/);
  });
});

describe('host networking', () => {
  const linuxRoot: EngineFacts = {
    platform: 'linux',
    localSocket: true,
    osType: 'linux',
    operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
    securityOptions: ['name=seccomp,profile=default'],
  };

  it('is used with a rootful engine on this Linux host', () => {
    expect(hostNetworkingAvailable(linuxRoot)).toBe(true);
  });

  it.each([
    ['Docker Desktop', { operatingSystem: 'Docker Desktop' }],
    ['macOS', { platform: 'darwin' }],
    ['a remote engine', { localSocket: false }],
    ['rootless Docker', { securityOptions: ['name=rootless'] }],
  ])('is not used with %s', (_, facts) => {
    expect(hostNetworkingAvailable({ ...linuxRoot, ...facts })).toBe(false);
  });
});

describe('configs for nodes behind NAT (hostnames)', () => {
  it('data nodes listen everywhere and announce their name', () => {
    const text = dataNodeConfig({
      host: 'data-1',
      hostnames: true,
      port: 7001,
      auth: {},
      replicaOf: { host: 'data-0', port: 7000 },
    });
    expect(text).toContain('bind 0.0.0.0\n');
    expect(text).toContain('replica-announce-ip data-1\n');
    expect(text).toContain('replicaof data-0 7000\n');
  });

  it('sentinels resolve and announce hostnames', () => {
    const lines = sentinelConfig({
      host: 'sentinel-0',
      hostnames: true,
      port: 26379,
      masterName: 'mymaster',
      master: { host: 'data-0', port: 7000 },
      quorum: 2,
      downAfterMs: 1000,
      failoverTimeoutMs: 3000,
      dataAuth: {},
    })
      .trim()
      .split('\n');
    expect(lines).toContain('bind 0.0.0.0');
    expect(lines).toContain('sentinel resolve-hostnames yes');
    expect(lines).toContain('sentinel announce-hostnames yes');
    expect(lines).toContain('sentinel announce-ip sentinel-0');
    expect(lines).toContain('sentinel monitor mymaster data-0 7000 2');
  });

  it('loopback configs are unchanged: no hostnames, bound to the address', () => {
    const text = sentinelConfig({
      host: '127.0.0.1',
      port: 26379,
      masterName: 'mymaster',
      master: { host: '127.0.0.1', port: 7000 },
      quorum: 2,
      downAfterMs: 1000,
      failoverTimeoutMs: 3000,
      dataAuth: {},
    });
    expect(text).toContain('bind 127.0.0.1\n');
    expect(text).toContain('sentinel resolve-hostnames no\n');
    expect(text).not.toContain('announce-hostnames');
  });
});

describe('natMap on the topology handle', () => {
  const idle: BackendNode = {
    pid: undefined,
    start: async () => {},
    kill: async () => {},
    freeze: async () => {},
    thaw: async () => {},
    logTail: async () => '',
  };
  const backend = {
    name: 'fake',
    workDir: undefined,
    createNode: () => idle,
    dispose: async () => {},
  };
  const settings = {
    masterName: 'mymaster',
    readyTimeoutMs: 1000,
    dataAuth: {},
    sentinelPassword: undefined,
  };

  it('maps each announced name to the address this process reaches', () => {
    const topology = new SentinelTopology(
      backend,
      settings,
      [new TopologyNode('data', 0, '127.0.0.1', 7000, idle, { host: 'data-0', port: 7000 })],
      [
        new TopologyNode('sentinel', 0, '127.0.0.1', 7001, idle, {
          host: 'sentinel-0',
          port: 7001,
        }),
      ],
    );
    expect(topology.natMap).toEqual({
      'data-0:7000': { host: '127.0.0.1', port: 7000 },
      'sentinel-0:7001': { host: '127.0.0.1', port: 7001 },
    });
    expect(topology.connectionOptions.natMap).toEqual(topology.natMap);
  });

  it('is absent when nodes announce the addresses they are reached on', () => {
    const topology = new SentinelTopology(
      backend,
      settings,
      [new TopologyNode('data', 0, '127.0.0.1', 7000, idle)],
      [new TopologyNode('sentinel', 0, '127.0.0.1', 7001, idle)],
    );
    expect(topology.natMap).toBeUndefined();
    expect(topology.connectionOptions).not.toHaveProperty('natMap');
  });
});
