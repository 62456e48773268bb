/**
 * TLS options per data node. The core meets data nodes by discovery, so one
 * `tls` object would go to every node, `servername` included (the ioredis#1832
 * trap: with per-node certificates only one node verifies). `tls` may instead
 * be a function of the address Sentinel announces for each node; and a
 * hostname Sentinel announces is that node's `servername` unless one is set,
 * even when `natMap` sends the connection to another address.
 */
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { SentinelConfigError } from './errors.js';
import type { NodeAddress } from './types.js';

/** `tls` as a function: the TLS options for the data node Sentinel announces at `node`. */
export type TlsForNode = (node: Readonly<NodeAddress>) => ConnectionOptions;

/**
 * The TLS options of the connection to the data node announced at `announced`,
 * or `false` without TLS.
 */
export function tlsForNode(
  tls: ConnectionOptions | TlsForNode | false,
  announced: NodeAddress,
): ConnectionOptions | false {
  if (tls === false) return false;
  if (typeof tls === 'function') {
    const node = `${announced.host}:${announced.port}`;
    let options: unknown;
    try {
      options = tls(Object.freeze({ host: announced.host, port: announced.port }));
    } catch (error) {
      // The error's text stays in `cause`: it is the app's, and may quote what it was reading.
      throw new SentinelConfigError({
        option: 'tls',
        expected: 'a function returning Node TLS options',
        received: `a function that threw for ${node} (see cause)`,
        cause: error,
      });
    }
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new SentinelConfigError({
        option: 'tls',
        expected: 'a function returning Node TLS options',
        received: `${Array.isArray(options) ? 'an array' : typeof options} for ${node}`,
      });
    }
    return options as ConnectionOptions;
  }
  if (tls.servername !== undefined || isIP(announced.host) !== 0) return tls;
  return { ...tls, servername: announced.host };
}
