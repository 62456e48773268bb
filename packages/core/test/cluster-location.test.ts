import { describe, expect, it } from 'vitest';
import {
  type ClusterLocationOptions,
  isClusterLocation,
  parseClusterLocation,
} from '../src/cluster/location.js';
import { resolveClusterOptions } from '../src/cluster/options.js';
import { createClient, isClusterSource } from '../src/create-client.js';
import { SentinelConfigError } from '../src/errors.js';
import { parseLocation, redactLocation } from '../src/location.js';

const valid: [string, ClusterLocationOptions][] = [
  ['redis+cluster://10.0.0.1:7000', { nodes: [{ host: '10.0.0.1', port: 7000 }] }],
  [
    'redis+cluster://a:7000,b,[::1]:7002/',
    {
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 6379 },
        { host: '::1', port: 7002 },
      ],
    },
  ],
  [
    'rediss+cluster://app:s%40cret@h:7000?readFrom=master',
    {
      nodes: [{ host: 'h', port: 7000 }],
      username: 'app',
      password: 's@cret',
      tls: true,
      readFrom: 'master',
    },
  ],
  [
    'REDIS+CLUSTER://:pw@h:1?tls=true&readFrom=replica-only',
    { nodes: [{ host: 'h', port: 1 }], password: 'pw', tls: true, readFrom: 'replica-only' },
  ],
  ['rediss+cluster://h:7000?tls=false', { nodes: [{ host: 'h', port: 7000 }], tls: false }],
];

const invalid: [string, string, string][] = [
  ['redis+cluster://', 'location.nodes', 'at least one cluster node'],
  ['redis+cluster://h:7000,,h2', 'location.nodes', 'both sides'],
  ['redis+cluster://h:70000', 'location.port', '1-65535'],
  ['redis+cluster://h:7000/mymaster', 'location', 'nothing after the nodes'],
  ['redis+cluster://h:7000?readFrom=slave', 'location.readFrom', 'replica, master'],
  ['redis+cluster://h:7000?tls=yes', 'location.tls', 'true or false'],
  ['redis+cluster://h:7000?readfrom=master', 'location.query', 'Did you mean "readFrom"'],
  ['redis+cluster://h:7000?tls=true&tls=false', 'location.query', 'at most once'],
  ['redis+cluster://h 1:7000', 'location', 'no whitespace'],
  ['redis+cluster://h:7000#x', 'location', 'no "#"'],
  ['redis+sentinel://h/m', 'location.scheme', 'redis+cluster://'],
  ['redis+cluster://h_%:1', 'location.host', 'host name'],
];

describe('parseClusterLocation', () => {
  it.each(valid)('%s', (location, expected) => {
    expect(parseClusterLocation(location)).toEqual(expected);
  });

  it.each(invalid)('%j → %s', (location, option, fragment) => {
    let error: unknown;
    try {
      parseClusterLocation(location);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SentinelConfigError);
    expect((error as SentinelConfigError).option).toBe(option);
    expect((error as Error).message).toContain(fragment);
  });

  it('never echoes a password, even one that breaks the grammar', () => {
    const leaks = [
      'redis+cluster://app:Sup3rSecret@h:notaport',
      'redis+cluster://app:Sup3rSecret/x@h:7000',
      'redis+cluster://h:7000?password=Sup3rSecret',
      'redis+cluster://app:Sup3rSecret@h:7000/db',
      'redis+cluster://app:Sup3rSecret%zz@h:7000',
    ];
    for (const location of leaks) {
      expect(() => parseClusterLocation(location)).toThrow(SentinelConfigError);
      try {
        parseClusterLocation(location);
      } catch (error) {
        expect((error as Error).message).not.toContain('Sup3rSecret');
      }
      expect(redactLocation(location)).not.toContain('Sup3rSecret');
    }
  });

  it('rejects a location over 8 KB naming the option, and parses in linear time', () => {
    expect(() => parseClusterLocation(`redis+cluster://${'a'.repeat(9000)}`)).toThrow(
      /at most 8192/,
    );
    const hosts = Array.from({ length: 700 }, (_, i) => `h${i}:${7000 + i}`).join(',');
    const started = performance.now();
    for (let i = 0; i < 50; i++) parseClusterLocation(`redis+cluster://${hosts}`);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('tells a Sentinel location apart, and the Sentinel parser points a cluster one here', () => {
    expect(isClusterLocation('rediss+cluster://h:1')).toBe(true);
    expect(isClusterLocation('redis+sentinel://h/m')).toBe(false);
    expect(isClusterLocation(42)).toBe(false);
    expect(() => parseLocation('redis+cluster://h:7000')).toThrow(/createClient\(\)/);
  });
});

describe('resolveClusterOptions', () => {
  it('applies defaults over a location and overrides', () => {
    const o = resolveClusterOptions('redis+cluster://h:7000,h:7000,h:7001', {
      failoverTimeout: 3000,
    });
    expect(o.nodes).toEqual([
      { host: 'h', port: 7000 },
      { host: 'h', port: 7001 },
    ]);
    expect(o).toMatchObject({
      readFrom: 'replica',
      failoverTimeout: 3000,
      healthPollInterval: 1000,
      tls: false,
    });
  });

  it('checks the NAT map as the Sentinel options do', () => {
    const natMap = { '10.0.0.1:7000': { host: '127.0.0.1', port: 17000 } };
    expect(resolveClusterOptions({ nodes: [{ host: 'h' }], natMap }).natMap).toEqual(natMap);
    expect(() =>
      resolveClusterOptions({ nodes: [{ host: 'h' }], natMap: { x: { host: 'h', port: 0 } } }),
    ).toThrow(/natMap\["x"\]\.port/);
  });

  it('names the option to change, never echoing a secret', () => {
    const cases: [unknown, string][] = [
      [{}, 'nodes'],
      [{ nodes: [] }, 'nodes'],
      [{ nodes: [{ host: 'h', port: 'x' }] }, 'nodes[0].port'],
      [{ nodes: [{ host: 'h' }], sentinels: [] }, 'sentinels'],
      [{ nodes: [{ host: 'h' }], readFrom: 'slave' }, 'readFrom'],
      [{ nodes: [{ host: 'h' }], healthPollInterval: 0 }, 'healthPollInterval'],
      [{ nodes: [{ host: 'h' }], password: 12345678 }, 'password'],
    ];
    for (const [options, option] of cases) {
      try {
        resolveClusterOptions(options as never);
        expect.unreachable(`${option} accepted`);
      } catch (error) {
        expect(error).toBeInstanceOf(SentinelConfigError);
        expect((error as SentinelConfigError).option).toBe(option);
        expect((error as Error).message).not.toContain('12345678');
      }
    }
  });
});

describe('createClient', () => {
  it('gives a cluster client for a cluster location or nodes, a Sentinel client otherwise', async () => {
    const cluster = createClient('redis+cluster://127.0.0.1:7000');
    const fromOptions = createClient({ nodes: [{ host: '127.0.0.1', port: 7000 }] });
    const sentinel = createClient('mymaster/127.0.0.1:26379');
    expect(cluster.constructor.name).toBe('ClusterClient');
    expect(fromOptions.constructor.name).toBe('ClusterClient');
    expect(sentinel.constructor.name).toBe('SentinelClient');
    expect(isClusterSource({ masterName: 'm', sentinels: [] })).toBe(false);
    // No I/O in constructors: closing an idle client is immediate.
    await Promise.all([cluster.close(), fromOptions.close(), sentinel.close()]);
  });
});
