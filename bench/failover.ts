/**
 * Failover: how long writes stop, how many fail and how many acknowledged
 * writes are lost when the master is killed (SIGKILL) or frozen (SIGSTOP, then
 * thawed after the switch), for sentinelkit and for ioredis's own Sentinel
 * client (default, and with `failoverDetector`), in the same run, clients
 * interleaved run by run. Prints markdown tables and rewrites the `failover`
 * section of docs/benchmarks.md.
 *
 *   pnpm bench:failover
 *
 * Knobs (environment): BENCH_RUNS, BENCH_FAULTS, BENCH_CLIENTS, BENCH_DOCS,
 * BENCH_TRACE, BENCH_PICTURES; see the options table in the failover section of docs/benchmarks.md.
 */
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createSentinelClient, type FailoverTimings } from '@sentinelkit/core';
import {
  readTimelineSvg,
  renderTimelineSvg,
  type SentinelTopology,
  startSentinelTopology,
  type TimelineMarker,
  type TimelinePanel,
  type TopologyNode,
} from '@sentinelkit/testing';
import { Redis } from 'ioredis';
import {
  cpuDescription,
  envInt,
  idList,
  loadAverage,
  type Machine,
  markdownTable,
  median,
  redisVersion,
  wrap,
  writeDocsSection,
} from './lib/report.js';
import { messageOf, now, type Send, sleep, type WriteRecord, Writer } from './lib/writer.js';

const COMMAND = 'pnpm bench:failover';
const DOCS_PATH = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
/** The timeline of each fault, drawn next to the page: docs/failover-<fault>.svg. */
const pictureName = (fault: Fault) => `failover-${fault}.svg`;
const picturePath = (fault: Fault) =>
  fileURLToPath(new URL(`../docs/${pictureName(fault)}`, import.meta.url));
/** Width of a time slice in the pictures. */
const PICTURE_BUCKET_MS = 50;
const START_MARKER = '<!-- failover:start -->';
const END_MARKER = '<!-- failover:end -->';

const FAULT_IDS = ['kill', 'freeze'] as const;
type Fault = (typeof FAULT_IDS)[number];
const CLIENT_IDS = ['sentinelkit', 'ioredis', 'ioredis-detector'] as const;
type ClientId = (typeof CLIENT_IDS)[number];

const CLIENT_LABELS: Record<ClientId, string> = {
  sentinelkit: 'sentinelkit `write(fn, { idempotent: true })`',
  ioredis: "ioredis `new Redis({ sentinels, name: 'mymaster' })`",
  'ioredis-detector': 'ioredis, `failoverDetector: true`',
};
const FAULT_LABELS: Record<Fault, string> = {
  kill: 'Master killed (SIGKILL)',
  freeze: 'Master frozen (SIGSTOP), thawed 3 s after the switch',
};

const RUNS = envInt('BENCH_RUNS', 5);
const FAULTS = idList('BENCH_FAULTS', FAULT_IDS);
const CLIENTS = idList('BENCH_CLIENTS', CLIENT_IDS);
// A subset of faults or clients prints the tables and leaves the docs untouched.
const SUBSET = FAULTS.length < FAULT_IDS.length || CLIENTS.length < CLIENT_IDS.length;
// BENCH_DOCS=0 prints the tables without touching docs/benchmarks.md.
const WRITE_DOCS = process.env.BENCH_DOCS !== '0' && !SUBSET;
// BENCH_TRACE=file writes every run's events and writes there, as JSON.
const TRACE_PATH = process.env.BENCH_TRACE || undefined;
/** Draw the pictures (docs/failover-<fault>.svg) even when the page is not written. */
const PICTURES = process.env.BENCH_PICTURES === '1';

/** Writes per second, issued by a timer whether or not earlier ones have answered. */
const RATE = 200;
/** Writes run this long before the fault. */
const BEFORE_FAULT_MS = 1000;
/** Kill: the run goes on this long after `+switch-master`. */
const AFTER_KILL_SWITCH_MS = 10_000;
/** Freeze: the old master is thawed this long after `+switch-master`… */
const THAW_AFTER_SWITCH_MS = 3000;
/** …and the run goes on this long after the topology is healthy again (old master demoted). */
const AFTER_HEALTHY_MS = 1000;
/** After the run, writes still pending get this long to settle. */
const SETTLE_MS = 15_000;
/** Sentinel's `down-after-milliseconds` and `failover-timeout` (the topology's defaults). */
const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 3000;

/** Goals of issue 4, for sentinelkit. */
const GOAL_MEDIAN_MS = 50;
const GOAL_WORST_MS = 250;

// ----------------------------------------------------------------- clients

interface ClientEvent {
  at: number;
  what: string;
}

