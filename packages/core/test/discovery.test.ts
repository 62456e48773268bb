import { inspect } from 'node:util';
import type { FakeAction, FakeRedis } from '@sentinelkit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSentinelClient,
  isSentinelKitError,
  MasterNameUnknownError,
  type NodeAddress,
  NoSentinelReachableError,
  type SentinelClient,
  type SentinelClientOptions,
  type TopologyEvent,
} from '../src/index.js';
import {
  at,
  closedPort,
  count,
  fakeDataNode,
  fakeSentinel,
  fakes,
  knows,
  MASTER_NAME,
  masterRole,
  replicaEntry,
  replicaRole,
  sentinelEntry,
} from './helpers/fake-topology.js';

const clients: SentinelClient[] = [];

// close() must resolve by itself; a hung one fails the test here instead of timing out the hook.
const CLOSE_BOUND_MS = 3000;

/** Resolves `false` when `promise` takes longer than `ms` (a bound, never a wait for state). */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(resolve, ms, false);
    }),
  ]).finally(() => clearTimeout(timer));
}

afterEach(async () => {
  // Servers close in parallel with clients: closing a server ends the sockets of hung
  // connections, so a client's close() does not wait for a silent peer.
  const [closedInTime] = await Promise.all([
    within(Promise.all(clients.splice(0).map((client) => client.close())), CLOSE_BOUND_MS),
    ...fakes.splice(0).map((server) => server.close()),
  ]);
  expect(closedInTime, `client.close() did not resolve within ${CLOSE_BOUND_MS} ms`).toBe(true);
});

function client(
  sentinels: readonly { host: string; port: number }[],
  options: Partial<SentinelClientOptions> = {},
): SentinelClient {
  const created = createSentinelClient({
    masterName: MASTER_NAME,
    sentinels: sentinels.map(at),
    connectTimeout: 1500,
    sentinelTimeout: 250,
    // Polling is not under test here: keep it out of the way.
    sentinelPollInterval: 60_000,
    ...options,
  });
  clients.push(created);
  return created;
}

/** Resolves once `check()` holds (checked every few ms); fails the test after `timeoutMs`. */
async function untilCondition(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const startedAt = Date.now();
  while (!check()) {
    if (Date.now() - startedAt > timeoutMs) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The rejection reason of `promise`; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, but it resolved');
    },
    (error: unknown) => error,
  );
}

