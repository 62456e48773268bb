import { describe, expect, it } from 'vitest';
import { parseInvocation, tlsOverrides, UsageError } from '../src/args.js';

const files: Record<string, string> = { '/ca.pem': 'CA', '/cert.pem': 'CERT', '/key.pem': 'KEY' };
const readFile = (path: string) => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
  return Buffer.from(text);
};
const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseInvocation(argv, env, readFile);

describe('parseInvocation', () => {
  it('help and version', () => {
    expect(parse([])).toEqual({ command: 'help' });
    expect(parse(['help'])).toEqual({ command: 'help' });
    expect(parse(['status', '--help'])).toEqual({ command: 'help' });
    expect(parse(['--version'])).toEqual({ command: 'version' });
  });

  it('reads the location from SENTINELKIT_LOCATION when no argument gives it', () => {
    const run = parse(['status'], { SENTINELKIT_LOCATION: 'mymaster/127.0.0.1:26379' });
    expect(run).toMatchObject({ command: 'status', location: 'mymaster/127.0.0.1:26379' });
    expect(() => parse(['status'])).toThrow(/SENTINELKIT_LOCATION/);
  });

  it('reads --tls-ca/--tls-cert/--tls-key files, flags before environment', () => {
    const run = parse(['status', 'm/h:1', '--tls-ca', '/ca.pem', '--tls-cert', '/cert.pem'], {
      SENTINELKIT_TLS_KEY: '/key.pem',
      SENTINELKIT_TLS_CA: '/other.pem',
    });
    if (run.command !== 'status') throw new Error('expected status');
    expect(run.tls?.ca?.toString()).toBe('CA');
    expect(run.tls?.cert?.toString()).toBe('CERT');
    expect(run.tls?.key?.toString()).toBe('KEY');
  });

  it('--interval is how often watch polls a cluster, in ms; unset by default', () => {
    expect(parse(['watch', 'redis+cluster://h:1', '--interval', '250'])).toMatchObject({
      intervalMs: 250,
    });
    expect(parse(['watch', 'redis+cluster://h:1'])).toMatchObject({ intervalMs: undefined });
  });

  it('--tls / SENTINELKIT_TLS turn TLS on without files; nothing given means no TLS', () => {
    expect(parse(['status', 'm/h:1', '--tls'])).toMatchObject({ tls: {} });
    expect(parse(['status', 'm/h:1'], { SENTINELKIT_TLS: '1' })).toMatchObject({ tls: {} });
    expect(parse(['status', 'm/h:1'])).toMatchObject({ tls: undefined });
  });

  it.each<[string[], NodeJS.ProcessEnv, RegExp]>([
    [['status', 'm/h:1', '--tls-ca', '/missing.pem'], {}, /--tls-ca: cannot read \/missing.pem/],
    [
      ['status', 'm/h:1'],
      { SENTINELKIT_TLS_CA: '/missing.pem' },
      /SENTINELKIT_TLS_CA: cannot read/,
    ],
    [['status', 'm/h:1', '--tls-cert', '/cert.pem'], {}, /needs both --tls-cert and --tls-key/],
    [['status', 'm/h:1', '--timeout', 'soon'], {}, /--timeout expects milliseconds/],
    [['watch', 'm/h:1', '--interval', '0'], {}, /--interval expects milliseconds/],
    [['status', 'm/h:1', '--password', 'x'], {}, /Unknown option '--password'/],
    [['stat', 'm/h:1'], {}, /unknown command "stat"/],
  ])('%j is a usage error naming what to change', (argv, env, message) => {
    expect(() => parse(argv, env)).toThrow(UsageError);
    expect(() => parse(argv, env)).toThrow(message);
  });
});

describe('tlsOverrides', () => {
  const material = { ca: Buffer.from('CA') };
  it('goes to both sides when the location turns TLS on for neither', () => {
    expect(tlsOverrides(material, { tls: false, sentinelTls: false })).toEqual({
      tls: material,
      sentinelTls: material,
    });
  });
  it('goes only to the sides the location turns TLS on for', () => {
    expect(tlsOverrides(material, { tls: true, sentinelTls: false })).toEqual({ tls: material });
    expect(tlsOverrides(material, { tls: false, sentinelTls: true })).toEqual({
      sentinelTls: material,
    });
  });
  it('is empty without material', () => {
    expect(tlsOverrides(undefined, { tls: true, sentinelTls: true })).toEqual({});
  });
});
