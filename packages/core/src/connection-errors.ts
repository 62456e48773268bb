/**
 * Pure classification of why a connection to a data node or a sentinel could
 * not be set up: errors that will not go away by retrying (a certificate the
 * CA does not sign, a refused client certificate, a wrong password, an ACL
 * user without a needed command) versus transient ones (a node down, a
 * failover under way). Permanent ones fail `connect()` at once with a code
 * saying what to fix and the option to change; transient ones are retried.
 */

import { SentinelConfigError, SentinelKitError } from './errors.js';

/** Which kind of node the connection was to: its options have different names. */
export type ConnectionSide = 'data' | 'sentinel';

/** A setup failure that retrying will not cure. */
export interface PermanentConnectionProblem {
  code: 'TLS_FAILED' | 'AUTH_FAILED' | 'PERMISSION_DENIED';
  /** The option (or server setting) to change, e.g. `tls.ca` or `sentinelTls`. */
  option: string;
  /** What is wrong and how to fix it, one sentence without a trailing period. */
  advice: string;
}

export interface ConnectionErrorContext {
  side: ConnectionSide;
  /** Whether the connection used TLS. */
  tls: boolean;
  /** Whether a client certificate was given (`cert` or `pfx` in the TLS options). */
  clientCertificate?: boolean;
  /** Whether the client finished its side of the TLS handshake (`secureConnect`) before failing. */
  handshakeCompleted?: boolean;
}

/** Node's codes for a server certificate that does not chain to a trusted CA (or is out of date). */
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'INVALID_CA',
]);

/** TLS alerts a server sends when it refuses the client's certificate (or its absence). */
const CLIENT_CERTIFICATE_REFUSED =
  /alert (certificate required|bad certificate|unknown ca|certificate unknown|handshake failure|certificate expired|access denied)/i;

/** A TLS client met a server that speaks plain RESP (it answered the ClientHello in clear text). */
const PLAIN_SERVER =
  /wrong version number|packet length too long|unknown protocol|record layer failure/i;

const AUTH_REPLY = /WRONGPASS|NOAUTH|invalid password|invalid username/i;
const NOPERM_COMMAND = /NOPERM.*?'([a-z|-]+)' command/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Says whether `error`, met while opening a connection (or running its first
 * ROLE/INFO), is permanent, and what to change; `undefined` means transient
 * (retry, maybe on another node).
 */
