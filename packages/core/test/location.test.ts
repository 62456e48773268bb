import { describe, expect, it } from 'vitest';
import { SentinelConfigError } from '../src/errors.js';
import {
  formatLocation,
  type LocationOptions,
  parseLocation,
  redactLocation,
} from '../src/location.js';

const S = 26379;

const valid: [string, LocationOptions][] = [
  [
    'mymaster/10.0.0.1',
    { masterName: 'mymaster', sentinels: [{ host: '10.0.0.1', port: S }], db: 0 },
  ],
  [
    'mymaster/a:26380,b,c.example.com:1/3',
    {
      masterName: 'mymaster',
      sentinels: [
        { host: 'a', port: 26380 },
        { host: 'b', port: S },
        { host: 'c.example.com', port: 1 },
      ],
      db: 3,
    },
  ],
  [
    'my_master-1.x/[::1],[fe80::1]:65535,redis_sentinel_1/0',
    {
      masterName: 'my_master-1.x',
      sentinels: [
        { host: '::1', port: S },
        { host: 'fe80::1', port: 65535 },
        { host: 'redis_sentinel_1', port: S },
      ],
      db: 0,
    },
  ],
  [
    'redis+sentinel://h1:26379,h2:26380/mymaster',
    {
      masterName: 'mymaster',
      sentinels: [
        { host: 'h1', port: S },
        { host: 'h2', port: 26380 },
      ],
      db: 0,
    },
  ],
  [
    'redis+sentinel://app:hunter2@h/mymaster/2',
    {
      masterName: 'mymaster',
      sentinels: [{ host: 'h', port: S }],
      db: 2,
      username: 'app',
      password: 'hunter2',
    },
  ],
  [
    'redis+sentinel://:hunter2@h/mymaster',
    { masterName: 'mymaster', sentinels: [{ host: 'h', port: S }], db: 0, password: 'hunter2' },
  ],
  [
    'redis+sentinel://app@h/mymaster',
    { masterName: 'mymaster', sentinels: [{ host: 'h', port: S }], db: 0, username: 'app' },
  ],
  [
    'redis+sentinel://us%3Aer:p%40ss%2Fw%3Ard%25+@[::1]:26380/m',
    {
      masterName: 'm',
      sentinels: [{ host: '::1', port: 26380 }],
      db: 0,
      username: 'us:er',
      password: 'p@ss/w:rd%+',
    },
  ],
  [
    'rediss+sentinel://h/m',
    {
      masterName: 'm',
      sentinels: [{ host: 'h', port: S }],
      db: 0,
      tls: true,
      sentinelTls: true,
    },
  ],
  [
    'rediss+sentinel://h/m?sentinelTls=false',
    {
      masterName: 'm',
      sentinels: [{ host: 'h', port: S }],
      db: 0,
      tls: true,
      sentinelTls: false,
    },
  ],
  [
    'REDIS+SENTINEL://h/m?tls=true',
    { masterName: 'm', sentinels: [{ host: 'h', port: S }], db: 0, tls: true },
  ],
  [
    'redis+sentinel://h/m?tls=false&sentinelTls=true',
    { masterName: 'm', sentinels: [{ host: 'h', port: S }], db: 0, tls: false, sentinelTls: true },
  ],
  [
    'redis+sentinel://:pw-xyz@h/m/1?sentinelUsername=watch%20er&sentinelPassword=s%26p%3D1&readFrom=replica-only',
    {
      masterName: 'm',
      sentinels: [{ host: 'h', port: S }],
      db: 1,
      password: 'pw-xyz',
      sentinelUsername: 'watch er',
      sentinelPassword: 's&p=1',
      readFrom: 'replica-only',
    },
  ],
  [
    'redis+sentinel://h/m?readFrom=master&',
    { masterName: 'm', sentinels: [{ host: 'h', port: S }], db: 0, readFrom: 'master' },
  ],
  ['redis+sentinel://h/m?', { masterName: 'm', sentinels: [{ host: 'h', port: S }], db: 0 }],
  [
    'redis+sentinel://user:@h/m',
    { masterName: 'm', sentinels: [{ host: 'h', port: S }], db: 0, username: 'user' },
  ],
];

