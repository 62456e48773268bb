import { describe, expect, it } from 'vitest';
import { SentinelConfigError } from '../src/errors.js';
import {
  DEFAULT_OPTIONS,
  redactOptions,
  resolveOptions,
  type SentinelClientOptions,
  secretsOf,
} from '../src/options.js';

const minimal: SentinelClientOptions = { masterName: 'mymaster', sentinels: [{ host: 'h' }] };

function configError(fn: () => unknown): SentinelConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SentinelConfigError);
    return error as SentinelConfigError;
  }
  throw new Error('expected a SentinelConfigError');
}

describe('resolveOptions: defaults', () => {
  it('fills every field and freezes the result', () => {
    const resolved = resolveOptions(minimal);
    expect(resolved).toEqual({
      masterName: 'mymaster',
      sentinels: [{ host: 'h', port: 26379 }],
      db: 0,
      username: undefined,
      password: undefined,
      sentinelUsername: undefined,
      sentinelPassword: undefined,
      tls: false,
      sentinelTls: false,
      natMap: undefined,
      connectTimeout: 2000,
      sentinelTimeout: 500,
      commandTimeout: 5000,
      keyPrefix: '',
      readFrom: 'replica',
      maxReplicationLag: undefined,
      failoverTimeout: 10_000,
      sentinelPollInterval: 1000,
      waitReplicas: 0,
      waitTimeout: 1000,
      random: Math.random,
      clock: Date.now,
      redisOptions: {},
    });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.sentinels)).toBe(true);
    expect(Object.isFrozen(resolved.sentinels[0])).toBe(true);
    expect(Object.isFrozen(resolved.redisOptions)).toBe(true);
  });

  it('exposes the defaults it applies', () => {
    const resolved = resolveOptions(minimal);
    for (const [key, value] of Object.entries(DEFAULT_OPTIONS)) {
      expect(resolved[key as keyof typeof resolved]).toBe(value);
    }
  });

  it('does not keep references to the caller’s objects', () => {
    const sentinels = [{ host: 'h', port: 1 }];
    const resolved = resolveOptions({ masterName: 'm', sentinels });
    sentinels[0]!.port = 2;
    expect(resolved.sentinels[0]!.port).toBe(1);
  });
});

describe('resolveOptions: location strings and overrides', () => {
  it('parses a location string', () => {
    const resolved = resolveOptions('rediss+sentinel://:pw@h1,h2:26380/m/3?readFrom=master');
    expect(resolved).toMatchObject({
      masterName: 'm',
      sentinels: [
        { host: 'h1', port: 26379 },
        { host: 'h2', port: 26380 },
      ],
      db: 3,
      password: 'pw',
      tls: {},
      sentinelTls: {},
      readFrom: 'master',
    });
  });

  it('lets overrides win, except where they are undefined', () => {
    const resolved = resolveOptions('redis+sentinel://:pw@h/m/1?readFrom=master', {
      db: 4,
      password: undefined,
      readFrom: 'replica-only',
      tls: { servername: 'redis.internal' },
      commandTimeout: 100,
    });
    expect(resolved).toMatchObject({
      db: 4,
      password: 'pw',
      readFrom: 'replica-only',
      tls: { servername: 'redis.internal' },
      commandTimeout: 100,
    });
  });

  it('merges redisOptions key by key', () => {
    const resolved = resolveOptions(
      { ...minimal, redisOptions: { connectionName: 'app', noDelay: true } },
      { redisOptions: { noDelay: false } },
    );
    expect(resolved.redisOptions).toEqual({ connectionName: 'app', noDelay: false });
  });

  it('replaces sentinels wholesale', () => {
    const resolved = resolveOptions('m/a,b', { sentinels: [{ host: 'c', port: 1 }] });
    expect(resolved.sentinels).toEqual([{ host: 'c', port: 1 }]);
  });

  it('reports location mistakes with the location option name', () => {
    expect(configError(() => resolveOptions('m/h:0')).option).toBe('location.port');
  });

  it('strips IPv6 brackets and accepts IPv6 hosts', () => {
    const resolved = resolveOptions({
      masterName: 'm',
      sentinels: [{ host: '[::1]' }, { host: 'fe80::2' }],
    });
    expect(resolved.sentinels.map((s) => s.host)).toEqual(['::1', 'fe80::2']);
  });

  it('treats empty credentials as none', () => {
    const resolved = resolveOptions({ ...minimal, password: '', username: '' });
    expect(resolved.password).toBeUndefined();
    expect(resolved.username).toBeUndefined();
  });

  it('turns tls: true into empty TLS options', () => {
    expect(resolveOptions({ ...minimal, tls: true, sentinelTls: false })).toMatchObject({
      tls: {},
      sentinelTls: false,
    });
  });

  it('drops an empty replication lag bound', () => {
    expect(resolveOptions({ ...minimal, maxReplicationLag: {} }).maxReplicationLag).toBeUndefined();
    expect(
      resolveOptions({ ...minimal, maxReplicationLag: { bytes: 0, seconds: 1.5 } })
        .maxReplicationLag,
    ).toEqual({ bytes: 0, seconds: 1.5 });
  });

  it('accepts NAT tables and functions', () => {
    const fn = (a: { host: string; port: number }) => a;
    expect(resolveOptions({ ...minimal, natMap: fn }).natMap).toBe(fn);
    const table = { '172.17.0.2:6379': { host: 'localhost', port: 6379 } };
    expect(resolveOptions({ ...minimal, natMap: table }).natMap).toEqual(table);
  });
});

