/**
 * `sentinelkit status <location> [--json]` and `sentinelkit watch <location>`.
 *
 * Credentials come from the location's URL form, or from the environment
 * (`SENTINELKIT_PASSWORD`, `SENTINELKIT_USERNAME`, `SENTINELKIT_SENTINEL_PASSWORD`,
 * `SENTINELKIT_SENTINEL_USERNAME`), never from flags, which other users of the
 * machine can read in the process list.
 */
import { parseArgs } from 'node:util';
import { isSentinelKitError, resolveOptions, type SentinelClientOptions } from '@sentinelkit/core';
import { inspectDeployment } from './inspect.js';
import { assessReport, exitCodeOf, renderReport } from './report.js';
import { watchSentinelEvents } from './watch.js';

const USAGE = `Usage:
  sentinelkit status <location> [--json] [--timeout <ms>]
  sentinelkit watch <location>

<location> is mymaster/host:port,host:port/db or redis+sentinel://[user@]host:port,…/mymaster/db
Credentials: SENTINELKIT_PASSWORD, SENTINELKIT_USERNAME, SENTINELKIT_SENTINEL_PASSWORD,
SENTINELKIT_SENTINEL_USERNAME (or in the URL form).
status exits 0 healthy, 1 degraded, 2 down, 64 on a usage error.`;

const EXIT_USAGE = 64;

function credentialsFromEnv(env: NodeJS.ProcessEnv): Partial<SentinelClientOptions> {
  const pick = (name: string) => (env[name] ? env[name] : undefined);
  return {
    username: pick('SENTINELKIT_USERNAME'),
    password: pick('SENTINELKIT_PASSWORD'),
    sentinelUsername: pick('SENTINELKIT_SENTINEL_USERNAME'),
    sentinelPassword: pick('SENTINELKIT_SENTINEL_PASSWORD'),
  };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    console.error(`sentinelkit: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const { command, location, json, timeout, help } = parsed;
  if (help) {
    console.log(USAGE);
    return 0;
  }
  if ((command !== 'status' && command !== 'watch') || !location) {
    console.error(`sentinelkit: expected "status" or "watch" and a location\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  let options: ReturnType<typeof resolveOptions>;
  try {
    options = resolveOptions(location, {
      ...credentialsFromEnv(env),
      ...(timeout !== undefined && { sentinelTimeout: timeout, connectTimeout: timeout }),
    });
  } catch (error) {
    // Config errors name the option and never carry a password.
    console.error(`sentinelkit: ${isSentinelKitError(error) ? error.message : String(error)}`);
    return EXIT_USAGE;
  }

  if (command === 'status') {
    const report = await inspectDeployment(options);
    const assessment = assessReport(report);
    process.stdout.write(
      json
        ? `${JSON.stringify({ ...report, ...assessment }, null, 2)}\n`
        : renderReport(report, assessment),
    );
    return exitCodeOf(assessment.verdict);
  }

  console.error(
    `watching Sentinel events for "${options.masterName}" on ${options.sentinels.length} sentinels; Ctrl-C stops`,
  );
  const watch = watchSentinelEvents(
    options,
    (e) =>
      console.log(
        `${e.at.toISOString()}  ${e.sentinel.padEnd(21)}  ${e.type.padEnd(24)}  ${e.message}`,
      ),
    (sentinel, message) =>
      console.error(`${new Date().toISOString()}  ${sentinel}  unreachable: ${message}`),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await watch.stop();
  return 0;
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) {
    throw new Error(
      `--timeout expects milliseconds (a positive integer), got ${JSON.stringify(values.timeout)}`,
    );
  }
  return {
    command: positionals[0],
    location: positionals[1],
    json: values.json ?? false,
    timeout,
    help: values.help ?? false,
  };
}

// Run when executed (the bin), not when imported by tests.
const invoked = process.argv[1] ?? '';
if (/(?:^|[\\/])(?:cli\.(?:ts|js)|sentinelkit)$/.test(invoked)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`sentinelkit: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 2;
    },
  );
}