describe('parseLocation: valid locations', () => {
  it.each(valid)('%s', (location, expected) => {
    expect(parseLocation(location)).toStrictEqual(expected);
  });

  it('keeps a leading-zero port as its number', () => {
    expect(parseLocation('m/h:026379').sentinels).toEqual([{ host: 'h', port: S }]);
  });

  it('does not give sentinels the data-node credentials', () => {
    const parsed = parseLocation('redis+sentinel://u:hunter2@h/m');
    expect(parsed.sentinelUsername).toBeUndefined();
    expect(parsed.sentinelPassword).toBeUndefined();
  });
});

const URL_HINT = 'redis+sentinel://[user:password@]host:port';
const SHORT_HINT = 'mymaster/host:port';

// [location, option, text the message must contain]
const invalid: [string, string, string][] = [
  ['', 'location', 'got ""'],
  ['   ', 'location', 'no whitespace'],
  ['\n', 'location', 'no whitespace'],
  ['mymaster', 'location', 'a master name, "/" and at least one sentinel'],
  ['/h:26379', 'location.masterName', 'got ""'],
  ['mymaster/', 'location.sentinels', 'at least one sentinel'],
  ['mymaster//1', 'location.sentinels', 'at least one sentinel'],
  ['m/,h:1', 'location.sentinels', 'got ",h:1"'],
  ['m/h:1,', 'location.sentinels', 'got "h:1,"'],
  ['m/h:1,,h2', 'location.sentinels', 'both sides of every ","'],
  ['m/h:0', 'location.port', 'got "0" in "h:0"'],
  ['m/h:65536', 'location.port', 'got "65536"'],
  // Not port-shaped, so perhaps a password written without its "@": never quoted.
  ['m/h:abc', 'location.port', 'got "***" in "h:***"'],
  ['m/h:', 'location.port', 'got "" in "h:"'],
  ['m/h:-1', 'location.port', 'got "***"'],
  ['m/h/-1', 'location.db', 'got "-1"'],
  ['m/h/x', 'location.db', 'got "x"'],
  ['m/h/1.5', 'location.db', 'got "1.5"'],
  ['m/h/', 'location.db', 'got ""'],
  ['m/h/99999999999999999999', 'location.db', 'a non-negative integer'],
  ['m/h/1/2', 'location', 'at most 3 parts'],
  ['m/[::1', 'location.host', 'a "]" closing the IPv6 address'],
  ['m/[::1]x', 'location.host', '":port" or nothing after "]"'],
  ['m/[nothex]', 'location.host', 'an IPv6 address inside "[ ]"'],
  ['m/::1:26379', 'location.host', 'in brackets, as in [::1]:26379'],
  ['m/fe80::1', 'location.host', 'in brackets'],
  ['m/h o:1', 'location', 'got "m/h o:1"'],
  ['m/h\t:1', 'location', 'no whitespace'],
  ['m/h%20o', 'location.host', 'a host name or IP address'],
  ['m/h!:1', 'location.host', 'got "h!:1"'],
  ['my master/h', 'location', 'no whitespace'],
  ['my*master/h', 'location.masterName', 'got "my*master"'],
  ['h:26379/mymaster', 'location.masterName', 'The master name comes first'],
  ['m/user:hunter2@h:1', 'location', 'credentials only in the URL form'],
  ['m/:hunter2@h', 'location', URL_HINT],
  // Credentials before the first "/" (a URL without its scheme): refused, never quoted.
  ['app:hunter2@h:26379/mymaster', 'location', 'credentials only in the URL form'],
  ['app:hunter2@127.0.0.1:26379,h2:26379/mymaster/0', 'location', 'app:***@127.0.0.1'],
  ['hunter2@h:26379/mymaster', 'location', 'credentials only in the URL form'],
  ['redis://h:6379/0', 'location.scheme', 'addresses one Redis server, not a Sentinel deployment'],
  ['rediss://:hunter2@h:6379', 'location.scheme', 'got "rediss"'],
  ['redis-sentinel://h/m', 'location.scheme', '"redis+sentinel://" or "rediss+sentinel://"'],
  ['http://h/m', 'location.scheme', 'got "http"'],
  ['redis+sentinel://h:26379', 'location.masterName', 'the master name after the sentinels'],
  ['redis+sentinel://h:26379/', 'location.masterName', 'the master name after the sentinels'],
  ['redis+sentinel://h:26379?readFrom=master', 'location.masterName', 'the master name'],
  ['redis+sentinel:///m', 'location.sentinels', 'at least one sentinel'],
  ['redis+sentinel://:hunter2@/m', 'location.sentinels', 'at least one sentinel'],
  ['redis+sentinel://h/m/0/x', 'location', 'at most a master name and a db'],
  ['redis+sentinel://h/m/x', 'location.db', 'got "x"'],
  ['redis+sentinel://h/m?foo=1', 'location.query', 'got "foo"'],
  [
    'redis+sentinel://h/m?sentinelpassword=hunter2',
    'location.query',
    'Did you mean "sentinelPassword"?',
  ],
  ['redis+sentinel://h/m?tls', 'location.query', 'name=value pairs'],
  ['redis+sentinel://h/m?tls=yes', 'location.tls', 'expected true or false, got "yes"'],
  ['redis+sentinel://h/m?sentinelTls=1', 'location.sentinelTls', 'true or false'],
  ['redis+sentinel://h/m?readFrom=slave', 'location.readFrom', 'replica, master, replica-only'],
  ['redis+sentinel://h/m?tls=true&tls=true', 'location.query', 'got "tls" twice'],
  [
    'redis+sentinel://h/m?sentinelPassword=hunter2&sentinelPassword=hunter2',
    'location.query',
    'at most once',
  ],
  ['redis+sentinel://h/m?sentinelPassword=', 'location.sentinelPassword', 'a non-empty value'],
  ['redis+sentinel://h/m?sentinelPassword=hunter2%zz', 'location.sentinelPassword', '%25'],
  ['redis+sentinel://:hunter2%@h/m', 'location.password', 'valid percent-encoding'],
  ['redis+sentinel://us%er:hunter2@h/m', 'location.username', 'got "us%er"'],
  ['redis+sentinel://:hun/ter2@h/m', 'location.host', 'got ":***"'],
  ['redis+sentinel://:hun?ter2@h/m', 'location.host', 'got ":***"'],
  ['redis+sentinel://:hunter2@h/m#frag', 'location', 'no "#"'],
  ['redis+sentinel://h/m?sentinelPassword=hun&ter2&tls=true', 'location.query', 'got "***"'],
  ['redis+sentinel://:hunter2@h:abc/m', 'location.port', 'got "***" in "h:***"'],
  ['redis+sentinel://:hunter2@h/m?readFrom=x', 'location.readFrom', 'got "x"'],
  ['redis+sentinel://:hunter2@h/bad!name', 'location.masterName', 'got "bad!name"'],
];

