/**
 * `pnpm demo`: what sentinelkit is for, in one command.
 *
 * Starts a Sentinel topology on 127.0.0.1 (1 master, 2 replicas, 3 sentinels),
 * the example Express app (sessions + a cached route) on one Sentinel client,
 * and virtual users that log in and keep browsing; kills the master part-way
 * through; shows a live status line; and ends with a report of the failover as
 * Sentinel and sentinelkit saw it, failed requests and lost sessions (the goal
 * is zero of each), then writes the run as a picture (requests answered per 100 ms, failures,
 * the kill, Sentinel's switch and the master in use) to an SVG file it names (--report, default
 * sentinelkit-demo.svg). With SENTINEL_LOCATION (or --location) it runs against that deployment
 * instead and kills nothing.
 */
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createSentinelClient, formatAddress, type TopologyEvent } from '@sentinelkit/core';
import {
  renderTimelineSvg,
  type SentinelTopology,
  type SwitchEvent,
  startSentinelTopology,
  type TimelineMarker,
} from '@sentinelkit/testing';
import { createExampleApp } from './app.js';

const { values } = parseArgs({
  options: {
    location: { type: 'string' },
    duration: { type: 'string', default: '12' },
    'kill-at': { type: 'string', default: '4' },
    users: { type: 'string', default: '20' },
    report: { type: 'string', default: 'sentinelkit-demo.svg' },
  },
});
const location = values.location ?? process.env.SENTINEL_LOCATION;
const durationMs = Number(values.duration) * 1000;
const killAtMs = Number(values['kill-at']) * 1000;
const userCount = Number(values.users);
const tty = process.stdout.isTTY;

const say = (line: string) => console.log(line);

let topology: SentinelTopology | undefined;
if (location) {
  say(`Running against ${location.replace(/:\/\/[^@/]*@/, '://***@')} — nothing will be killed.`);
} else {
  say('Starting a Sentinel topology on 127.0.0.1: 1 master, 2 replicas, 3 sentinels …');
  topology = await startSentinelTopology();
  say(`  ready: ${topology.location}`);
}

const client = createSentinelClient(location ?? topology!.location);
const masterChanges: Extract<TopologyEvent, { type: 'MASTER_CHANGE' }>[] = [];
client.on('topology-change', (e) => {
  if (e.type === 'MASTER_CHANGE' && e.reason !== 'discovered') masterChanges.push(e);
});
await client.connect();
const example = createExampleApp(client);
const server = example.app.listen(0, '127.0.0.1');
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
say(`Example app on ${base}; ${userCount} users log in and browse for ${durationMs / 1000} s.`);

// ------------------------------------------------------------------ load
const stats = { requests: 0, failed: 0, sessionsLost: 0, window: 0, failures: [] as string[] };
// When each response came back and each failure happened, for the picture.
const answeredAt: number[] = [];
const failedAt: number[] = [];
let running = true;
const startedAt = Date.now();
let killedAt: number | undefined;

async function request(
  path: string,
  init: RequestInit & { cookie?: string } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set('cookie', init.cookie);
  const response = await fetch(`${base}${path}`, { ...init, headers, redirect: 'manual' });
  stats.requests++;
  stats.window++;
  answeredAt.push(Date.now());
  return response;
}

function failure(what: string): void {
  stats.failed++;
  failedAt.push(Date.now());
  if (stats.failures.length < 10)
    stats.failures.push(`${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${what}`);
}

async function user(name: string): Promise<void> {
  const login = await request(`/login?user=${name}`, { method: 'POST' });
  const cookie = login.headers.get('set-cookie')?.split(';')[0];
  if (login.status !== 303 || !cookie) return failure(`login of ${name}: HTTP ${login.status}`);
  let visits = 0;
  while (running) {
    try {
      const me = await request('/me', { cookie });
      if (me.status === 401) {
        stats.sessionsLost++;
        return failure(`${name} was logged out`);
      }
      const body = (await me.json()) as { user?: string; visits?: number };
      if (me.status !== 200 || body.user !== name) failure(`/me for ${name}: HTTP ${me.status}`);
      else visits = body.visits ?? visits;
      const item = await request(`/items/${Math.floor(Math.random() * 50)}`, { cookie });
      if (item.status !== 200) failure(`/items: HTTP ${item.status}`);
      await item.arrayBuffer();
    } catch (error) {
      failure(`${name}: ${(error as Error).message}`);
    }
  }
}

const users = Array.from({ length: userCount }, (_, i) => user(`user${i}`));

