import {
  type ConnectedTopology,
  type SentinelTopology,
  startConnectedTopology,
  type TopologyNode,
} from '@sentinelkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSentinelClient, type SentinelClient, type TopologyEvent } from '../src/index.js';
import { parseRole, type RoleInfo } from '../src/role.js';
import { nextTopologyEvent, onNode } from './helpers/topology.js';

// A replica that joins (or an old master that rejoins) must have applied the master's stream
// before it serves reads: its link says `connected` as soon as it is linked, while what the
// master acknowledged since its snapshot may still be on its way. topology.holdReplication()
// makes that state last, deterministically: the node is linked, Sentinel calls it healthy and
// it serves reads, but it applies nothing from its master until released. So every key written
// meanwhile is missing on it, and a client that read from it would answer null.

const KEYS = 200;
// Each key is read this many times through the client: spread over the replicas in rotation,
// a held node in it would answer hundreds of them.
const ROUNDS = 5;

interface ReadBack {
  /** Reads that answered null, by the port of the node that answered them. */
  nulls: Record<number, number>;
  /** Reads each node answered, by port. */
  servedBy: Map<number, number>;
}

/** Reads every key `ROUNDS` times through `client`, as an application would. */
async function readBack(client: SentinelClient, keys: readonly string[]): Promise<ReadBack> {
  const result: ReadBack = { nulls: {}, servedBy: new Map() };
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(
      keys.map(async (key) => {
        const [value, port] = await client.read(
          async (r, servedBy): Promise<[string | null, number]> => [
            await r.get(key),
            servedBy.address.port,
          ],
        );
        if (value === null) result.nulls[port] = (result.nulls[port] ?? 0) + 1;
        result.servedBy.set(port, (result.servedBy.get(port) ?? 0) + 1);
      }),
    );
  }
  return result;
}

/** Writes `KEYS` keys through `client`: each resolved write was acknowledged by the master. */
async function writeKeys(client: SentinelClient, prefix: string): Promise<string[]> {
  const keys = Array.from({ length: KEYS }, (_, i) => `${prefix}:${i}`);
  await Promise.all(keys.map((key) => client.write((r) => r.set(key, 'v'))));
  return keys;
}

const inRotation = (client: SentinelClient, node: TopologyNode) =>
  client.topology().replicas.some((r) => r.address.port === node.port);

const isAdded = (node: TopologyNode) => (e: TopologyEvent) =>
  e.type === 'REPLICA_ADD' && e.replica.port === node.port;

async function roleOf(topology: SentinelTopology, node: TopologyNode): Promise<RoleInfo> {
  const role = parseRole(await onNode(topology, node, 'ROLE'));
  if (!role) throw new Error(`${node} gave no ROLE reply`);
  return role;
}

/** The node's replication offset, from its own ROLE. */
async function offsetOf(topology: SentinelTopology, node: TopologyNode): Promise<number> {
  const role = await roleOf(topology, node);
  if (!('replOffset' in role)) throw new Error(`${node} has no replication offset: ${role.role}`);
  return role.replOffset;
}