describe('parseLocation: invalid locations', () => {
  it('covers at least 30 mistakes', () => {
    expect(invalid.length).toBeGreaterThanOrEqual(30);
  });

  it.each(invalid)('%j → %s', (location, option, fragment) => {
    let caught: unknown;
    try {
      parseLocation(location);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SentinelConfigError);
    const error = caught as SentinelConfigError;
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.option).toBe(option);
    expect(error.message).toContain(`Invalid option "${option}"`);
    expect(error.message).toContain(fragment);
    expect(error.message).not.toMatch(/hunter|ter2/);
    // Every message shows a format to follow.
    expect(error.message.includes(URL_HINT) || error.message.includes(SHORT_HINT)).toBe(true);
  });

  it('rejects non-strings from JavaScript callers', () => {
    expect(() => parseLocation(42 as unknown as string)).toThrow(/got a number/);
  });
});

describe('formatLocation', () => {
  it('uses the short form when nothing needs the URL form', () => {
    expect(
      formatLocation({
        masterName: 'm',
        sentinels: [{ host: 'a' }, { host: '::1', port: 26380 }],
        db: 2,
      }),
    ).toBe('m/a:26379,[::1]:26380/2');
    expect(formatLocation({ masterName: 'm', sentinels: [{ host: 'a', port: 1 }], db: 0 })).toBe(
      'm/a:1',
    );
  });

  it('uses the URL form for credentials, TLS and query options', () => {
    const location = {
      masterName: 'm',
      sentinels: [{ host: 'h', port: 1 }],
      db: 1,
      username: 'u@x',
      password: 'p:w/d',
      sentinelUsername: 's u',
      sentinelPassword: 's&p',
      readFrom: 'master' as const,
    };
    expect(formatLocation(location)).toBe(
      'redis+sentinel://u%40x:***@h:1/m/1?sentinelUsername=s%20u&sentinelPassword=***&readFrom=master',
    );
    expect(formatLocation(location, { showPasswords: true })).toBe(
      'redis+sentinel://u%40x:p%3Aw%2Fd@h:1/m/1?sentinelUsername=s%20u&sentinelPassword=s%26p&readFrom=master',
    );
  });

  it('uses rediss+sentinel when both sides have TLS, TLS objects counting as on', () => {
    const base = { masterName: 'm', sentinels: [{ host: 'h', port: 1 }] };
    expect(formatLocation({ ...base, tls: true, sentinelTls: { servername: 'x' } })).toBe(
      'rediss+sentinel://h:1/m',
    );
    expect(formatLocation({ ...base, tls: {}, sentinelTls: false })).toBe(
      'redis+sentinel://h:1/m?tls=true&sentinelTls=false',
    );
  });

  it.each(valid)('round-trips %s', (location) => {
    const parsed = parseLocation(location);
    expect(parseLocation(formatLocation(parsed, { showPasswords: true }))).toStrictEqual(parsed);
  });

  it.each(valid.filter(([, parsed]) => parsed.password || parsed.sentinelPassword))(
    'hides the passwords of %s by default',
    (location, parsed) => {
      const formatted = formatLocation(parseLocation(location));
      for (const secret of [parsed.password, parsed.sentinelPassword]) {
        if (secret) {
          expect(formatted).not.toContain(secret);
          expect(formatted).not.toContain(encodeURIComponent(secret));
        }
      }
      expect(formatted).toContain('***');
    },
  );
});