interface MasterChange {
  reason: string;
  /** On the benchmark's clock ({@link now}); the client stamps them with Date.now(). */
  switchedAt: number;
  timings: FailoverTimings | undefined;
}

interface Subject {
  send: Send;
  events: ClientEvent[];
  masterChanges: MasterChange[];
  errors: number;
  close(): Promise<void>;
}

/** Date.now() − now(): converts the core's Date.now() stamps to the benchmark's clock. */
const dateOffset = () => Date.now() - now();

async function connectSentinelkit(topology: SentinelTopology): Promise<Subject> {
  const client = createSentinelClient(topology.location);
  const subject: Subject = {
    events: [],
    masterChanges: [],
    errors: 0,
    send: (key, value, record) =>
      client.write(
        (master) => {
          record.port = master.options.port;
          record.attempts++;
          return master.set(key, value);
        },
        { idempotent: true },
      ),
    close: () => client.close(),
  };
  client.on('error', (error) => {
    subject.errors++;
    subject.events.push({ at: now(), what: `error: ${error.message}` });
  });
  client.on('topology-change', (event) => {
    const at = now();
    switch (event.type) {
      case 'MASTER_CHANGE': {
        const offset = dateOffset();
        const toClock = (t: number | undefined) => (t === undefined ? undefined : t - offset);
        const timings = event.timings && {
          ...event.timings,
          lostAt: toClock(event.timings.lostAt),
          announcedAt: toClock(event.timings.announcedAt),
          switchedAt: event.timings.switchedAt - offset,
        };
        subject.masterChanges.push({
          reason: event.reason,
          switchedAt: event.switchedAt - offset,
          timings,
        });
        subject.events.push({
          at,
          what: `MASTER_CHANGE ${event.reason} → ${event.current.port} ${JSON.stringify(event.timings ?? {})}`,
        });
        break;
      }
      case 'MASTER_LOST':
        subject.events.push({ at, what: `MASTER_LOST ${event.previous.port} ${event.reason}` });
        break;
      case 'REPLICA_ADD':
        subject.events.push({ at, what: `REPLICA_ADD ${event.replica.port}` });
        break;
      case 'REPLICA_REMOVE':
        subject.events.push({ at, what: `REPLICA_REMOVE ${event.replica.port} ${event.reason}` });
        break;
      case 'SENTINEL_LIST_CHANGE':
        subject.events.push({ at, what: 'SENTINEL_LIST_CHANGE' });
        break;
    }
  });
  await client.connect();
  return subject;
}

async function connectIoredis(
  topology: SentinelTopology,
  failoverDetector: boolean,
): Promise<Subject> {
  // ioredis's defaults, as an application would write it; only the detector differs.
  const redis = new Redis({
    sentinels: topology.sentinels,
    name: topology.masterName,
    ...(failoverDetector && { failoverDetector: true }),
  });
  const subject: Subject = {
    events: [],
    masterChanges: [],
    errors: 0,
    send: (key, value) => redis.set(key, value),
    close: async () => {
      if (redis.status === 'end') return;
      const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
      redis.disconnect();
      await Promise.race([ended, sleep(2000)]);
    },
  };
  redis.on('error', (error: Error) => {
    subject.errors++;
    subject.events.push({ at: now(), what: `error: ${error.message}` });
  });
  for (const name of ['connect', 'ready', 'close', 'reconnecting', 'end'] as const) {
    redis.on(name, () => {
      const stream = redis.stream as { remotePort?: number } | undefined;
      subject.events.push({ at: now(), what: `${name} ${stream?.remotePort ?? ''}`.trim() });
    });
  }
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('ioredis not ready within 10 s')), 10_000);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return subject;
}

function connectClient(id: ClientId, topology: SentinelTopology): Promise<Subject> {
  switch (id) {
    case 'sentinelkit':
      return connectSentinelkit(topology);
    case 'ioredis':
      return connectIoredis(topology, false);
    case 'ioredis-detector':
      return connectIoredis(topology, true);
  }
}

// -------------------------------------------------------------------- runs

interface RunResult {
  fault: Fault;
  client: ClientId;
  run: number;
  /** Position of the client in this run's order (1-based). */
  position: number;
  /** Milliseconds from the fault to the first `+switch-master`. */
  switchAfterFault: number;
  /** First write issued after the fault that succeeded, at its completion, minus the switch. */
  firstSuccess: number | undefined;
  /** The same, among writes whose value is on the final master. */
  firstKept: number | undefined;
  issued: number;
  acked: number;
  failed: number;
  /** Neither acknowledged nor failed when the run ended plus {@link SETTLE_MS}. */
  unsettled: number;
  /** Acknowledged writes whose key is absent or holds another value on the final master. */
  missing: number;
  /** Of those, acknowledged after the switch. */
  missingAfterSwitch: number;
  /** `+switch-master` announcements for our name after the fault, counted once per new master. */
  switches: number;
  /** Failed writes by error message. */
  errors: Record<string, number>;
  /** sentinelkit: the MASTER_CHANGE after the fault. */
  change: MasterChange | undefined;
  /** sentinelkit: writes that succeeded on the old master after the fault. */
  oldMasterAcks: number;
  switchAt: number;
  faultAt: number;
  thawAt: number | undefined;
  healthyAt: number | undefined;
}