// ---------------------------------------------------------- status line
function statusLine(): string {
  const t = ((Date.now() - startedAt) / 1000).toFixed(1);
  const snapshot = client.topology();
  const master = snapshot.master ? formatAddress(snapshot.master.address) : 'none (failover)';
  const s = client.stats();
  const reads = [
    `master ${s.masterReads}`,
    ...Object.entries(s.replicaReads).map(([node, n]) => `${node} ${n}`),
  ].join(', ');
  return `t=${t.padStart(5)} s  ${String(stats.window * 2).padStart(5)} req/s  errors ${stats.failed}  sessions lost ${stats.sessionsLost}  master ${master}  reads: ${reads}`;
}
const ticker = setInterval(() => {
  const line = statusLine();
  stats.window = 0;
  if (tty) process.stdout.write(`\r\x1b[2K${line}`);
  else say(line);
}, 500);

// ---------------------------------------------------------------- fault
let switched: Promise<SwitchEvent> | undefined;
const firstMaster = client.topology().master?.address;
if (topology) {
  await new Promise<void>((resolve) => setTimeout(resolve, killAtMs));
  const old = await topology.killMaster();
  killedAt = Date.now();
  if (tty) process.stdout.write('\n');
  say(
    `>>> killed the master ${old.address} (SIGKILL) at t=${((killedAt - startedAt) / 1000).toFixed(1)} s`,
  );
  switched = topology.waitForSwitch();
}
await new Promise<void>((resolve) =>
  setTimeout(resolve, Math.max(0, startedAt + durationMs - Date.now())),
);
running = false;
await Promise.all(users);
clearInterval(ticker);
if (tty) process.stdout.write(`\r\x1b[2K${statusLine()}\n`);

// --------------------------------------------------------------- report
say('\n=== sentinelkit demo report ===');
say(`requests: ${stats.requests}, failed: ${stats.failed}, sessions lost: ${stats.sessionsLost}`);
if (switched && killedAt !== undefined) {
  const sw = await switched;
  say(
    `Sentinel announced +switch-master ${(sw.at - killedAt).toFixed(0)} ms after the kill (new master ${sw.master.address})`,
  );
  const change = masterChanges[0];
  if (change?.timings) {
    const announced = change.timings.announcedAt ?? sw.at;
    say(
      `sentinelkit moved writes ${Math.max(0, change.switchedAt - announced).toFixed(0)} ms after that; ` +
        `${change.timings.queued} operations waited for the new master, ${change.timings.retried} were retried, ${change.timings.rejected} rejected`,
    );
  }
  if (masterChanges.length > 1)
    say(`(Sentinel failed over ${masterChanges.length} times; each switch was followed.)`);
}
for (const f of stats.failures) say(`  failure: ${f}`);

// --------------------------------------------------------------- picture
const endedAt = Date.now();
const origin = killedAt ?? startedAt;
const markers: TimelineMarker[] = [];
if (firstMaster) {
  markers.push({ at: startedAt, label: `master ${formatAddress(firstMaster)}`, kind: 'note' });
}
if (killedAt !== undefined) markers.push({ at: killedAt, label: 'kill (SIGKILL)', kind: 'fault' });
if (switched) markers.push({ at: (await switched).at, label: '+switch-master', kind: 'switch' });
for (const change of masterChanges) {
  markers.push({
    at: change.switchedAt,
    label: `writes → ${formatAddress(change.current)}`,
    kind: 'note',
  });
}
const reportPath = resolve(values.report);
await writeFile(
  reportPath,
  renderTimelineSvg(
    [
      {
        label: `${userCount} users: ${stats.requests} requests answered, ${stats.failed} failed, ${stats.sessionsLost} sessions lost`,
        origin,
        ok: answeredAt,
        failed: failedAt,
        markers,
      },
    ],
    {
      title: 'pnpm demo: the example app through a failover',
      counting: 'requests answered',
      fromMs: Math.floor((startedAt - origin) / 100) * 100,
      toMs: Math.ceil((endedAt - origin) / 100) * 100,
      bucketMs: 100,
      axisLabel: killedAt === undefined ? 'ms from the start' : 'ms from the kill',
    },
  ),
);
say(`Timeline of this run: ${reportPath}`);
say(
  stats.failed === 0 && stats.sessionsLost === 0
    ? 'Result: zero failed requests, zero lost sessions.'
    : 'Result: FAILURES above.',
);

// ------------------------------------------------------------- shutdown
server.close();
server.closeAllConnections();
await example.close();
await client.close();
await topology?.stop();
process.exitCode = stats.failed === 0 && stats.sessionsLost === 0 ? 0 : 1;