describe('redactLocation', () => {
  it('masks both passwords and keeps the rest readable', () => {
    expect(
      redactLocation('redis+sentinel://app:hunter2@h:1/m?sentinelPassword=other&tls=true'),
    ).toBe('redis+sentinel://app:***@h:1/m?sentinelPassword=***&tls=true');
  });

  it('masks credentials that break the grammar, never throwing', () => {
    expect(redactLocation('m/user:hunter2@h')).toBe('m/***@h');
    expect(redactLocation('redis+sentinel://:hun/ter2@h/m')).toBe('redis+sentinel://:***@h/m');
    expect(redactLocation('app:hunter2@h:26379/mymaster')).toBe('app:***@h:26379/mymaster');
    expect(redactLocation('app:hunter2@127.0.0.1:26379,h2:26379/mymaster/0')).toBe(
      'app:***@127.0.0.1:26379,h2:26379/mymaster/0',
    );
    expect(redactLocation('hunter2@h/m')).toBe('***@h/m');
    expect(redactLocation('')).toBe('');
  });

  it('leaves locations without secrets alone', () => {
    expect(redactLocation('mymaster/h:1,h:2/3')).toBe('mymaster/h:1,h:2/3');
  });
});

// Secrets in locations the grammar does not expect: a password written where a port, a host or
// an unknown query parameter goes must still never be echoed (issue 14).
describe('secret-shaped parts of a location are never echoed', () => {
  const leaks: [string, string][] = [
    ['redis+sentinel://app:S3cret/mymaster', 'S3cret'],
    ['redis+sentinel://app:PW9x:host:26379/m', 'PW9x'],
    ['mymaster/app:PW9x', 'PW9x'],
    ['mymaster/app:PW9x/0', 'PW9x'],
    ['redis+sentinel://h/m?pasword=PW9x', 'PW9x'],
    ['redis+sentinel://h/m?password=PW9x', 'PW9x'],
    ['redis+sentinel://h/m?sentinel_password=PW9x', 'PW9x'],
    ['redis+sentinel://h/m?SENTINELPASSWORD=PW9x', 'PW9x'],
    ['redis+sentinel://h/m?sentinelPass=PW9x&tls=true', 'PW9x'],
    ['redis+sentinel://h/m?pasword=PW&9x&readFrom=master', '9x'],
    ['mymaster/h/0?password=PW9x', 'PW9x'],
  ];

  it.each(leaks)('parseLocation(%j) rejects without the secret', (location, secret) => {
    let caught: unknown;
    try {
      parseLocation(location);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SentinelConfigError);
    expect((caught as Error).message).not.toContain(secret);
  });

  it.each(leaks)('redactLocation(%j) masks the secret', (location, secret) => {
    const redacted = redactLocation(location);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain('***');
  });

  it('names the part to fix when a password took the place of a port', () => {
    expect(() => parseLocation('redis+sentinel://app:S3cret/mymaster')).toThrow(
      'Invalid option "location.port": expected a port, an integer 1-65535, got "***" in "app:***"',
    );
  });

  it('keeps ports and known parameters readable', () => {
    expect(redactLocation('redis+sentinel://h:26379,[::1]:1/m?tls=true&readFrom=master')).toBe(
      'redis+sentinel://h:26379,[::1]:1/m?tls=true&readFrom=master',
    );
    expect(redactLocation('m/h:1,h:65536/2')).toBe('m/h:1,h:65536/2');
  });
});

