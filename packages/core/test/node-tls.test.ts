import { describe, expect, it } from 'vitest';
import { dataNodeOptions } from '../src/connections.js';
import { isSentinelKitError, resolveOptions, tlsForNode } from '../src/index.js';

describe('tlsForNode: TLS options per data node', () => {
  const ca = 'CA';

  it('a function gets the announced address and gives that node its own options', () => {
    const tls = ({ host, port }: { host: string; port: number }) => ({
      ca,
      servername: `node-${port}.example`,
      ...(host === '10.0.0.1' && { rejectUnauthorized: true }),
    });
    expect(tlsForNode(tls, { host: '10.0.0.1', port: 7000 })).toEqual({
      ca,
      servername: 'node-7000.example',
      rejectUnauthorized: true,
    });
    expect(tlsForNode(tls, { host: '10.0.0.2', port: 7001 })).toEqual({
      ca,
      servername: 'node-7001.example',
    });
  });

  it('an announced hostname is the servername unless one is set; an IP adds none', () => {
    expect(tlsForNode({ ca }, { host: 'redis-1.internal', port: 6379 })).toEqual({
      ca,
      servername: 'redis-1.internal',
    });
    expect(tlsForNode({ ca, servername: 'set' }, { host: 'redis-1.internal', port: 1 })).toEqual({
      ca,
      servername: 'set',
    });
    expect(tlsForNode({ ca }, { host: '10.0.0.1', port: 6379 })).toEqual({ ca });
    expect(tlsForNode({ ca }, { host: '::1', port: 6379 })).toEqual({ ca });
    expect(tlsForNode(false, { host: 'redis-1.internal', port: 6379 })).toBe(false);
  });

  it('a function that returns no object is a typed INVALID_OPTION error naming tls', () => {
    const error = (() => {
      try {
        tlsForNode((() => undefined) as never, { host: 'h', port: 1 });
      } catch (e) {
        return e;
      }
    })();
    expect(isSentinelKitError(error, 'INVALID_OPTION')).toBe(true);
    expect((error as Error).message).toMatch(/"tls"/);
  });

  it('each data-node connection gets the options of the address Sentinel announced, not one shared object', () => {
    const options = resolveOptions({
      sentinels: [{ host: '127.0.0.1', port: 26379 }],
      masterName: 'mymaster',
      tls: ({ port }) => ({ ca, servername: `n${port}.example` }),
      natMap: { 'redis-a:7000': { host: '127.0.0.1', port: 17000 } },
    });
    const a = dataNodeOptions(
      options,
      { host: '127.0.0.1', port: 17000 },
      { host: 'redis-a', port: 7000 },
    );
    const b = dataNodeOptions(options, { host: '127.0.0.1', port: 7001 });
    expect(a.tls).toEqual({ ca, servername: 'n7000.example' });
    expect(b.tls).toEqual({ ca, servername: 'n7001.example' });
  });
});