/** Runs `fn` and returns its result (or rejection) with the elapsed milliseconds. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

/** A promise resolved from outside, to await a fake's reaction instead of sleeping. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const addressesOf = (nodes: { address: NodeAddress }[]) =>
  nodes.map((n) => `${n.address.host}:${n.address.port}`).sort();

// Generous margin over a time bound: 2 cores shared with other test runs.
const SLACK_MS = 250;

describe('discovery: which sentinel answers (spec points 1, 2, 8)', () => {
  it('a sentinel that does not know the master name gives MASTER_NAME_UNKNOWN, fast', async () => {
    const sentinel = await fakeSentinel({ master: () => null });
    const c = client([sentinel], { connectTimeout: 2000 });

    const { value: error, ms } = await timed(() => rejectionOf(c.connect()));

    expect(error).toBeInstanceOf(MasterNameUnknownError);
    expect(error).toMatchObject({
      code: 'MASTER_NAME_UNKNOWN',
      masterName: MASTER_NAME,
      sentinels: [`127.0.0.1:${sentinel.port}`],
    });
    expect((error as Error).message).toContain('"masterName"');
    // No retry loop until connectTimeout: the answer is definite.
    expect(ms).toBeLessThan(500);
    expect(c.status).toBe('idle');
  });

  it('every sentinel that answered null is listed in MASTER_NAME_UNKNOWN', async () => {
    const first = await fakeSentinel({ master: () => null });
    const second = await fakeSentinel({ master: () => null });
    const error = await rejectionOf(client([first, second]).connect());
    expect(error).toMatchObject({
      code: 'MASTER_NAME_UNKNOWN',
      sentinels: [`127.0.0.1:${first.port}`, `127.0.0.1:${second.port}`],
    });
  });

  it('first sentinel answers null, the second knows the master: connects, the second moves to the front', async () => {
    const master = await fakeDataNode(masterRole);
    const ignorant = await fakeSentinel({ master: () => null });
    const knowing = await knows(at(master));
    const c = client([ignorant, knowing]);

    await c.connect();

    const topology = c.topology();
    expect(topology.status).toBe('ready');
    expect(topology.master?.address).toEqual(at(master));
    expect(topology.sentinels).toEqual([at(knowing), at(ignorant)]);
    expect(count(ignorant, 'SENTINEL', 'get-master-addr-by-name')).toBe(1);
  });

  it('first sentinel unreachable (closed port), the second answers: connects', async () => {
    const master = await fakeDataNode(masterRole);
    const gone = await closedPort();
    const knowing = await knows(at(master));
    const c = client([gone, knowing]);

    await c.connect();

    expect(c.topology().master?.address).toEqual(at(master));
    expect(c.topology().sentinels).toEqual([at(knowing), gone]);
  });

  it('a sentinel answering an error is skipped like an unreachable one', async () => {
    const master = await fakeDataNode(masterRole);
    // A data node given as a sentinel by mistake: it does not know the SENTINEL command.
    const notASentinel = await fakeDataNode(masterRole);
    const knowing = await knows(at(master));
    const c = client([notASentinel, knowing]);
    await c.connect();
    expect(c.topology().master?.address).toEqual(at(master));
  });

  it('every sentinel unreachable gives NO_SENTINEL_REACHABLE, one failure per sentinel, within connectTimeout', async () => {
    const a = await closedPort();
    const b = await closedPort();
    const c = client([a, b], { connectTimeout: 1000 });

    const { value: error, ms } = await timed(() => rejectionOf(c.connect()));

    expect(error).toBeInstanceOf(NoSentinelReachableError);
    const failures = (error as NoSentinelReachableError).failures;
    expect(failures.map((f) => f.sentinel)).toEqual([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
    for (const failure of failures) expect(failure.error).not.toBe('');
    expect((error as Error).message).toContain('"sentinels"');
    expect(ms).toBeLessThan(1000);
    expect(c.status).toBe('idle');
  });

  it('a hanging sentinel costs sentinelTimeout, not connectTimeout, before the next one answers', async () => {
    const master = await fakeDataNode(masterRole);
    const hung = await fakeSentinel({ master: () => 'hang' });
    const knowing = await knows(at(master));
    const c = client([hung, knowing], { sentinelTimeout: 300, connectTimeout: 5000 });

    const { ms } = await timed(() => c.connect());

    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(300 + 1000);
    expect(c.topology().sentinels).toEqual([at(knowing), at(hung)]);
  });

  it('every sentinel hanging gives NO_SENTINEL_REACHABLE within connectTimeout', async () => {
    const hung = await Promise.all([1, 2, 3].map(() => fakeSentinel({ master: () => 'hang' })));
    // 3 × sentinelTimeout exceeds connectTimeout: the last attempt gets only what is left.
    const c = client(hung, { sentinelTimeout: 300, connectTimeout: 700 });

    const { value: error, ms } = await timed(() => rejectionOf(c.connect()));

    expect(isSentinelKitError(error, 'NO_SENTINEL_REACHABLE')).toBe(true);
    expect((error as NoSentinelReachableError).failures).toHaveLength(3);
    expect(ms).toBeLessThan(700 + SLACK_MS);
  });

  it('a sentinel that accepts but never completes the handshake is bounded by sentinelTimeout', async () => {
    const master = await fakeDataNode(masterRole);
    // Hangs on AUTH, the first thing a client with a sentinel password sends.
    const mute = await fakeSentinel({ master: () => null, other: () => 'hang' });
    const knowing = await knows(at(master));
    const c = client([mute, knowing], {
      sentinelPassword: 'pw',
      sentinelTimeout: 300,
      connectTimeout: 5000,
    });
    const { ms } = await timed(() => c.connect());
    expect(ms).toBeLessThan(300 + 1000);
    expect(count(mute, 'AUTH')).toBe(1);
  });
});

describe('discovery: verifying the master with ROLE (spec point 3)', () => {
  it('a master whose ROLE says replica is retried, then MASTER_UNAVAILABLE within connectTimeout', async () => {
    const elsewhere = { host: '127.0.0.1', port: 1 };
    const notMaster = await fakeDataNode(replicaRole(elsewhere));
    const sentinel = await knows(at(notMaster));
    const c = client([sentinel], { connectTimeout: 800 });

    const { value: error, ms } = await timed(() => rejectionOf(c.connect()));

    expect(isSentinelKitError(error, 'MASTER_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/connectTimeout/);
    expect((error as Error).message).toMatch(/role replica/);
    expect(ms).toBeLessThan(800 + SLACK_MS);
    // It kept retrying, asking Sentinel again before each attempt ("start again").
    expect(count(notMaster, 'ROLE')).toBeGreaterThan(1);
    expect(count(sentinel, 'SENTINEL', 'get-master-addr-by-name')).toBeGreaterThanOrEqual(
      count(notMaster, 'ROLE'),
    );
    expect(c.status).toBe('idle');
    expect(c.topology().master).toBeUndefined();
  });

  it('MASTER_UNAVAILABLE names the last answer (role replica), not a later Sentinel query the deadline cut short', async () => {
    const elsewhere = { host: '127.0.0.1', port: 1 };
    const notMaster = await fakeDataNode(replicaRole(elsewhere));
    // Names the node once, then leaves every later query unanswered: the second attempt's query
    // is still waiting when connectTimeout ends (sentinelTimeout is longer), as a query can on a
    // loaded machine after the pause between attempts.
    let queries = 0;
    const sentinel = await fakeSentinel({
      master: () => (queries++ === 0 ? [notMaster.host, String(notMaster.port)] : 'hang'),
    });
    const c = client([sentinel], { connectTimeout: 800, sentinelTimeout: 2000 });

    const error = await rejectionOf(c.connect());

    expect(queries).toBeGreaterThan(1);
    expect(isSentinelKitError(error, 'MASTER_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/role replica/);
  });

  it('MASTER_UNAVAILABLE names the last answer (role replica), not a later ROLE that did not answer', async () => {
    const elsewhere = { host: '127.0.0.1', port: 1 };
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Answers "replica" once, then leaves every later ROLE unanswered until the test ends.
    const notMaster = await fakeDataNode((attempt) =>
      attempt === 0 ? replicaRole(elsewhere)() : held.then(replicaRole(elsewhere)),
    );
    const sentinel = await knows(at(notMaster));
    const c = client([sentinel], { connectTimeout: 1500, sentinelTimeout: 200 });

    const error = await rejectionOf(c.connect());
    release();

    expect(isSentinelKitError(error, 'MASTER_UNAVAILABLE')).toBe(true);
    expect(count(notMaster, 'ROLE')).toBeGreaterThan(1);
    expect((error as Error).message).toMatch(/role replica/);
  });

  it('ROLE says replica first and master on a later attempt: connects', async () => {
    const elsewhere = { host: '127.0.0.1', port: 1 };
    const promoting = await fakeDataNode((attempt) =>
      attempt < 2 ? replicaRole(elsewhere)() : masterRole(),
    );
    const sentinel = await knows(at(promoting));
    const c = client([sentinel], { connectTimeout: 3000 });

    await c.connect();

    expect(count(promoting, 'ROLE')).toBe(3);
    expect(c.topology().master?.address).toEqual(at(promoting));
    expect(c.status).toBe('ready');
  });

  it('Sentinel moves to a new master between attempts: the new one is used', async () => {
    const old = await fakeDataNode(replicaRole({ host: '127.0.0.1', port: 1 }));
    const fresh = await fakeDataNode(masterRole);
    let asked = 0;
    const sentinel = await fakeSentinel({
      master: () => {
        const target = asked++ === 0 ? old : fresh;
        return [target.host, String(target.port)];
      },
    });
    const c = client([sentinel]);
    await c.connect();
    expect(c.topology().master?.address).toEqual(at(fresh));
    expect(count(old, 'ROLE')).toBe(1);
  });

  it('a master that does not answer ROLE gives MASTER_UNAVAILABLE within connectTimeout', async () => {
    const frozen = await fakeDataNode(() => 'hang');
    const sentinel = await knows(at(frozen));
    const c = client([sentinel], { connectTimeout: 700 });
    const { value: error, ms } = await timed(() => rejectionOf(c.connect()));
    expect(isSentinelKitError(error, 'MASTER_UNAVAILABLE')).toBe(true);
    expect(ms).toBeLessThan(700 + SLACK_MS);
  });

  it('a master port that refuses connections gives MASTER_UNAVAILABLE within connectTimeout', async () => {
    const gone = await closedPort();
    const sentinel = await knows(gone);
    const c = client([sentinel], { connectTimeout: 700 });
    const { value: error, ms } = await timed(() => rejectionOf(c.connect()));
    expect(isSentinelKitError(error, 'MASTER_UNAVAILABLE')).toBe(true);
    expect(ms).toBeLessThan(700 + SLACK_MS);
  });

  // Fails at 'bb6f79e': #discover's retry loop never checks for close(), so it keeps asking the
  // sentinel and opening data-node connections until connectTimeout, then rejects
  // MASTER_UNAVAILABLE.
  it('close() during the wrong-role retry loop rejects connect() with CLIENT_CLOSED and asks no sentinel afterwards', async () => {
    const firstRole = signal();
    const notMaster = await fakeDataNode(() => {
      firstRole.resolve();
      return replicaRole({ host: '127.0.0.1', port: 1 })();
    });
    const sentinel = await knows(at(notMaster));
    const c = client([sentinel], { connectTimeout: 2000 });

    const connecting = rejectionOf(c.connect());
    await firstRole.promise;
    await c.close();
    const askedAtClose = count(sentinel, 'SENTINEL', 'get-master-addr-by-name');
    const error = await connecting;

    expect(isSentinelKitError(error, 'CLIENT_CLOSED')).toBe(true);
    // After close() resolved nothing may open a new connection or query a sentinel.
    expect(count(sentinel, 'SENTINEL', 'get-master-addr-by-name')).toBe(askedAtClose);
  });

  // Fails at 'bb6f79e': SentinelLink.ask() moves on to the next sentinel after close(), and
  // connect() rejects with NO_SENTINEL_REACHABLE ("Connection is closed").
  it('close() while a sentinel hangs rejects connect() with CLIENT_CLOSED and asks no other sentinel', async () => {
    const asked = signal();
    const hung = await fakeSentinel({
      master: () => {
        asked.resolve();
        return 'hang';
      },
    });
    const next = await fakeSentinel({ master: () => 'hang' });
    const c = client([hung, next], { sentinelTimeout: 1500, connectTimeout: 4000 });

    const connecting = rejectionOf(c.connect());
    await asked.promise;
    await c.close();
    const { value: error, ms } = await timed(() => connecting);

    expect(isSentinelKitError(error, 'CLIENT_CLOSED')).toBe(true);
    expect(ms).toBeLessThan(SLACK_MS);
    expect(next.commands).toEqual([]);
  });
});

describe('discovery: which replicas serve reads (spec point 6)', () => {
  // Fails at 'bb6f79e': #addReplica drops every verified replica while status is 'connecting',
  // so connect() resolves with no replica (they appear at the first poll). Same cause for the
  // replica assertions of the credentials and NAT map tests below.
  it('close() while a replica is being admitted: connect() rejects CLIENT_CLOSED and the client stays closed', async () => {
    const master = await fakeDataNode(masterRole);
    const m = at(master);
    let asked: () => void = () => {};
    const replicaAsked = new Promise<void>((resolve) => {
      asked = resolve;
    });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The replica's ROLE (its admission check) is answered only once close() has run.
    const replica = await fakeDataNode(() => {
      asked();
      return held.then(replicaRole(m));
    });
    const sentinel = await knows(m, { replicas: () => [replicaEntry(at(replica), m)] });
    const c = client([sentinel], { connectTimeout: 5000 });

    const connecting = rejectionOf(c.connect());
    await replicaAsked;
    const closing = c.close();
    release();
    const error = await connecting;
    await closing;

    expect(isSentinelKitError(error, 'CLIENT_CLOSED')).toBe(true);
    expect(c.status).toBe('closed');
    expect(c.topology().watchedSentinels).toBe(0);
  });

  it('only replicas healthy by Sentinel and confirmed by ROLE enter the rotation', async () => {
    const master = await fakeDataNode(masterRole);
    const m = at(master);
    const otherMaster = { host: '127.0.0.1', port: 1 };
    const follows = replicaRole(m);
    const good = await fakeDataNode(follows);
    const sDown = await fakeDataNode(follows);
    const linkErr = await fakeDataNode(follows);
    const sentinelSaysOther = await fakeDataNode(follows);
    const roleSaysOther = await fakeDataNode(replicaRole(otherMaster));
    const notInSync = await fakeDataNode(replicaRole(m, 'sync'));
    const roleIsMaster = await fakeDataNode(masterRole);
    const sentinel = await knows(m, {
      replicas: () => [
        replicaEntry(at(good), m),
        replicaEntry(at(sDown), m, { flags: 's_down,slave' }),
        replicaEntry(at(linkErr), m, { 'master-link-status': 'err' }),
        replicaEntry(at(sentinelSaysOther), m, {
          'master-host': otherMaster.host,
          'master-port': String(otherMaster.port),
        }),
        replicaEntry(at(roleSaysOther), m),
        replicaEntry(at(notInSync), m),
        replicaEntry(at(roleIsMaster), m),
      ],
    });
    const c = client([sentinel]);
    const added: NodeAddress[] = [];
    c.on('topology-change', (event) => {
      if (event.type === 'REPLICA_ADD') added.push(event.replica);
    });

    await c.connect();

    expect(addressesOf(c.topology().replicas)).toEqual([`127.0.0.1:${good.port}`]);
    expect(added).toEqual([at(good)]);
    // Replicas Sentinel already rules out are not even connected to.
    for (const ruledOut of [sDown, linkErr, sentinelSaysOther]) {
      expect(count(ruledOut, 'ROLE')).toBe(0);
    }
    for (const checked of [good, roleSaysOther, notInSync, roleIsMaster]) {
      expect(count(checked, 'ROLE')).toBe(1);
    }
  });

  it('a replica whose ROLE hangs stays out of the rotation, the healthy one is in', async () => {
    const master = await fakeDataNode(masterRole);
    const m = at(master);
    const good = await fakeDataNode(replicaRole(m));
    const frozen = await fakeDataNode(() => 'hang');
    const sentinel = await knows(m, {
      replicas: () => [replicaEntry(at(frozen), m), replicaEntry(at(good), m)],
    });
    const c = client([sentinel], { connectTimeout: 600 });

    await c.connect();

    expect(c.status).toBe('ready');
    expect(addressesOf(c.topology().replicas)).toEqual([`127.0.0.1:${good.port}`]);
  });

  // A frozen replica Sentinel still calls healthy must not delay connect() to connectTimeout.
  it('a replica whose ROLE hangs does not hold connect() back for connectTimeout', async () => {
    const master = await fakeDataNode(masterRole);
    const m = at(master);
    const frozen = await fakeDataNode(() => 'hang');
    const sentinel = await knows(m, { replicas: () => [replicaEntry(at(frozen), m)] });
    const c = client([sentinel], { connectTimeout: 3000 });

    const { ms } = await timed(() => c.connect());

    expect(c.topology().replicas).toEqual([]);
    expect(ms).toBeLessThan(1500);
  });

  it('a replica whose port refuses connections stays out; an error event reports it without failing connect()', async () => {
    const master = await fakeDataNode(masterRole);
    const m = at(master);
    const gone = await closedPort();
    const good = await fakeDataNode(replicaRole(m));
    const sentinel = await knows(m, {
      replicas: () => [replicaEntry(gone, m), replicaEntry(at(good), m)],
    });
    const c = client([sentinel]);
    const errors: Error[] = [];
    c.on('error', (error) => errors.push(error));

    await c.connect();

    expect(addressesOf(c.topology().replicas)).toEqual([`127.0.0.1:${good.port}`]);
    expect(errors.some((e) => e.message.includes(String(gone.port)))).toBe(true);
  });

  it('a malformed SENTINEL replicas reply leaves the rotation empty and reads on the master', async () => {
    const master = await fakeDataNode(masterRole, (args) =>
      args[0]?.toUpperCase() === 'GET' ? 'from-master' : undefined,
    );
    const sentinel = await knows(at(master), {
      replicas: () => [['ip'], 'junk', ['ip', '127.0.0.1', 'port', 'x'], 42],
    });
    const c = client([sentinel]);
    await c.connect();
    expect(c.topology().replicas).toEqual([]);
    expect(await c.read((r) => r.get('k'))).toBe('from-master');
    expect(c.stats().masterReads).toBe(1);
  });
});

describe('discovery: learning sentinels (spec point 9)', () => {
  it('a sentinel listed by SENTINEL sentinels is appended and SENTINEL_LIST_CHANGE is emitted', async () => {
    const master = await fakeDataNode(masterRole);
    const newcomer = await knows(at(master));
    const seed = await knows(at(master), {
      // Listed twice, and next to the seed itself: each sentinel is known once.
      sentinels: () => [sentinelEntry(at(newcomer)), sentinelEntry(at(newcomer))],
    });
    const c = client([seed]);
    const events: TopologyEvent[] = [];
    c.on('topology-change', (event) => events.push(event));

    await c.connect();

    expect(c.topology().sentinels).toEqual([at(seed), at(newcomer)]);
    const changes = events.filter((e) => e.type === 'SENTINEL_LIST_CHANGE');
    expect(changes).toEqual([
      { type: 'SENTINEL_LIST_CHANGE', sentinels: [at(seed), at(newcomer)] },
    ]);
  });

  it('a learnt sentinel unreachable for 60 s is forgotten, and not learnt again while still listed', async () => {
    const master = await fakeDataNode(masterRole);
    // A sentinel whose address went away (a Kubernetes pod IP that churned), still listed.
    const gone = await closedPort();
    const seed = await knows(at(master), { sentinels: () => [sentinelEntry(gone)] });
    let skew = 0;
    const c = client([seed], { clock: () => Date.now() + skew, sentinelPollInterval: 20 });
    const lists: NodeAddress[][] = [];
    c.on('topology-change', (e) => {
      if (e.type === 'SENTINEL_LIST_CHANGE') lists.push(e.sentinels);
    });
    await c.connect();
    expect(c.topology().sentinels).toEqual([at(seed), gone]);

    const forgotten = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not forgotten; client: ${c}`)), 3000);
      c.on('topology-change', (e) => {
        if (e.type === 'SENTINEL_LIST_CHANGE' && e.sentinels.length === 1) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    skew = 60_000;
    await forgotten;
    // More polls, each listing it again: it stays forgotten.
    const queries = c.stats().sentinelQueries;
    await untilCondition(() => c.stats().sentinelQueries >= queries + 3);
    expect(c.topology().sentinels).toEqual([at(seed)]);
    expect(lists).toEqual([[at(seed), gone], [at(seed)]]);
  });

  it('no SENTINEL_LIST_CHANGE when SENTINEL sentinels lists only known sentinels', async () => {
    const master = await fakeDataNode(masterRole);
    const other = await knows(at(master));
    const seed = await knows(at(master), { sentinels: () => [sentinelEntry(at(other))] });
    const c = client([seed, other]);
    const events: TopologyEvent[] = [];
    c.on('topology-change', (event) => events.push(event));
    await c.connect();
    expect(c.topology().sentinels).toEqual([at(seed), at(other)]);
    expect(events.map((e) => e.type)).toEqual(['MASTER_CHANGE']);
  });

  // Fails at 'bb6f79e' on its last line: SentinelWatch.close() waits for 'end' from a
  // subscription in ioredis 'reconnecting' state, which never emits it, so close() hangs while
  // a sentinel is down.
  it('a learnt sentinel is asked when the seed stops answering', async () => {
    const oldMaster = await fakeDataNode(masterRole);
    const newMaster = await fakeDataNode(masterRole);
    let current = oldMaster;
    const newcomer = await fakeSentinel({ master: () => [current.host, String(current.port)] });
    const seed = await knows(at(oldMaster), { sentinels: () => [sentinelEntry(at(newcomer))] });
    const c = client([seed], { sentinelPollInterval: 50 });
    await c.connect();
    expect(c.topology().sentinels).toEqual([at(seed), at(newcomer)]);

    // The only configured sentinel goes away; Sentinel (the newcomer) then names a new master.
    const switched = new Promise<TopologyEvent>((resolve) => {
      c.on('topology-change', (event) => {
        if (event.type === 'MASTER_CHANGE') resolve(event);
      });
    });
    fakes.splice(fakes.indexOf(seed), 1);
    await seed.close();
    current = newMaster;

    expect(await switched).toMatchObject({
      type: 'MASTER_CHANGE',
      previous: at(oldMaster),
      current: at(newMaster),
    });
    expect(c.topology().sentinels[0]).toEqual(at(newcomer));
    // The seed is still down: closing must not wait for it to come back.
    expect(await within(c.close(), CLOSE_BOUND_MS)).toBe(true);
  });
});

describe('discovery: credentials (data nodes and sentinels kept apart)', () => {
  const DATA_PASSWORD = 'data-pw-7f3a';
  const SENTINEL_PASSWORD = 'sentinel-pw-91c2';
  const secretPattern = new RegExp(`${DATA_PASSWORD}|${SENTINEL_PASSWORD}`);
  const flat = (server: FakeRedis) => server.commands.map((args) => args.join(' ')).join('\n');

  it('the sentinel password goes to sentinels only, the data password to data nodes only', async () => {
    const master = await fakeDataNode(masterRole);
    const m = at(master);
    const replica = await fakeDataNode(replicaRole(m));
    const sentinel = await knows(m, { replicas: () => [replicaEntry(at(replica), m)] });
    const c = client([sentinel], {
      username: 'app',
      password: DATA_PASSWORD,
      sentinelUsername: 'watcher',
      sentinelPassword: SENTINEL_PASSWORD,
    });

    await c.connect();

    expect(c.topology().replicas).toHaveLength(1);
    // ioredis sends `auth user password` (lower case) with RESP2; HELLO would carry AUTH too.
    const auth = (server: FakeRedis) =>
      server.commands
        .filter((args) => ['AUTH', 'HELLO'].includes(args[0]!.toUpperCase()))
        .map(([name, ...rest]) => [name!.toUpperCase(), ...rest]);
    expect(auth(sentinel)).toContainEqual(['AUTH', 'watcher', SENTINEL_PASSWORD]);
    expect(flat(sentinel)).not.toContain(DATA_PASSWORD);
    for (const node of [master, replica]) {
      expect(auth(node)).toContainEqual(['AUTH', 'app', DATA_PASSWORD]);
      expect(flat(node)).not.toContain(SENTINEL_PASSWORD);
    }
    expect(String(c)).not.toMatch(secretPattern);
    expect(inspect(c)).not.toMatch(secretPattern);
    expect(JSON.stringify(c.topology())).not.toMatch(secretPattern);
  });

  it('sentinels get no password unless sentinelPassword is set', async () => {
    const master = await fakeDataNode(masterRole);
    const sentinel = await knows(at(master));
    const c = client([sentinel], { password: DATA_PASSWORD });
    await c.connect();
    expect(count(sentinel, 'AUTH')).toBe(0);
    expect(flat(sentinel)).not.toContain(DATA_PASSWORD);
    expect(count(master, 'AUTH')).toBe(1);
  });

  it('a data node echoing the password in its error: AUTH_FAILED, fast, password redacted', async () => {
    const master = await fakeDataNode(masterRole, (args) =>
      args[0]?.toUpperCase() === 'AUTH'
        ? { error: `WRONGPASS invalid username-password pair: ${args.at(-1)}` }
        : undefined,
    );
    const sentinel = await knows(at(master));
    const c = client([sentinel], {
      password: DATA_PASSWORD,
      sentinelPassword: SENTINEL_PASSWORD,
      connectTimeout: 3000,
    });
    const errors: Error[] = [];
    c.on('error', (error) => errors.push(error));

    const { value: error, ms } = await timed(() => rejectionOf(c.connect()));

    expect(isSentinelKitError(error, 'AUTH_FAILED')).toBe(true);
    expect(ms).toBeLessThan(1000);
    const seen = [error, ...errors].flatMap((e) => chain(e));
    expect(seen.length).toBeGreaterThan(1);
    for (const text of seen) expect(text).not.toMatch(secretPattern);
    expect(String(c)).not.toMatch(secretPattern);
  });

  it('sentinels echoing their password in errors: NO_SENTINEL_REACHABLE, every failure redacted', async () => {
    const echo = (args: string[]): FakeAction =>
      args[0]?.toUpperCase() === 'AUTH'
        ? { error: `WRONGPASS invalid username-password pair: ${args.at(-1)}` }
        : undefined;
    const a = await fakeSentinel({ master: () => null, other: echo });
    const b = await fakeSentinel({ master: () => null, other: echo });
    const c = client([a, b], { password: DATA_PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
    const errors: Error[] = [];
    c.on('error', (error) => errors.push(error));

    const error = await rejectionOf(c.connect());

    expect(isSentinelKitError(error, 'NO_SENTINEL_REACHABLE')).toBe(true);
    expect((error as NoSentinelReachableError).failures).toHaveLength(2);
    expect(JSON.stringify((error as NoSentinelReachableError).failures)).toMatch(/WRONGPASS/);
    const seen = [error, ...errors].flatMap((e) => chain(e));
    for (const text of seen) expect(text).not.toMatch(secretPattern);
    expect(JSON.stringify(error)).not.toMatch(secretPattern);
  });

  it('MASTER_UNAVAILABLE after wrong roles carries no password', async () => {
    const notMaster = await fakeDataNode(replicaRole({ host: '127.0.0.1', port: 1 }));
    const sentinel = await knows(at(notMaster));
    const c = client([sentinel], {
      password: DATA_PASSWORD,
      sentinelPassword: SENTINEL_PASSWORD,
      // What is asserted is the error's text, not how fast it comes: a deadline long enough
      // for the sentinel and the node to answer on a loaded machine (400 ms was not).
      connectTimeout: 2000,
    });
    const error = await rejectionOf(c.connect());
    expect(isSentinelKitError(error, 'MASTER_UNAVAILABLE')).toBe(true);
    for (const text of chain(error)) expect(text).not.toMatch(secretPattern);
  });
});

/** Message and stack of an error and of every `cause` below it. */
function chain(error: unknown): string[] {
  const texts: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) {
    texts.push(e.message, e.stack ?? '', inspect(e));
  }
  return texts;
}

