import { describe, expect, it } from 'vitest';
import { dataNodeConfig, SENTINEL_ADMIN_USER, sentinelConfig } from '../src/config.js';

describe('dataNodeConfig', () => {
  it('writes a persistence-free replica config with diskless sync', () => {
    const text = dataNodeConfig({
      host: '127.0.0.1',
      port: 7001,
      auth: {},
      replicaOf: { host: '127.0.0.1', port: 7000 },
    });
    expect(text).toContain('port 7001\n');
    expect(text).toContain('save ""\n');
    expect(text).toContain('repl-diskless-sync-delay 0\n');
    expect(text).toContain('replicaof 127.0.0.1 7000\n');
    expect(text).not.toContain('requirepass');
  });

  it('uses requirepass + masterauth for a password, and an ACL user when given', () => {
    expect(dataNodeConfig({ host: 'h', port: 1, auth: { password: 'p w' } })).toContain(
      'requirepass "p w"\nmasterauth "p w"\n',
    );
    const acl = dataNodeConfig({ host: 'h', port: 1, auth: { username: 'app', password: 'pw' } });
    expect(acl).toContain('user default off\n');
    expect(acl).toContain('user app on >pw ~* &* +@all\n');
    expect(acl).toContain('masteruser app\nmasterauth pw\n');
  });
});

describe('TLS-only nodes', () => {
  it('close the plain port, listen on TLS and replicate over TLS', () => {
    const tls = { clientCertificates: 'required' } as const;
    for (const text of [
      dataNodeConfig({ host: 'h', port: 7001, auth: {}, tls }),
      sentinelConfig({
        host: 'h',
        port: 26379,
        tls,
        masterName: 'm',
        master: { host: 'h', port: 7001 },
        quorum: 1,
        downAfterMs: 1000,
        failoverTimeoutMs: 3000,
        dataAuth: {},
      }),
    ]) {
      expect(text).toMatch(/^port 0\ntls-port \d+\n/);
      expect(text).toContain(
        'tls-cert-file node.crt\ntls-key-file node.key\ntls-ca-cert-file ca.crt\n',
      );
      expect(text).toContain('tls-auth-clients yes\ntls-replication yes\n');
    }
    expect(
      dataNodeConfig({ host: 'h', port: 1, auth: {}, tls: { clientCertificates: 'optional' } }),
    ).toContain('tls-auth-clients optional\n');
  });
});

describe('sentinelConfig', () => {
  it('with a sentinel ACL user: default user off, the user with its rules, an admin user for peers', () => {
    const text = sentinelConfig({
      host: '127.0.0.1',
      port: 26379,
      masterName: 'cache',
      master: { host: '127.0.0.1', port: 7000 },
      quorum: 2,
      downAfterMs: 1000,
      failoverTimeoutMs: 3000,
      dataAuth: {},
      sentinelPassword: 'spw',
      sentinelUser: { name: 'app', rules: ['+@all', '&*', '-sentinel|replicas'] },
    });
    const lines = text.trim().split('\n');
    expect(lines).toContain('user default off');
    expect(lines).toContain(`user ${SENTINEL_ADMIN_USER} on >spw +@all &*`);
    expect(lines).toContain('user app on >spw +@all &* "-sentinel|replicas"');
    expect(lines).toContain(`sentinel sentinel-user ${SENTINEL_ADMIN_USER}`);
    expect(lines).toContain('sentinel sentinel-pass spw');
    expect(lines.some((l) => l.startsWith('requirepass'))).toBe(false);
  });

  it('monitors the master with the given timings and credentials', () => {
    const text = sentinelConfig({
      host: '127.0.0.1',
      port: 26379,
      masterName: 'cache',
      master: { host: '127.0.0.1', port: 7000 },
      quorum: 2,
      downAfterMs: 1000,
      failoverTimeoutMs: 3000,
      dataAuth: { username: 'app', password: 'pw' },
      sentinelPassword: 'spw',
    });
    const lines = text.trim().split('\n');
    expect(lines).toContain('sentinel monitor cache 127.0.0.1 7000 2');
    expect(lines).toContain('sentinel down-after-milliseconds cache 1000');
    expect(lines).toContain('sentinel failover-timeout cache 3000');
    expect(lines).toContain('sentinel auth-user cache app');
    expect(lines).toContain('sentinel auth-pass cache pw');
    expect(lines).toContain('requirepass spw');
    expect(lines).toContain('sentinel sentinel-pass spw');
    // Settings for a master name must follow its `monitor` line.
    expect(lines.findIndex((l) => l.startsWith('sentinel monitor'))).toBeLessThan(
      lines.findIndex((l) => l.startsWith('sentinel down-after')),
    );
  });
});