export function classifyConnectionError(
  error: unknown,
  context: ConnectionErrorContext,
): PermanentConnectionProblem | undefined {
  if (!(error instanceof Error)) return undefined;
  const message = error.message;
  const code = codeOf(error);
  const tlsOption = context.side === 'data' ? 'tls' : 'sentinelTls';
  const credentials =
    context.side === 'data' ? 'username/password' : 'sentinelUsername/sentinelPassword';

  if (code !== undefined && UNTRUSTED_CERTIFICATE.has(code)) {
    return {
      code: 'TLS_FAILED',
      option: `${tlsOption}.ca`,
      advice: `the server's certificate is not trusted (${code}): give the CA that signed it as "${tlsOption}.ca"`,
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const which =
      context.side === 'data'
        ? '"tls.servername", or pass "tls" as a function of each node\'s address to give each its own'
        : '"sentinelTls.servername"';
    return {
      code: 'TLS_FAILED',
      option: `${tlsOption}.servername`,
      advice: `the server's certificate does not name the address connected to: set the name it holds as ${which}`,
    };
  }
  if (CLIENT_CERTIFICATE_REFUSED.test(message)) {
    return {
      code: 'TLS_FAILED',
      option: `${tlsOption}.cert`,
      advice: `the server refused this client's certificate or its absence (mutual TLS): give a certificate its CA signs as "${tlsOption}.cert" and its key as "${tlsOption}.key"`,
    };
  }
  // With TLS 1.3 the client's side of the handshake completes before the server
  // checks the client's certificate; a server that requires one then closes the
  // connection, and the client sees its alert, or only a reset. A reset before the
  // handshake finished is anything else (a node restarting, maxclients, a load
  // balancer): transient.
  if (
    context.tls &&
    context.handshakeCompleted === true &&
    context.clientCertificate === false &&
    code === 'ECONNRESET'
  ) {
    return {
      code: 'TLS_FAILED',
      option: `${tlsOption}.cert`,
      advice: `the server reset the connection after the TLS handshake, as one that requires a client certificate (mutual TLS) does: give a certificate its CA signs as "${tlsOption}.cert" and its key as "${tlsOption}.key"`,
    };
  }
  if (context.tls && PLAIN_SERVER.test(message)) {
    return {
      code: 'TLS_FAILED',
      option: tlsOption,
      advice: `the server does not speak TLS on this port: set "${tlsOption}" to false (or use a redis+sentinel:// location), or point at its TLS port`,
    };
  }
  if (AUTH_REPLY.test(message)) {
    return {
      code: 'AUTH_FAILED',
      option: credentials,
      advice: `the server rejected the credentials: check "${credentials}"`,
    };
  }
  const denied = NOPERM_COMMAND.exec(message);
  if (denied) {
    const command = (denied[1] ?? '').toLowerCase();
    return {
      code: 'PERMISSION_DENIED',
      option: 'the ACL rules of the user',
      advice: `the ACL user may not run ${command.toUpperCase()}, which sentinelkit needs on every ${context.side === 'data' ? 'data node' : 'sentinel'}: grant it (ACL SETUSER <user> +${command})`,
    };
  }
  return undefined;
}

/**
 * A hint for a connection the server closed before answering anything, without
 * an error: what a TLS-only server does to a plain client. Transient-looking,
 * so it is not classified as permanent, but the message says what to check.
 * With TLS, a reset before the handshake finished says so (the node may be
 * restarting, full or behind a proxy that reset it).
 */
export function closedBeforeReplyHint(
  error: unknown,
  context: ConnectionErrorContext,
): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const reset = codeOf(error) === 'ECONNRESET';
  if (context.tls) {
    return reset && context.handshakeCompleted !== true
      ? 'reset before the TLS handshake finished: the node may be restarting or refusing clients (maxclients), or not be the TLS port'
      : undefined;
  }
  if (!reset && !error.message.startsWith('Connection is closed')) return undefined;
  return context.side === 'data'
    ? 'if the data nodes accept only TLS, set "tls" (or use a rediss+sentinel:// location)'
    : 'if the sentinels accept only TLS, set "sentinelTls" (or use a rediss+sentinel:// location)';
}

/** What {@link ConnectionSetupError} needs. */
export interface ConnectionSetupErrorInit {
  problem: PermanentConnectionProblem;
  /** `host:port` of the node or sentinel. */
  address: string;
  side: ConnectionSide;
  /** The underlying error's message, secrets already redacted. */
  detail: string;
}

/**
 * A connection could not be set up for a reason retrying will not cure (code
 * `TLS_FAILED`, `AUTH_FAILED` or `PERMISSION_DENIED`): `connect()` fails with it
 * at once instead of retrying until `connectTimeout`.
 */
export class ConnectionSetupError extends SentinelKitError {
  /** The option (or server setting) to change, e.g. `tls.ca` or `sentinelTls`. */
  readonly option: string;
  /** `host:port` of the node or sentinel that refused. */
  readonly address: string;

  constructor(init: ConnectionSetupErrorInit) {
    const what = init.side === 'data' ? 'data node' : 'sentinel';
    super(
      init.problem.code,
      `${what} ${init.address}: ${init.problem.advice} (${init.detail.trim()})`,
      { cause: new Error(init.detail) },
    );
    this.option = init.problem.option;
    this.address = init.address;
  }

  override get name(): string {
    return 'ConnectionSetupError';
  }
}

/**
 * True for an error `connect()` should not retry: it will come back the same. A
 * {@link SentinelConfigError} met while connecting comes from options only
 * checkable per node (a `tls` function that throws or returns no object).
 */
export function isPermanentSetupError(error: unknown): boolean {
  return error instanceof ConnectionSetupError || error instanceof SentinelConfigError;
}

/**
 * The server refused `WAIT` to this ACL user: a write with `waitReplicas` ran
 * on the master, and only its replication check was refused.
 */
export function isWaitRefused(error: unknown): boolean {
  return error instanceof Error && /^NOPERM\b.*'wait' command/i.test(error.message);
}