interface Trace {
  result: RunResult;
  sentinelEvents: { at: number; sentinel: string; type: string; message: string }[];
  clientEvents: ClientEvent[];
  writes: WriteRecord[];
}

const traces: Trace[] = [];

/** Every run's writes and which acknowledged ones were missing afterwards, for the pictures. */
const runWrites = new Map<RunResult, { writes: readonly WriteRecord[]; missing: Set<number> }>();

/** Acknowledged keys read back with MGET on `node`: the records whose value is not there. */
async function missingOn(node: TopologyNode, acked: readonly WriteRecord[]): Promise<Set<number>> {
  const redis = new Redis({
    host: node.host,
    port: node.port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    commandTimeout: 10_000,
  });
  redis.on('error', () => {});
  const missing = new Set<number>();
  try {
    await redis.connect();
    for (let start = 0; start < acked.length; start += 1000) {
      const batch = acked.slice(start, start + 1000);
      const values = await redis.mget(batch.map((r) => `key_${r.i}`));
      for (const [j, record] of batch.entries()) {
        if (values[j] !== String(record.i)) missing.add(record.i);
      }
    }
  } finally {
    redis.disconnect();
  }
  return missing;
}

async function runOnce(
  fault: Fault,
  clientId: ClientId,
  run: number,
  position: number,
): Promise<RunResult> {
  // Local processes, whatever $SENTINELKIT_BACKEND says: containers would add
  // their own networking and make runs incomparable.
  const topology = await startSentinelTopology({ backend: 'process' });
  let subject: Subject | undefined;
  let writer: Writer | undefined;
  try {
    const before = await topology.currentMaster();
    subject = await connectClient(clientId, topology);
    writer = new Writer(subject.send, RATE);
    writer.start();
    await sleep(BEFORE_FAULT_MS);
    const old = fault === 'kill' ? await topology.killMaster() : await topology.freezeMaster();
    // Writes issued from here on cannot be answered by the old master before the switch.
    const faultAt = now();
    if (old !== before) throw new Error(`the master moved before the fault (${before} → ${old})`);
    const switched = await topology.waitForSwitch({ timeoutMs: 30_000 });
    let thawAt: number | undefined;
    let healthyAt: number | undefined;
    if (fault === 'kill') {
      await sleep(switched.at + AFTER_KILL_SWITCH_MS - now());
    } else {
      await sleep(switched.at + THAW_AFTER_SWITCH_MS - now());
      await topology.thaw(old);
      thawAt = now();
      await topology.waitForHealthy({ timeoutMs: 60_000 });
      healthyAt = now();
      await sleep(AFTER_HEALTHY_MS);
    }
    writer.stop();
    const unsettled = await writer.settle(SETTLE_MS);
    const records = writer.records;
    const acked = records.filter((r) => r.ok === true);
    const final = await topology.currentMaster();
    const missing = await missingOn(final, acked);

    const afterFault = acked.filter((r) => r.issuedAt >= faultAt);
    const firstDone = (list: readonly WriteRecord[]) =>
      list.reduce<number | undefined>(
        (min, r) => (min === undefined || (r.doneAt ?? Infinity) < min ? r.doneAt : min),
        undefined,
      );
    const first = firstDone(afterFault);
    const firstKept = firstDone(afterFault.filter((r) => !missing.has(r.i)));
    const errors: Record<string, number> = {};
    for (const r of records) {
      if (r.ok === false) {
        const key = (r.error ?? 'unknown').replace(/\d+\.\d+\.\d+\.\d+:\d+/g, '<node>');
        errors[key] = (errors[key] ?? 0) + 1;
      }
    }
    const announced = new Set(
      topology.events
        .filter(
          (e) =>
            e.type === '+switch-master' &&
            e.at >= faultAt &&
            e.message.startsWith(`${topology.masterName} `),
        )
        .map((e) => e.message.split(' ').slice(3).join(':')),
    );
    const change = subject.masterChanges.find((c) => c.switchedAt >= faultAt);
    const result: RunResult = {
      fault,
      client: clientId,
      run,
      position,
      switchAfterFault: switched.at - faultAt,
      firstSuccess: first === undefined ? undefined : first - switched.at,
      firstKept: firstKept === undefined ? undefined : firstKept - switched.at,
      issued: records.length,
      acked: acked.length,
      failed: records.filter((r) => r.ok === false).length,
      unsettled,
      missing: missing.size,
      missingAfterSwitch: acked.filter((r) => missing.has(r.i) && (r.doneAt ?? 0) >= switched.at)
        .length,
      switches: announced.size,
      errors,
      change,
      oldMasterAcks: afterFault.filter((r) => r.port === old.port).length,
      switchAt: switched.at,
      faultAt,
      thawAt,
      healthyAt,
    };
    runWrites.set(result, { writes: records, missing });
    if (TRACE_PATH) {
      traces.push({
        result,
        sentinelEvents: topology.events.map((e) => ({
          at: e.at,
          sentinel: e.sentinel.name,
          type: e.type,
          message: e.message,
        })),
        clientEvents: subject.events,
        writes: records,
      });
    }
    return result;
  } finally {
    writer?.stop();
    await subject?.close().catch(() => undefined);
    await topology.stop();
  }
}