/** Polls the node's own ROLE (replication announces nothing) until it is linked to `master`. */
async function untilLinkedTo(
  topology: SentinelTopology,
  node: TopologyNode,
  master: TopologyNode,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Sentinel turns it into a replica with CLIENT KILL TYPE normal in the same transaction:
    // a look that meets it is closed, and the next one sees the replica.
    const role = await roleOf(topology, node).catch((error: Error) => {
      if (/Connection is closed/.test(error.message)) return undefined;
      throw error;
    });
    if (role?.role === 'replica' && role.masterPort === master.port) {
      if (role.linkState === 'connected') return;
    }
    if (Date.now() > deadline) {
      throw new Error(`${node} not linked to ${master} within ${timeoutMs} ms: ${role?.role}`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Resolves once every replica but `held` has applied the master's stream up to its offset now:
 * replicas are eventually consistent, and what this test asks of the others is not that.
 */
async function untilOthersCaughtUp(topology: SentinelTopology, held: TopologyNode) {
  const master = await topology.currentMaster();
  const target = await offsetOf(topology, master);
  for (const node of await topology.replicas()) {
    if (node === held) continue;
    while ((await offsetOf(topology, node)) < target) {
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** The node is linked to its master and behind it: what the hold is for (checked, not assumed). */
async function expectBehind(topology: SentinelTopology, node: TopologyNode, lastKey: string) {
  const master = await topology.currentMaster();
  expect(await roleOf(topology, node)).toMatchObject({ role: 'replica', linkState: 'connected' });
  expect(await offsetOf(topology, node)).toBeLessThan(await offsetOf(topology, master));
  expect(await onNode(topology, node, 'EXISTS', lastKey)).toBe(0);
}

/**
 * Resolves once `client` has tried `node` for its read rotation since this call: it either
 * added it or asked it `ROLE` (the admission check; nothing else here sends ROLE to it) a few
 * times, so a rotation that leaves it out has looked at it and refused it.
 */
async function untilConsidered(
  topology: SentinelTopology,
  client: SentinelClient,
  node: TopologyNode,
  timeoutMs = 30_000,
): Promise<void> {
  await onNode(topology, node, 'CONFIG', 'RESETSTAT');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const checked = (await topology.commandCalls(node, 'role')) >= 3;
    if (checked || inRotation(client, node)) return;
    if (Date.now() > deadline) throw new Error(`${client} never tried ${node}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
  }
}

describe('a replica is read from only once it has caught up with its master', () => {
  let connected: ConnectedTopology<SentinelClient>;
  let topology: SentinelTopology;
  let client: SentinelClient;

  beforeAll(async () => {
    connected = await startConnectedTopology(({ location }) => createSentinelClient(location));
    ({ topology, client } = connected);
  });

  afterAll(async () => {
    await connected?.stop();
  });

  it('a replica that joins behind the master is left out until it has caught up', async () => {
    const [held, other] = await topology.replicas();
    if (!held || !other) throw new Error('the topology has two replicas');
    const release = await topology.holdReplication(held);
    const reader = createSentinelClient({ ...topology.connectionOptions, readFrom: 'replica' });
    try {
      const keys = await writeKeys(client, 'join');
      await expectBehind(topology, held, keys.at(-1)!);
      await untilOthersCaughtUp(topology, held);

      // connect() tries every healthy replica before it resolves: the held one is refused.
      await reader.connect();
      expect(inRotation(reader, other)).toBe(true);
      const whileHeld = await readBack(reader, keys);
      expect(whileHeld.nulls).toEqual({});
      expect(whileHeld.servedBy.get(held.port)).toBeUndefined();
      expect(inRotation(reader, held)).toBe(false);

      const joined = nextTopologyEvent(reader, isAdded(held));
      await release();
      await joined;
      const afterRelease = await readBack(reader, keys);
      expect(afterRelease.nulls).toEqual({});
      expect(afterRelease.servedBy.get(held.port)).toBeGreaterThan(0);
    } finally {
      await release();
      await reader.close();
    }
  });

  it('an old master thawed after a failover rejoins the rotation only once it has caught up', async () => {
    const old = await topology.freezeMaster();
    const { master } = await topology.waitForSwitch();
    if (client.topology().master?.address.port !== master.port) {
      await nextTopologyEvent(
        client,
        (e) => e.type === 'MASTER_CHANGE' && e.current.port === master.port,
      );
    }
    // Queued on the frozen process: it runs on thaw, before Sentinel turns it into a replica
    // (MULTI, REPLICAOF, CONFIG REWRITE, CLIENT KILL, EXEC: none is held by the pause).
    const release = await topology.holdReplication(old);
    try {
      await topology.thaw(old);
      await untilLinkedTo(topology, old, master);
      // It holds the new master's snapshot taken when it linked; these come after it. (Sentinel
      // lists it as healthy only at its next INFO of it, ~1 s later: not read from yet.)
      expect(inRotation(client, old), 'in rotation before the keys were written').toBe(false);
      const keys = await writeKeys(client, 'rejoin');
      await expectBehind(topology, old, keys.at(-1)!);
      await untilOthersCaughtUp(topology, old);

      await untilConsidered(topology, client, old);
      const whileHeld = await readBack(client, keys);
      expect(whileHeld.nulls).toEqual({});
      expect(whileHeld.servedBy.get(old.port)).toBeUndefined();
      expect(inRotation(client, old)).toBe(false);

      const joined = nextTopologyEvent(client, isAdded(old));
      await release();
      await joined;
      const afterRelease = await readBack(client, keys);
      expect(afterRelease.nulls).toEqual({});
      expect(afterRelease.servedBy.get(old.port)).toBeGreaterThan(0);
    } finally {
      await release();
    }
  });
});