describe('discovery: NAT map (announced addresses → reachable ones)', () => {
  // What Sentinel announces from inside a container network; nothing listens there.
  const announcedMaster = { host: '10.0.0.1', port: 6379 };
  const announcedReplica = { host: '10.0.0.2', port: 6379 };

  async function containerTopology() {
    const master = await fakeDataNode(masterRole);
    // The replica reports its master as configured: the announced (internal) address.
    const replica = await fakeDataNode(replicaRole(announcedMaster));
    const sentinel = await knows(announcedMaster, {
      replicas: () => [replicaEntry(announcedReplica, announcedMaster)],
    });
    return { master, replica, sentinel };
  }

  it('object form: master and replica are reached at their mapped addresses', async () => {
    const { master, replica, sentinel } = await containerTopology();
    const c = client([sentinel], {
      natMap: {
        '10.0.0.1:6379': at(master),
        '10.0.0.2:6379': at(replica),
      },
    });
    const events: TopologyEvent[] = [];
    c.on('topology-change', (event) => events.push(event));

    await c.connect();

    const topology = c.topology();
    expect(topology.master?.address).toEqual(at(master));
    expect(topology.master?.announced).toEqual(announcedMaster);
    expect(topology.replicas.map((r) => [r.address, r.announced])).toEqual([
      [at(replica), announcedReplica],
    ]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'MASTER_CHANGE', current: at(master) }),
    );
    expect(events).toContainEqual({ type: 'REPLICA_ADD', replica: at(replica) });
    // The master's: one to verify it, one for the replica's offset check before it reads.
    expect(count(master, 'ROLE')).toBe(2);
    expect(count(replica, 'ROLE')).toBe(1);
  });

  it('function form: mapped addresses are used, null keeps the announced one', async () => {
    const { master, replica, sentinel } = await containerTopology();
    const asked: string[] = [];
    const c = client([sentinel], {
      natMap: ({ host, port }) => {
        asked.push(`${host}:${port}`);
        if (host === '10.0.0.1') return at(master);
        if (host === '10.0.0.2') return at(replica);
        return null;
      },
    });

    await c.connect();

    expect(c.topology().master?.address).toEqual(at(master));
    expect(addressesOf(c.topology().replicas)).toEqual([`127.0.0.1:${replica.port}`]);
    expect(asked).toEqual(expect.arrayContaining(['10.0.0.1:6379', '10.0.0.2:6379']));
  });

  it('the map also applies to sentinels learnt from SENTINEL sentinels', async () => {
    const master = await fakeDataNode(masterRole);
    const newcomer = await knows(at(master));
    const seed = await knows(at(master), {
      sentinels: () => [sentinelEntry({ host: '10.0.0.9', port: 26379 })],
    });
    const c = client([seed], { natMap: { '10.0.0.9:26379': at(newcomer) } });
    await c.connect();
    expect(c.topology().sentinels).toEqual([at(seed), at(newcomer)]);
  });
});

describe('a broken master connection during a retry', () => {
  // Regression: between a socket's 'end' and 'close' events ioredis rejects new
  // commands with "Stream isn't writeable" while the client still held the
  // connection as master; an idempotent retry found the same connection again
  // and looped in microtasks, starving every timer and socket of the process.
  it('drops the connection before retrying, so the retry gets a fresh one', async () => {
    const master = await fakeDataNode(masterRole, () => 'OK');
    const sentinel = await knows({ host: master.host, port: master.port });
    const client = createSentinelClient({
      masterName: MASTER_NAME,
      sentinels: [{ host: sentinel.host, port: sentinel.port }],
    });
    clients.push(client);
    await client.connect();

    let broken: unknown;
    let calls = 0;
    const result = await client.write(
      async (redis) => {
        calls++;
        // A guard so that the old behaviour fails the test instead of hanging it.
        if (calls > 20) throw new Error('retried on the same broken connection 20 times');
        broken ??= redis;
        if (redis === broken) {
          throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
        }
        return redis.set('k', 'v');
      },
      { idempotent: true },
    );
    expect(result).toBe('OK');
    expect(calls).toBe(2);
    expect(client.stats().writeRetries).toBe(1);
  });
});