/** One run; a run that breaks (a topology that fails to start, no failover) is repeated once. */
async function runWithRetry(
  fault: Fault,
  clientId: ClientId,
  run: number,
  position: number,
  notes: string[],
): Promise<RunResult> {
  try {
    return await runOnce(fault, clientId, run, position);
  } catch (error) {
    const note = `${fault} run ${run}, ${clientId}: ${messageOf(error)}; repeated`;
    console.error(note);
    notes.push(note);
    return runOnce(fault, clientId, run, position);
  }
}

// ----------------------------------------------------------------- figures

/** Linear-interpolated quantile `q` (0–1) of `values`. */

const fmtMs = (n: number) => (Math.round(n) || 0).toLocaleString('en-US');
const fmtInt = (n: number) => n.toLocaleString('en-US');
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

interface Spread {
  median: number;
  min: number;
  max: number;
  /** Runs without a value (no such write within the run). */
  none: number;
}

function spread(values: readonly (number | undefined)[]): Spread | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  if (defined.length === 0) return undefined;
  return {
    median: median(defined),
    min: Math.min(...defined),
    max: Math.max(...defined),
    none: values.length - defined.length,
  };
}

function fmtSpread(values: readonly (number | undefined)[]): string {
  const s = spread(values);
  if (!s) return `none within the run (${values.length} of ${values.length})`;
  const text = `${fmtMs(s.median)} / ${fmtMs(s.min)} / ${fmtMs(s.max)}`;
  return s.none === 0 ? text : `${text} (none in ${s.none} of ${values.length})`;
}

/** A markdown table, padded the way `biome format` pads one. */

const byClient = (results: readonly RunResult[], fault: Fault, client: ClientId) =>
  results.filter((r) => r.fault === fault && r.client === client);

function summaryTable(results: readonly RunResult[], fault: Fault): string {
  return markdownTable(
    [
      'Client',
      'First write − `+switch-master`, ms: median / min / max',
      'First write kept on the final master − `+switch-master`, ms',
      'Failed writes',
      'Acknowledged writes missing',
    ],
    CLIENTS.map((client) => {
      const runs = byClient(results, fault, client);
      return [
        CLIENT_LABELS[client],
        fmtSpread(runs.map((r) => r.firstSuccess)),
        fmtSpread(runs.map((r) => r.firstKept)),
        fmtInt(sum(runs.map((r) => r.failed))),
        fmtInt(sum(runs.map((r) => r.missing))),
      ];
    }),
  );
}

const orNone = (n: number | undefined) => (n === undefined ? 'none' : fmtMs(n));

function rawTable(results: readonly RunResult[]): string {
  return markdownTable(
    [
      'Fault',
      'Run',
      'Client (position)',
      'Switch − fault',
      'First write − switch',
      'First kept − switch',
      'Issued',
      'Acked',
      'Failed',
      'Unsettled',
      'Missing (of which acked after the switch)',
      'Switches',
    ],
    results.map((r) => [
      r.fault,
      String(r.run),
      `${r.client} (${r.position})`,
      fmtMs(r.switchAfterFault),
      orNone(r.firstSuccess),
      orNone(r.firstKept),
      fmtInt(r.issued),
      fmtInt(r.acked),
      fmtInt(r.failed),
      fmtInt(r.unsettled),
      `${fmtInt(r.missing)} (${fmtInt(r.missingAfterSwitch)})`,
      String(r.switches),
    ]),
  );
}

