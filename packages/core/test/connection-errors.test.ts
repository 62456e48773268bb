import { describe, expect, it } from 'vitest';
import {
  ConnectionSetupError,
  classifyConnectionError,
  closedBeforeReplyHint,
  isWaitRefused,
} from '../src/connection-errors.js';
import { isSentinelKitError } from '../src/index.js';

const coded = (code: string, message: string) => Object.assign(new Error(message), { code });
const data = { side: 'data', tls: true, clientCertificate: true } as const;
const sentinel = { side: 'sentinel', tls: true, clientCertificate: true } as const;

describe('classifyConnectionError: errors that will not go away', () => {
  it('an untrusted server certificate is TLS_FAILED, naming the CA option of its side', () => {
    const error = coded(
      'SELF_SIGNED_CERT_IN_CHAIN',
      'self-signed certificate in certificate chain',
    );
    expect(classifyConnectionError(error, data)).toMatchObject({
      code: 'TLS_FAILED',
      option: 'tls.ca',
    });
    expect(classifyConnectionError(error, sentinel)).toMatchObject({
      code: 'TLS_FAILED',
      option: 'sentinelTls.ca',
    });
    for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED']) {
      expect(classifyConnectionError(coded(code, 'x'), data)?.code).toBe('TLS_FAILED');
    }
  });

  it('a certificate that does not name the node is TLS_FAILED with the servername option', () => {
    const error = coded(
      'ERR_TLS_CERT_ALTNAME_INVALID',
      "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: ",
    );
    const problem = classifyConnectionError(error, data);
    expect(problem).toMatchObject({ code: 'TLS_FAILED', option: 'tls.servername' });
    expect(problem?.advice).toMatch(/function/);
  });

  it('a refused client certificate (TLS alert) is TLS_FAILED naming tls.cert', () => {
    const alert = coded(
      'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      'error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:SSL alert number 48',
    );
    expect(classifyConnectionError(alert, data)).toMatchObject({
      code: 'TLS_FAILED',
      option: 'tls.cert',
    });
    const required = coded(
      'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      'error:0A00045C:SSL routines::tlsv13 alert certificate required',
    );
    expect(classifyConnectionError(required, sentinel)?.option).toBe('sentinelTls.cert');
  });

  it('a reset after the handshake without a client certificate is mutual TLS; with one it is transient', () => {
    const reset = coded('ECONNRESET', 'write ECONNRESET');
    const noCert = { ...data, clientCertificate: false, handshakeCompleted: true };
    expect(classifyConnectionError(reset, noCert)).toMatchObject({
      code: 'TLS_FAILED',
      option: 'tls.cert',
    });
    expect(classifyConnectionError(reset, { ...data, handshakeCompleted: true })).toBeUndefined();
    expect(classifyConnectionError(reset, { side: 'data', tls: false })).toBeUndefined();
  });

  it('a reset before the TLS handshake finished is transient, with a hint (a node restarting, maxclients)', () => {
    const reset = coded('ECONNRESET', 'read ECONNRESET');
    const early = { ...data, clientCertificate: false, handshakeCompleted: false };
    expect(classifyConnectionError(reset, early)).toBeUndefined();
    expect(classifyConnectionError(reset, { ...data, clientCertificate: false })).toBeUndefined();
    expect(closedBeforeReplyHint(reset, early)).toMatch(/before the TLS handshake/);
    expect(closedBeforeReplyHint(reset, { ...early, handshakeCompleted: true })).toBeUndefined();
  });

  it('TLS against a plain port is TLS_FAILED naming the TLS switch', () => {
    const error = coded(
      'ERR_SSL_WRONG_VERSION_NUMBER',
      'error:0A00010B:SSL routines::wrong version number',
    );
    expect(classifyConnectionError(error, data)).toMatchObject({
      code: 'TLS_FAILED',
      option: 'tls',
    });
  });

  it('rejected credentials are AUTH_FAILED naming the credentials of the side', () => {
    const error = new Error('WRONGPASS invalid username-password pair or user is disabled.');
    expect(classifyConnectionError(error, data)).toMatchObject({
      code: 'AUTH_FAILED',
      option: 'username/password',
    });
    expect(
      classifyConnectionError(new Error('NOAUTH Authentication required.'), sentinel),
    ).toMatchObject({
      code: 'AUTH_FAILED',
      option: 'sentinelUsername/sentinelPassword',
    });
  });

  it('an ACL user without ROLE or INFO is PERMISSION_DENIED naming the command to grant', () => {
    const role = new Error("NOPERM User app has no permissions to run the 'role' command");
    expect(classifyConnectionError(role, data)).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(classifyConnectionError(role, data)?.advice).toMatch(/\+role/);
    const info = new Error(
      "Ready check failed: NOPERM this user has no permissions to run the 'info' command",
    );
    expect(classifyConnectionError(info, data)?.advice).toMatch(/INFO.*\+info/);
  });

  it('everything else is transient: refused, timed out, closed, a replica, LOADING', () => {
    for (const error of [
      coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:6379'),
      coded('ETIMEDOUT', 'connect ETIMEDOUT'),
      new Error('Connection is closed.'),
      new Error('LOADING Redis is loading the dataset in memory'),
      'not an error',
    ]) {
      expect(classifyConnectionError(error, data)).toBeUndefined();
    }
  });
});

describe('isWaitRefused', () => {
  it("is true for NOPERM on WAIT only, not on the write's own command", () => {
    expect(
      isWaitRefused(new Error("NOPERM User app has no permissions to run the 'wait' command")),
    ).toBe(true);
    expect(
      isWaitRefused(new Error("NOPERM User app has no permissions to run the 'set' command")),
    ).toBe(false);
    expect(isWaitRefused(new Error('ERR wait'))).toBe(false);
  });
});

describe('closedBeforeReplyHint', () => {
  it('suggests TLS to a plain client whose connection was closed or reset, on its side', () => {
    expect(
      closedBeforeReplyHint(new Error('Connection is closed.'), { side: 'sentinel', tls: false }),
    ).toMatch(/"sentinelTls".*rediss\+sentinel/);
    expect(
      closedBeforeReplyHint(coded('ECONNRESET', 'write ECONNRESET'), { side: 'data', tls: false }),
    ).toMatch(/"tls"/);
    expect(
      closedBeforeReplyHint(new Error('Connection is closed.'), { side: 'data', tls: true }),
    ).toBeUndefined();
  });
});

describe('ConnectionSetupError', () => {
  it('has a name, a code, the option and the address, and says what to change', () => {
    const problem = classifyConnectionError(
      coded('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      data,
    );
    const error = new ConnectionSetupError({
      problem: problem!,
      address: '127.0.0.1:7000',
      side: 'data',
      detail: 'self-signed certificate in certificate chain',
    });
    expect(error.name).toBe('ConnectionSetupError');
    expect(isSentinelKitError(error, 'TLS_FAILED')).toBe(true);
    expect(error.option).toBe('tls.ca');
    expect(error.address).toBe('127.0.0.1:7000');
    expect(error.message).toMatch(/^data node 127\.0\.0\.1:7000: .*"tls\.ca"/);
  });
});