describe('long locations', () => {
  it('rejects a location over 8 KB with a typed error naming the option, quoting none of it', () => {
    const location = `mymaster/${'h,'.repeat(50_000)}h`;
    let caught: unknown;
    try {
      parseLocation(location);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SentinelConfigError);
    expect((caught as SentinelConfigError).option).toBe('location');
    expect((caught as Error).message).toContain('at most 8192 characters');
    expect((caught as Error).message.length).toBeLessThan(400);
  });

  it('truncates the input it quotes', () => {
    const host = `${'a'.repeat(8000)}!`;
    let caught: unknown;
    try {
      parseLocation(`m/${host}`);
    } catch (error) {
      caught = error;
    }
    expect((caught as SentinelConfigError).option).toBe('location.host');
    expect((caught as Error).message.length).toBeLessThan(400);
  });

  // No wall-clock limit (it failed on a loaded machine): a parse or redaction quadratic in the
  // input takes minutes on 300,000 characters, milliseconds when linear, so the test's timeout
  // (not a figure tuned to this machine) is what catches a regression.
  it('parses and redacts in linear time', { timeout: 20_000 }, () => {
    const query = 'sentinelPassword=x&'.repeat(300_000 / 19);
    const huge = `redis+sentinel://h/m?${query}`;
    const redacted = redactLocation(huge);
    expect(() => parseLocation(huge.slice(0, 8192))).toThrow(SentinelConfigError);
    expect(redacted).not.toContain('=x');
  });
});