/** sentinelkit's MASTER_CHANGE of each run, on the benchmark's clock (its stamps are Date.now(), 1 ms). */
function timingsTable(results: readonly RunResult[]): string {
  const since = (t: number | undefined, from: number | undefined) =>
    t === undefined || from === undefined ? 'none' : fmtMs(t - from);
  return markdownTable(
    [
      'Fault',
      'Run',
      'Reason',
      '`lostAt` − fault',
      '`announcedAt` − switch',
      '`switchedAt` − `announcedAt`',
      'First write − `switchedAt`',
      'Queued / retried / rejected',
      'Acked by the old master after the fault',
    ],
    results
      .filter((r) => r.client === 'sentinelkit')
      .map((r) => {
        const t = r.change?.timings;
        const first = r.firstSuccess === undefined ? undefined : r.switchAt + r.firstSuccess;
        return [
          r.fault,
          String(r.run),
          r.change?.reason ?? 'no MASTER_CHANGE',
          since(t?.lostAt, r.faultAt),
          since(t?.announcedAt, r.switchAt),
          since(t?.switchedAt, t?.announcedAt),
          since(first, t?.switchedAt),
          t ? `${t.queued} / ${t.retried} / ${t.rejected}` : '',
          fmtInt(r.oldMasterAcks),
        ];
      }),
  );
}

