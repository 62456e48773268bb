// The options the CLI builds for a cluster location: the TLS material of --tls* and
// SENTINELKIT_TLS* reaches every node, as it reaches the data nodes of a Sentinel location.
// No TLS server is needed: the built options are what status and watch connect with.
import { describe, expect, it } from 'vitest';
import { type Invocation, parseInvocation } from '../src/args.js';
import { clusterOptions } from '../src/cli.js';

const readFile = (path: string) => Buffer.from(`PEM of ${path}`);

function options(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const invocation = parseInvocation(argv, env, readFile);
  if (!('location' in invocation)) throw new Error('expected a command with a location');
  return clusterOptions(invocation as Extract<Invocation, { location: string }>);
}

describe('the options of status and watch on a cluster', () => {
  it('--tls-ca, --tls-cert, --tls-key: TLS to every node with that material', () => {
    const built = options([
      'status',
      'redis+cluster://127.0.0.1:7000,127.0.0.1:7001',
      '--tls-ca',
      'ca.pem',
      '--tls-cert',
      'client.pem',
      '--tls-key',
      'client.key',
    ]);
    expect(built.tls).toEqual({
      ca: readFile('ca.pem'),
      cert: readFile('client.pem'),
      key: readFile('client.key'),
    });
    expect(built.nodes).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '127.0.0.1', port: 7001 },
    ]);
  });

  it('--tls alone: TLS with the system CAs; none: no TLS', () => {
    expect(options(['watch', 'redis+cluster://127.0.0.1:7000', '--tls']).tls).toEqual({});
    expect(options(['status', 'redis+cluster://127.0.0.1:7000']).tls).toBe(false);
  });

  it('rediss+cluster:// takes the material of the environment (SENTINELKIT_TLS_*)', () => {
    const built = options(['status', 'rediss+cluster://127.0.0.1:7000'], {
      SENTINELKIT_TLS_CA: 'ca.pem',
      SENTINELKIT_TLS_CERT: 'client.pem',
      SENTINELKIT_TLS_KEY: 'client.key',
      SENTINELKIT_TLS_KEY_PASSPHRASE: 'k3y-secret',
    });
    expect(built.tls).toEqual({
      ca: readFile('ca.pem'),
      cert: readFile('client.pem'),
      key: readFile('client.key'),
      passphrase: 'k3y-secret',
    });
    expect(options(['status', 'rediss+cluster://127.0.0.1:7000']).tls).toEqual({});
  });

  it('credentials from the environment and --timeout, as before', () => {
    const built = options(['status', 'redis+cluster://127.0.0.1:7000', '--timeout', '700'], {
      SENTINELKIT_USERNAME: 'app',
      SENTINELKIT_PASSWORD: 's3cret',
    });
    expect(built).toMatchObject({
      username: 'app',
      password: 's3cret',
      connectTimeout: 700,
      commandTimeout: 700,
    });
  });
});
