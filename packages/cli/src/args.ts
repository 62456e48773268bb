/**
 * The command line and environment, turned into what to run. Pure apart from
 * reading the TLS files it is told to read (through `readFile`, so tests can
 * hand in their own).
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { parseArgs } from 'node:util';
import type { SentinelClientOptions } from '@sentinelkit/core';

/** What the command line asks for. */
export type Invocation =
  | { command: 'help' }
  | { command: 'version' }
  | {
      command: 'status' | 'watch';
      location: string;
      json: boolean;
      /** Overrides laid on the location: credentials, timeouts, TLS. */
      overrides: Partial<SentinelClientOptions>;
      /** TLS material from `--tls-*` / `SENTINELKIT_TLS_*`, or `undefined` when none was given. */
      tls: ConnectionOptions | undefined;
      /** `--interval`: how often `watch` polls a cluster, in ms (`undefined`: the default). */
      intervalMs: number | undefined;
    };

/** A command line that cannot be run; its message names the flag or variable to change. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type ReadFile = (path: string) => Buffer;

const TLS_FILES = [
  ['ca', 'tls-ca', 'SENTINELKIT_TLS_CA'],
  ['cert', 'tls-cert', 'SENTINELKIT_TLS_CERT'],
  ['key', 'tls-key', 'SENTINELKIT_TLS_KEY'],
] as const;

/** Reads `argv` (without node and the script) and `env`; throws {@link UsageError}. */
export function parseInvocation(
  argv: string[],
  env: NodeJS.ProcessEnv,
  readFile: ReadFile = readFileSync,
): Invocation {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.version) return { command: 'version' };
  const command = positionals[0];
  if (values.help || command === 'help' || command === undefined) return { command: 'help' };
  if (command !== 'status' && command !== 'watch') {
    throw new UsageError(`unknown command ${JSON.stringify(command)}: expected status or watch`);
  }
  if (positionals.length > 2) {
    throw new UsageError(`expected one location, got ${positionals.length - 1} arguments`);
  }
  const location = positionals[1] ?? nonEmpty(env.SENTINELKIT_LOCATION);
  if (location === undefined) {
    throw new UsageError('expected a location (argument, or SENTINELKIT_LOCATION)');
  }
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) {
    throw new UsageError(
      `--timeout expects milliseconds (a positive integer), got ${JSON.stringify(values.timeout)}`,
    );
  }
  const intervalMs = values.interval === undefined ? undefined : Number(values.interval);
  if (intervalMs !== undefined && !(Number.isInteger(intervalMs) && intervalMs > 0)) {
    throw new UsageError(
      `--interval expects milliseconds (a positive integer), got ${JSON.stringify(values.interval)}`,
    );
  }
  const tls = tlsMaterial(values, env, readFile);
  const overrides: Partial<SentinelClientOptions> = {
    username: nonEmpty(env.SENTINELKIT_USERNAME),
    password: nonEmpty(env.SENTINELKIT_PASSWORD),
    sentinelUsername: nonEmpty(env.SENTINELKIT_SENTINEL_USERNAME),
    sentinelPassword: nonEmpty(env.SENTINELKIT_SENTINEL_PASSWORD),
    ...(timeout !== undefined && { sentinelTimeout: timeout, connectTimeout: timeout }),
  };
  return { command, location, json: values.json, overrides, tls, intervalMs };
}

/**
 * Where the TLS material goes, once the location is known: to each side the
 * location already turns TLS on for (`rediss+sentinel://`, `tls=`, `sentinelTls=`),
 * or to both sides when it turns TLS on for neither (giving a CA means "use TLS").
 */
export function tlsOverrides(
  material: ConnectionOptions | undefined,
  locationTls: { tls: boolean; sentinelTls: boolean },
): Pick<SentinelClientOptions, 'tls' | 'sentinelTls'> {
  if (material === undefined) return {};
  const neither = !locationTls.tls && !locationTls.sentinelTls;
  return {
    ...((neither || locationTls.tls) && { tls: material }),
    ...((neither || locationTls.sentinelTls) && { sentinelTls: material }),
  };
}

function tlsMaterial(
  values: { tls: boolean; 'tls-ca'?: string; 'tls-cert'?: string; 'tls-key'?: string },
  env: NodeJS.ProcessEnv,
  readFile: ReadFile,
): ConnectionOptions | undefined {
  const material: ConnectionOptions = {};
  for (const [field, flag, variable] of TLS_FILES) {
    const fromFlag = nonEmpty(values[flag]);
    const path = fromFlag ?? nonEmpty(env[variable]);
    if (path === undefined) continue;
    const source = fromFlag !== undefined ? `--${flag}` : variable;
    try {
      material[field] = readFile(path);
    } catch (error) {
      throw new UsageError(`${source}: cannot read ${path} (${(error as Error).message})`);
    }
  }
  if ((material.cert === undefined) !== (material.key === undefined)) {
    throw new UsageError(
      'a client certificate needs both --tls-cert and --tls-key (or SENTINELKIT_TLS_CERT and SENTINELKIT_TLS_KEY)',
    );
  }
  const passphrase = nonEmpty(env.SENTINELKIT_TLS_KEY_PASSPHRASE);
  if (passphrase !== undefined) material.passphrase = passphrase;
  const wanted = values.tls || truthy(env.SENTINELKIT_TLS) || Object.keys(material).length > 0;
  return wanted ? material : undefined;
}

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      interval: { type: 'string' },
      tls: { type: 'boolean', default: false },
      'tls-ca': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}