// [what, options, option named in the error, text the message must contain]
const invalid: [string, unknown, string, string][] = [
  ['no options', 42, 'options', 'a location string or an options object'],
  ['missing masterName', { sentinels: [{ host: 'h' }] }, 'masterName', 'required'],
  ['empty masterName', { ...minimal, masterName: '' }, 'masterName', 'got ""'],
  ['masterName with spaces', { ...minimal, masterName: 'my master' }, 'masterName', 'letters'],
  ['missing sentinels', { masterName: 'm' }, 'sentinels', 'required'],
  ['sentinels not an array', { ...minimal, sentinels: 'h:1' }, 'sentinels', 'got "h:1"'],
  ['empty sentinels', { ...minimal, sentinels: [] }, 'sentinels', 'an empty array'],
  ['sentinel not an object', { ...minimal, sentinels: ['h'] }, 'sentinels[0]', 'got "h"'],
  ['empty host', { ...minimal, sentinels: [{ host: '' }] }, 'sentinels[0].host', 'got ""'],
  ['host with a port', { ...minimal, sentinels: [{ host: 'h:1' }] }, 'sentinels[0].host', 'h:1'],
  ['port 0', { ...minimal, sentinels: [{ host: 'h', port: 0 }] }, 'sentinels[0].port', '1-65535'],
  [
    'port as a string',
    { ...minimal, sentinels: [{ host: 'a' }, { host: 'h', port: '26379' }] },
    'sentinels[1].port',
    'got "26379"',
  ],
  [
    'duplicate sentinel',
    { ...minimal, sentinels: [{ host: 'h' }, { host: 'h', port: 26379 }] },
    'sentinels[1]',
    'repeats sentinels[0]',
  ],
  ['negative db', { ...minimal, db: -1 }, 'db', 'got -1'],
  ['fractional db', { ...minimal, db: 1.5 }, 'db', 'a non-negative integer'],
  ['zero timeout', { ...minimal, connectTimeout: 0 }, 'connectTimeout', 'positive integer'],
  ['fractional timeout', { ...minimal, commandTimeout: 1.5 }, 'commandTimeout', 'got 1.5'],
  ['huge timeout', { ...minimal, failoverTimeout: 2 ** 31 }, 'failoverTimeout', 'milliseconds'],
  ['NaN timeout', { ...minimal, sentinelTimeout: Number.NaN }, 'sentinelTimeout', 'got NaN'],
  ['poll interval', { ...minimal, sentinelPollInterval: -5 }, 'sentinelPollInterval', 'got -5'],
  ['readFrom unknown', { ...minimal, readFrom: 'nearest' }, 'readFrom', '"replica-only"'],
  ['readFrom slave', { ...minimal, readFrom: 'slave' }, 'readFrom', 'use "replica"'],
  ['keyPrefix', { ...minimal, keyPrefix: 1 }, 'keyPrefix', 'got 1'],
  ['tls', { ...minimal, tls: 'yes' }, 'tls', 'true, false or Node TLS options'],
  ['natMap', { ...minimal, natMap: [] }, 'natMap', 'or a function'],
  [
    'natMap entry',
    { ...minimal, natMap: { 'a:1': { host: 'b' } } },
    'natMap["a:1"].port',
    'got undefined',
  ],
  [
    'negative lag bytes',
    { ...minimal, maxReplicationLag: { bytes: -1 } },
    'maxReplicationLag.bytes',
    'got -1',
  ],
  [
    'negative lag seconds',
    { ...minimal, maxReplicationLag: { seconds: -0.5 } },
    'maxReplicationLag.seconds',
    'got -0.5',
  ],
  ['lag typo', { ...minimal, maxReplicationLag: { byte: 1 } }, 'maxReplicationLag.byte', '"bytes"'],
  ['random', { ...minimal, random: 0.5 }, 'random', 'a function'],
  ['clock', { ...minimal, clock: 1_700_000_000_000 }, 'clock', 'a function'],
  ['unknown option', { ...minimal, sentinal: [] }, 'sentinal', 'an unknown option'],
  ['case typo', { ...minimal, masterNAME: 'x' }, 'masterNAME', 'Did you mean "masterName"?'],
  ['ioredis name', { ...minimal, name: 'mymaster' }, 'name', 'Use "masterName"'],
  ['ioredis role', { ...minimal, role: 'slave' }, 'role', 'Use "readFrom"'],
  [
    'pass-through at top level',
    { ...minimal, enableAutoPipelining: true },
    'enableAutoPipelining',
    'inside "redisOptions"',
  ],
  [
    'managed at top level',
    { ...minimal, retryStrategy: () => 1 },
    'retryStrategy',
    'sentinelkit sets this itself',
  ],
  [
    'redisOptions.sentinels',
    { ...minimal, redisOptions: { sentinels: [] } },
    'redisOptions.sentinels',
    'Use the top-level "sentinels" option',
  ],
  [
    'redisOptions.host',
    { ...minimal, redisOptions: { host: 'x' } },
    'redisOptions.host',
    'through Sentinel',
  ],
  ['redisOptions.db', { ...minimal, redisOptions: { db: 1 } }, 'redisOptions.db', '"db"'],
  [
    'redisOptions.retryStrategy',
    { ...minimal, redisOptions: { retryStrategy: () => 1 } },
    'redisOptions.retryStrategy',
    'sentinelkit sets this itself',
  ],
  [
    'redisOptions unknown',
    { ...minimal, redisOptions: { bogus: 1 } },
    'redisOptions.bogus',
    'not a known',
  ],
  [
    'redisOptions wrong type',
    { ...minimal, redisOptions: { enableAutoPipelining: 'yes' } },
    'redisOptions.enableAutoPipelining',
    'got "yes"',
  ],
  [
    'redisOptions family',
    { ...minimal, redisOptions: { family: 5 } },
    'redisOptions.family',
    'got 5',
  ],
];

