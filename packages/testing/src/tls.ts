/**
 * Certificates for TLS topologies: a throwaway CA, one server certificate per
 * node and one client certificate, made with the `openssl` command (Node's
 * crypto can make keys but not X.509 certificates). EC P-256 keys: fast to
 * generate, accepted by Redis and Node.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TopologyError } from './errors.js';

/** Options of a TLS topology (`startSentinelTopology({ tls })`). */
export interface TopologyTlsOptions {
  /**
   * Whether nodes demand a client certificate (`tls-auth-clients`):
   * `'required'` (mutual TLS: a client without one is refused) or `'optional'`
   * (checked when presented). @default 'optional'
   */
  clientCertificates?: 'required' | 'optional';
  /**
   * Name each node's certificate by a hostname only, `<node>.sentinelkit.localhost`
   * (e.g. `data-1.sentinelkit.localhost`), not by 127.0.0.1: clients must then
   * send each node its own `servername`. For testing per-node TLS options.
   * @default false (every certificate names 127.0.0.1 and `localhost`)
   */
  hostnameCertificates?: boolean;
}

/** PEM texts a client needs to reach a TLS topology. */
export interface TopologyTlsMaterial {
  /** The CA that signed every node's and the client's certificate. */
  ca: string;
  /** A client certificate signed by that CA (for mutual TLS). */
  cert: string;
  /** The client certificate's private key. */
  key: string;
}

/** One node's server certificate, key and the CA, as files of its directory. */
export interface NodeTlsFiles {
  'ca.crt': string;
  'node.crt': string;
  'node.key': string;
}

export interface TopologyCertificates {
  client: TopologyTlsMaterial;
  /** Server certificate files for the node called `name` (`data-0`, `sentinel-2`, …). */
  forNode(name: string): NodeTlsFiles;
}

/** The hostname a node's certificate names with `hostnameCertificates`. */
export function nodeHostname(name: string): string {
  return `${name}.sentinelkit.localhost`;
}

const OPENSSL_HINT =
  'TLS topologies need the `openssl` command (Debian/Ubuntu: `apt-get install -y openssl`; macOS: it is preinstalled)';

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new TopologyError('NO_BACKEND', OPENSSL_HINT, { cause: error });
    throw new TopologyError(
      'NODE_START_FAILED',
      `openssl ${args[0]} failed: ${e.stderr?.toString().trim() || e.message}`,
      { cause: error },
    );
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Makes a CA, a server certificate for each of `nodeNames` and a client
 * certificate, and returns them as PEM text (the temp directory used is removed).
 */
export function makeCertificates(
  nodeNames: readonly string[],
  options: { hostnameCertificates: boolean },
): TopologyCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'sentinelkit-tls-'));
  try {
    const read = (file: string) => readFileSync(join(dir, file), 'utf8');
    openssl(
      [
        'req',
        '-x509',
        ...EC_KEY,
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '2',
        '-subj',
        '/CN=sentinelkit-test-ca',
      ],
      dir,
    );
    const sign = (name: string, subject: string, extensions: string) => {
      writeFileSync(join(dir, `${name}.ext`), extensions);
      openssl(
        ['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject],
        dir,
      );
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${name}.csr`,
          '-CA',
          'ca.crt',
          '-CAkey',
          'ca.key',
          '-CAcreateserial',
          '-out',
          `${name}.crt`,
          '-days',
          '2',
          '-extfile',
          `${name}.ext`,
        ],
        dir,
      );
      return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
    };
    const ca = read('ca.crt');
    const nodes = new Map<string, NodeTlsFiles>();
    for (const name of nodeNames) {
      const altNames = options.hostnameCertificates
        ? `DNS:${nodeHostname(name)}`
        : 'IP:127.0.0.1,DNS:localhost';
      // clientAuth too: a replica (and a sentinel) presents the same certificate
      // when it connects to another node, which mutual TLS checks.
      const { cert, key } = sign(
        name,
        `/CN=${name}`,
        `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth,clientAuth\n`,
      );
      nodes.set(name, { 'ca.crt': ca, 'node.crt': cert, 'node.key': key });
    }
    const client = sign('client', '/CN=sentinelkit-test-client', 'extendedKeyUsage=clientAuth\n');
    return {
      client: { ca, ...client },
      forNode(name) {
        const files = nodes.get(name);
        if (!files) throw new TopologyError('NO_SUCH_NODE', `no certificate for ${name}`);
        return files;
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