function errorList(results: readonly RunResult[]): string {
  const lines: string[] = [];
  for (const fault of FAULTS) {
    for (const client of CLIENTS) {
      const counts: Record<string, number> = {};
      for (const r of byClient(results, fault, client)) {
        for (const [message, n] of Object.entries(r.errors)) {
          counts[message] = (counts[message] ?? 0) + n;
        }
      }
      for (const [message, n] of Object.entries(counts)) {
        lines.push(`- ${fault}, ${client}: ${fmtInt(n)} × \`${message.replaceAll('`', "'")}\``);
      }
    }
  }
  return lines.length === 0 ? 'No write failed.' : `Failed writes by error:\n\n${lines.join('\n')}`;
}

interface Goal {
  text: string;
  met: boolean;
  detail: string;
}

function goals(results: readonly RunResult[]): Goal[] {
  const list: Goal[] = [];
  if (!CLIENTS.includes('sentinelkit')) return list;
  for (const fault of FAULTS) {
    const runs = byClient(results, fault, 'sentinelkit');
    const s = spread(runs.map((r) => r.firstSuccess));
    const all = s !== undefined && s.none === 0;
    list.push(
      {
        text: `${fault}: first write ≤ ${GOAL_MEDIAN_MS} ms after \`+switch-master\`, median`,
        met: all && s.median <= GOAL_MEDIAN_MS,
        detail: s ? `${fmtMs(s.median)} ms` : 'no write succeeded',
      },
      {
        text: `${fault}: first write ≤ ${GOAL_WORST_MS} ms after \`+switch-master\`, worst run`,
        met: all && s.max <= GOAL_WORST_MS,
        detail: s ? `${fmtMs(s.max)} ms` : 'no write succeeded',
      },
    );
  }
  for (const fault of FAULTS) {
    const failed = sum(byClient(results, fault, 'sentinelkit').map((r) => r.failed));
    list.push({
      text: `${fault}: 0 failed idempotent writes`,
      met: failed === 0,
      detail: fmtInt(failed),
    });
  }
  if (FAULTS.includes('freeze')) {
    const missing = sum(byClient(results, 'freeze', 'sentinelkit').map((r) => r.missing));
    list.push({
      text: 'freeze: 0 acknowledged writes missing after the freeze and thaw',
      met: missing === 0,
      detail: fmtInt(missing),
    });
  }
  return list;
}

function goalList(list: readonly Goal[]): string {
  return list
    .map((g) => `- ${g.text}: ${g.detail} — ${g.met ? '**met** ✓' : '**not met** ✗'}`)
    .join('\n');
}

function timingsLine(results: readonly RunResult[], fault: Fault): string {
  const runs = byClient(results, fault, 'sentinelkit');
  const gap = spread(
    runs.map((r) => {
      const t = r.change?.timings;
      return t?.announcedAt === undefined ? undefined : t.switchedAt - t.announcedAt;
    }),
  );
  const after = spread(
    runs.map((r) => {
      const t = r.change?.timings;
      return t === undefined || r.firstSuccess === undefined
        ? undefined
        : r.switchAt + r.firstSuccess - t.switchedAt;
    }),
  );
  const fmt = (x: Spread | undefined) =>
    x ? `${fmtMs(x.median)} / ${fmtMs(x.min)} / ${fmtMs(x.max)} ms` : 'n/a';
  return `- ${fault}: \`switchedAt − announcedAt\` ${fmt(gap)}; first write completed ${fmt(after)} after \`switchedAt\` (median / min / max).`;
}

function optionsTable(): string {
  return markdownTable(
    ['Property', 'Default', 'Description'],
    [
      ['`BENCH_RUNS`', '`5`', 'Runs per fault and client.'],
      [
        '`BENCH_FAULTS`',
        `\`${FAULT_IDS.join(',')}\``,
        'Faults to run. A subset prints the tables and leaves this page untouched.',
      ],
      [
        '`BENCH_CLIENTS`',
        `\`${CLIENT_IDS.join(',')}\``,
        'Clients to run. A subset prints the tables and leaves this page untouched.',
      ],
      ['`BENCH_DOCS`', '`1`', '`0` prints the tables without rewriting this page.'],
      [
        '`BENCH_TRACE`',
        '(none)',
        "A file to write every run's sentinel events, client events and writes to, as JSON.",
      ],
      [
        '`BENCH_PICTURES`',
        '`0`',
        '`1` draws `docs/failover-<fault>.svg` also when this page is not rewritten (they are drawn whenever it is).',
      ],
    ],
  );
}

/** Rewraps the plain paragraphs of `markdown` (not lists, tables, code, HTML or comments) at `width`. */
function reflow(markdown: string, width = 100): string {
  return markdown
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      if (/^(\||`{3}|<|#)/.test(block)) return block;
      // List items wrap with their continuation lines indented.
      if (block.startsWith('- ')) {
        return block
          .split(/\n(?=- )/)
          .map((item) => wrap(item.slice(2), width - 2).replaceAll('\n', '\n  '))
          .map((item) => `- ${item}`)
          .join('\n');
      }
      return wrap(block, width);
    })
    .join('\n\n');
}

function section(
  results: readonly RunResult[],
  machine: Machine,
  date: string,
  notes: readonly string[],
): string {
  const perFault = FAULTS.map(
    (fault) =>
      `### ${FAULT_LABELS[fault]}\n\n${summaryTable(results, fault)}\n\n![${FAULT_LABELS[fault]}: acknowledged writes per ${PICTURE_BUCKET_MS} ms around the fault, one panel per client (its median run), with the fault, +switch-master${fault === 'freeze' ? ' and the thaw' : ''} marked](${pictureName(fault)})`,
  ).join('\n\n');
  const goalsList = goals(results);
  return reflow(`Goals (issue 4), for sentinelkit: the first successful write **≤ ${GOAL_MEDIAN_MS} ms (median) and ≤ ${GOAL_WORST_MS} ms (worst run) after \`+switch-master\`**, for a kill and for a freeze of the master; **0 failed idempotent writes**; **0 acknowledged writes missing** after a freeze and thaw of the master. ioredis is measured in the same run for comparison.

Reproduce with:

\`\`\`sh
${COMMAND}
\`\`\`

Each run starts its own topology (\`startSentinelTopology({ backend: 'process' })\`: 1 master, 2 replicas, 3 sentinels, each a \`redis-server\` process on 127.0.0.1; \`down-after-milliseconds\` ${DOWN_AFTER_MS}, \`failover-timeout\` ${FAILOVER_TIMEOUT_MS}), connects one client and writes \`SET key_i i\` at ${RATE}/s from a timer that never waits for earlier writes (sentinelkit: \`write((m) => m.set(key, i), { idempotent: true })\`; ioredis: \`redis.set(key, i)\`, with its default options, or \`failoverDetector: true\`). After ${BEFORE_FAULT_MS / 1000} s of writes the master is killed (SIGKILL) or frozen (SIGSTOP: sockets stay open, nothing answers). Kill: the run goes on ${AFTER_KILL_SWITCH_MS / 1000} s after \`+switch-master\`. Freeze: the old master is thawed (SIGCONT) ${THAW_AFTER_SWITCH_MS / 1000} s after \`+switch-master\`, and the run goes on until the topology is healthy again (every sentinel sees the old master as a replica of the new one) plus ${AFTER_HEALTHY_MS / 1000} s. Then the timer stops, pending writes get up to ${SETTLE_MS / 1000} s to settle, and every acknowledged key is read back with \`MGET\` directly on the final master. ${RUNS} run${RUNS === 1 ? '' : 's'} per fault and client; within a fault the three clients take turns run by run, in an order that rotates, so that load from other work on the machine spreads over all of them.

- **\`+switch-master\`**: when the first sentinel's \`+switch-master\` for \`mymaster\` reached the benchmark's own subscription (\`topology.waitForSwitch().at\`), on the clock the writes are timed with.
- **First write − \`+switch-master\`**: of the writes issued after the fault (after SIGKILL returned, or SIGSTOP was sent), the one that succeeded first, at the moment its promise resolved, minus \`+switch-master\`. It can be negative: once the promoted replica reports itself master, the sentinel leading the failover already names it in \`SENTINEL get-master-addr-by-name\`, before any sentinel publishes \`+switch-master\`, so a client that asks Sentinel then can write to the new master early. "none": no write issued after the fault succeeded within the run.
- **First write kept on the final master**: the same, among writes whose value is on the final master afterwards. It differs from the column before when the old master answered writes after it was thawed and then lost them when it was demoted.
- **Failed writes**: writes whose promise rejected (total over the runs).
- **Acknowledged writes missing**: writes whose promise resolved but whose key is absent or holds another value on the final master (total over the runs). After a kill this includes what asynchronous replication had not yet copied when the master died.

Last run: ${date}; ${machine.cpus}; Node ${machine.node}; redis-server ${machine.redis}; ioredis ${machine.ioredis}; ${machine.os}. Load average ${machine.loadBefore} before and ${machine.loadAfter} after: the machine is shared, and other work ran alongside.

${perFault}

${goalsList.length === 0 ? '' : `Goals for sentinelkit:\n\n${goalList(goalsList)}`}

${CLIENTS.includes('sentinelkit') ? `sentinelkit's own \`MASTER_CHANGE\` timings: from the first \`+switch-master\` reaching the client (\`announcedAt\`) to writes going to the new master, verified with \`ROLE\` (\`switchedAt\`), and from there to the first write's answer (the writes held during the failover are all sent at once):\n\n${FAULTS.map((f) => timingsLine(results, f)).join('\n')}` : ''}

<details>
<summary>Raw numbers, run by run</summary>

Milliseconds. "Switches": distinct new masters announced by \`+switch-master\` after the fault (2 means Sentinel failed over twice). "Unsettled": writes neither acknowledged nor failed ${SETTLE_MS / 1000} s after the run ended.

${rawTable(results)}

${CLIENTS.includes('sentinelkit') ? `sentinelkit's \`MASTER_CHANGE\` of each run, on the benchmark's clock (the client stamps with \`Date.now()\`, so ±1 ms). \`lostAt\`: when it stopped sending to the old master or started holding writes, "none" if it heard of the failover only from \`+switch-master\`; \`announcedAt\`: "none" when a Sentinel answer named the new master before any \`+switch-master\` reached the client (reason \`reconnect\`).\n\n${timingsTable(results)}` : ''}

${errorList(results)}${notes.length === 0 ? '' : `\n\nRuns repeated after an error:\n\n${notes.map((n) => `- ${n}`).join('\n')}`}

</details>

Environment variables read by \`bench/failover.ts\`:

${optionsTable()}`);
}

// ---------------------------------------------------------------- pictures

const FAULT_VERBS: Record<Fault, string> = {
  kill: 'kill (SIGKILL)',
  freeze: 'freeze (SIGSTOP)',
};

/** The run of a client whose first write after the switch is the median one (none: last). */
function medianRun(results: readonly RunResult[]): RunResult | undefined {
  const sorted = [...results].sort(
    (a, b) => (a.firstSuccess ?? Infinity) - (b.firstSuccess ?? Infinity),
  );
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * One panel per client, each its median run, aligned on the fault: acknowledged writes (and
 * failed ones) per 50 ms, with the fault, `+switch-master` and the thaw marked.
 */
function picture(results: readonly RunResult[], fault: Fault): string | undefined {
  const drawn = CLIENTS.map((client) => medianRun(byClient(results, fault, client))).filter(
    (r): r is RunResult => r !== undefined,
  );
  if (drawn.length === 0) return undefined;
  const panels: TimelinePanel[] = drawn.map((r) => {
    const { writes, missing } = runWrites.get(r) ?? { writes: [], missing: new Set<number>() };
    const acked = writes.filter((w) => w.ok === true);
    const markers: TimelineMarker[] = [
      { at: r.faultAt, label: FAULT_VERBS[fault], kind: 'fault' },
      { at: r.switchAt, label: '+switch-master', kind: 'switch' },
    ];
    if (r.thawAt !== undefined) markers.push({ at: r.thawAt, label: 'thaw', kind: 'thaw' });
    return {
      label: `${CLIENT_LABELS[r.client]} (run ${r.run}, the median): first write ${orNone(r.firstSuccess)} ms after +switch-master; ${fmtInt(r.failed)} failed, ${fmtInt(r.missing)} acknowledged but missing`,
      origin: r.faultAt,
      ok: acked.filter((w) => !missing.has(w.i)).map((w) => w.doneAt ?? 0),
      failed: writes.filter((w) => w.ok === false).map((w) => w.doneAt ?? 0),
      lost: acked.filter((w) => missing.has(w.i)).map((w) => w.doneAt ?? 0),
      markers,
    };
  });
  // Up to the last of: the switch + 1.5 s, each first write after the switch + 1 s, the thaw + 1.5 s.
  const ends = drawn.flatMap((r) => [
    r.switchAfterFault + 1500,
    r.firstSuccess === undefined ? 0 : r.switchAfterFault + r.firstSuccess + 1000,
    r.thawAt === undefined ? 0 : r.thawAt - r.faultAt + 1500,
  ]);
  const toMs = Math.ceil(Math.max(...ends) / 500) * 500;
  const svg = renderTimelineSvg(panels, {
    title: `${FAULT_LABELS[fault]}: acknowledged writes around the fault (${RATE} writes/s issued)`,
    counting: 'acknowledged writes',
    fromMs: -BEFORE_FAULT_MS,
    toMs,
    bucketMs: PICTURE_BUCKET_MS,
  });
  // The picture must add up to the figures in the tables: per panel, the writes it shows plus
  // those outside the window drawn are the run's acknowledged-and-kept, missing and failed writes.
  for (const [i, shown] of readTimelineSvg(svg).entries()) {
    const panel = panels[i]!;
    const r = drawn[i]!;
    const outside = (times: readonly number[] = []) =>
      times.filter((at) => at - panel.origin < -BEFORE_FAULT_MS || at - panel.origin >= toMs)
        .length;
    const got = [
      sum(shown.ok) + outside(panel.ok),
      sum(shown.lost) + outside(panel.lost),
      sum(shown.failed) + outside(panel.failed),
    ];
    const expected = [r.acked - r.missing, r.missing, r.failed];
    if (got.join() !== expected.join()) {
      throw new Error(
        `the ${fault} picture of ${CLIENT_LABELS[r.client]} adds up to ${got} (kept, lost, failed), the run to ${expected}`,
      );
    }
  }
  return svg;
}

async function redisServerVersion(): Promise<string> {
  const topology = await startSentinelTopology({ backend: 'process' });
  const master = await topology.currentMaster();
  const redis = new Redis({ host: master.host, port: master.port, lazyConnect: true });
  try {
    await redis.connect();
    return redisVersion(await redis.info('server'));
  } finally {
    redis.disconnect();
    await topology.stop();
  }
}

function describe(r: RunResult): string {
  const t = r.change?.timings;
  const kit =
    r.client === 'sentinelkit' && t
      ? `; MASTER_CHANGE ${r.change?.reason} switched − announced ${
          t.announcedAt === undefined ? 'n/a' : (t.switchedAt - t.announcedAt).toFixed(1)
        } ms, queued ${t.queued} retried ${t.retried} rejected ${t.rejected}`
      : '';
  return `switch +${fmtMs(r.switchAfterFault)} ms after fault; first write ${orNone(r.firstSuccess)} ms, kept ${orNone(r.firstKept)} ms; ${r.acked}/${r.issued} acked, ${r.failed} failed, ${r.unsettled} unsettled, ${r.missing} missing; ${r.switches} switch(es)${kit}`;
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const cpus = cpuDescription();
  const total = FAULTS.length * RUNS * CLIENTS.length;
  console.log(
    `failover: ${FAULTS.join(', ')} × ${CLIENTS.join(', ')} × ${RUNS} runs (${total} runs); ${cpus}; load ${loadBefore}`,
  );
  const redis = await redisServerVersion();
  const results: RunResult[] = [];
  const notes: string[] = [];
  let done = 0;
  for (const fault of FAULTS) {
    for (let run = 1; run <= RUNS; run++) {
      // Rotate the order run by run, so no client always goes first or last.
      const order = CLIENTS.map((_, i) => CLIENTS[(i + run - 1) % CLIENTS.length]!);
      for (const [i, client] of order.entries()) {
        const result = await runWithRetry(fault, client, run, i + 1, notes);
        results.push(result);
        done++;
        console.log(`[${done}/${total}] ${fault} run ${run} ${client}: ${describe(result)}`);
      }
    }
  }
  const machine: Machine = {
    cpus,
    node: process.version,
    redis,
    ioredis: createRequire(import.meta.url)('ioredis/package.json').version,
    os: `${os.type()} ${os.release()}`,
    loadBefore,
    loadAfter: loadAverage(),
  };
  const body = section(results, machine, new Date().toISOString().slice(0, 10), notes);
  console.log(`\n${body}\n`);
  if (TRACE_PATH) {
    await writeFile(TRACE_PATH, JSON.stringify(traces));
    console.log(`wrote ${TRACE_PATH}`);
  }
  if (WRITE_DOCS) {
    await writeDocsSection({
      path: DOCS_PATH,
      startMarker: START_MARKER,
      endMarker: END_MARKER,
      script: 'bench/failover.ts',
      command: COMMAND,
      heading: 'Failover',
      body: body,
    });
    console.log(`wrote ${DOCS_PATH}`);
  }
  if (WRITE_DOCS || PICTURES) {
    for (const fault of FAULTS) {
      const svg = picture(results, fault);
      if (!svg) continue;
      await writeFile(picturePath(fault), svg);
      console.log(`wrote ${picturePath(fault)}`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