describe('resolveOptions: validation', () => {
  it.each(invalid)('%s', (_, options, option, fragment) => {
    const error = configError(() => resolveOptions(options as SentinelClientOptions));
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.option).toBe(option);
    expect(error.message).toContain(`Invalid option "${option}"`);
    expect(error.message).toContain(fragment);
  });

  it('validates overrides too, naming the merged option', () => {
    expect(configError(() => resolveOptions(minimal, { db: -1 })).option).toBe('db');
    expect(
      configError(() => resolveOptions(minimal, 'x' as unknown as SentinelClientOptions)).option,
    ).toBe('overrides');
  });

  it('never echoes a password given with the wrong type', () => {
    for (const key of ['password', 'sentinelPassword'] as const) {
      const error = configError(() =>
        resolveOptions({ ...minimal, [key]: 12345678 as unknown as string }),
      );
      expect(error.option).toBe(key);
      expect(error.message).toContain('got a number');
      expect(error.message).not.toContain('12345678');
    }
  });
});

describe('resolveOptions: the words every package uses', () => {
  // Every package describes a bad value and a misspelt option in the same words (core's
  // validate.ts, through @sentinelkit/core/internal): a long string cut to 60 characters, the
  // option one typo away suggested. The same literals are pinned in the core and each adapter.
  it('cuts a long string, and suggests the option one typo away', () => {
    const cut = configError(() =>
      resolveOptions({ ...minimal, commandTimeout: 'x'.repeat(100) as never }),
    );
    expect(cut.message).toContain(`got "${'x'.repeat(57)}..."`);
    expect(cut.message).not.toContain('x'.repeat(58));
    const typo = configError(() => resolveOptions({ ...minimal, readFromm: 'master' } as never));
    expect(typo.message).toContain('Did you mean "readFrom"?');
  });
});

describe('redactOptions', () => {
  it('masks passwords and TLS secrets, keeping everything else', () => {
    const resolved = resolveOptions(minimal, {
      username: 'app',
      password: 'hunter2',
      sentinelPassword: 'other-secret',
      tls: { key: 'PRIVATE KEY', passphrase: 'pp', servername: 'x' },
      sentinelTls: true,
    });
    const redacted = redactOptions(resolved);
    expect(redacted).toMatchObject({
      username: 'app',
      password: '***',
      sentinelPassword: '***',
      tls: { key: '***', passphrase: '***', servername: 'x' },
      sentinelTls: {},
    });
    const json = JSON.stringify(redacted);
    for (const secret of ['hunter2', 'other-secret', 'PRIVATE KEY', '"pp"']) {
      expect(json).not.toContain(secret);
    }
    expect(resolved.password).toBe('hunter2');
    expect(Object.isFrozen(redacted)).toBe(true);
  });

  it('one list: every string secretsOf scrubs from messages is what redactOptions masks, and back', () => {
    const resolved = resolveOptions(minimal, {
      password: 'hunter2',
      sentinelPassword: 'other-secret',
      tls: { passphrase: 'pp', servername: 'x' },
      sentinelTls: { passphrase: 'sentinel-pp' },
    });
    const masked: string[] = [];
    const collect = (before: unknown, after: unknown) => {
      if (typeof before === 'string' && after === '***') masked.push(before);
      if (typeof before !== 'object' || before === null || typeof after !== 'object') return;
      for (const [key, value] of Object.entries(before)) {
        collect(value, (after as Record<string, unknown>)[key]);
      }
    };
    collect(resolved, redactOptions(resolved));
    expect(masked.sort()).toEqual(['hunter2', 'other-secret', 'pp', 'sentinel-pp']);
    expect(secretsOf(resolved).filter(Boolean).sort()).toEqual(masked);
  });

  it('leaves absent passwords absent', () => {
    const redacted = redactOptions(resolveOptions(minimal));
    expect(redacted.password).toBeUndefined();
    expect(redacted.tls).toBe(false);
  });
});
