/**
 * `sentinelkit-topology` (the package's bin; `pnpm topology` in this repository): starts a
 * Sentinel topology (or, with `--cluster`, a Redis Cluster) on 127.0.0.1, prints its location
 * and a status table, reprints the table after every failover, and stops every node on Ctrl-C
 * (or SIGTERM).
 */
import { parseArgs } from 'node:util';
import type { BackendName } from './backends/select.js';
import { type ClusterTopology, startClusterTopology } from './cluster-topology.js';
import { type SentinelTopology, startSentinelTopology } from './topology.js';

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '2' },
    sentinels: { type: 'string', default: '3' },
    'master-name': { type: 'string', default: 'mymaster' },
    password: { type: 'string' },
    username: { type: 'string' },
    'sentinel-password': { type: 'string' },
    'down-after-ms': { type: 'string', default: '1000' },
    backend: { type: 'string' },
    image: { type: 'string' },
    cluster: { type: 'boolean', default: false },
    masters: { type: 'string', default: '3' },
    'replicas-per-master': { type: 'string', default: '1' },
    'node-timeout-ms': { type: 'string', default: '1000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`Usage: sentinelkit-topology [--replicas 2] [--sentinels 3] [--master-name mymaster]
                            [--password P] [--username U] [--sentinel-password P]
                            [--down-after-ms 1000] [--backend auto|process|container]
                            [--image redis:7]
       sentinelkit-topology --cluster [--masters 3] [--replicas-per-master 1]
                            [--node-timeout-ms 1000] [--password P] [--username U]
                            [--backend auto|process|container] [--image redis:7]`);
  process.exit(0);
}

let stopping = false;
function stopOnSignal(topology: { stop(): Promise<void> }): void {
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await topology.stop();
    console.log('stopped: no node left running');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const common = {
  ...(values.password !== undefined && { password: values.password }),
  ...(values.username !== undefined && { username: values.username }),
  ...(values.backend !== undefined && { backend: values.backend as BackendName }),
  ...(values.image !== undefined && { image: values.image }),
};

if (values.cluster) await runCluster();

async function clusterTable(cluster: ClusterTopology): Promise<string> {
  const lines = [['node', 'address', 'role', 'slots', 'follows', 'state', 'pid'].join('\t')];
  for (const d of await cluster.describe()) {
    const slots = d.slots.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',') || '-';
    const { node } = d;
    lines.push(
      [
        node.name,
        node.address,
        d.role,
        slots,
        d.master?.name ?? '-',
        // A node killed from outside is still `running` to this process; the cluster knows better.
        d.failing ? `${node.state}, flagged failing` : node.state,
        node.pid ?? '-',
      ].join('\t'),
    );
  }
  return lines.join('\n');
}

/** `--cluster`: a Redis Cluster; the table is reprinted when a shard's master changes (polled every second). */
async function runCluster(): Promise<never> {
  const started = Date.now();
  const cluster = await startClusterTopology({
    ...common,
    masters: Number(values.masters),
    replicasPerMaster: Number(values['replicas-per-master']),
    nodeTimeoutMs: Number(values['node-timeout-ms']),
  });
  console.log(`Redis Cluster ready in ${Date.now() - started} ms`);
  console.log(`location: ${cluster.location}`);
  console.log(await clusterTable(cluster));
  console.log('Ctrl-C stops every node.');
  stopOnSignal(cluster);
  const masters = async () => (await cluster.shards()).map((s) => s.master.address).join(' ');
  let last = await masters();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (stopping) continue;
    const now = await masters().catch(() => last);
    if (now === last) continue;
    last = now;
    console.log(`\nmasters now: ${now}`);
    console.log(await clusterTable(cluster).catch((error: Error) => error.message));
  }
}

async function statusTable(topology: SentinelTopology): Promise<string> {
  const master = await topology.currentMaster().catch(() => undefined);
  const rows = [
    ...topology.dataNodes.map((node) => ({ node, role: node === master ? 'master' : 'replica' })),
    ...topology.sentinelNodes.map((node) => ({ node, role: 'sentinel' })),
  ];
  const lines = [['node', 'address', 'role', 'state', 'pid'].join('\t')];
  for (const { node, role } of rows) {
    lines.push([node.name, node.address, role, node.state, node.pid ?? '-'].join('\t'));
  }
  return lines.join('\n');
}

const started = Date.now();
const topology = await startSentinelTopology({
  replicas: Number(values.replicas),
  sentinels: Number(values.sentinels),
  masterName: values['master-name'],
  downAfterMs: Number(values['down-after-ms']),
  ...common,
  ...(values['sentinel-password'] !== undefined && {
    sentinelPassword: values['sentinel-password'],
  }),
});

console.log(`Sentinel topology ready in ${Date.now() - started} ms`);
console.log(`location: ${topology.location}`);
console.log(await statusTable(topology));
console.log('Ctrl-C stops every node.');

stopOnSignal(topology);

// Report failovers as Sentinel announces them, until stopped. Every sentinel
// announces the same switch, so only a change of master is printed.
let after = Date.now();
let lastMaster = (await topology.currentMaster()).address;
for (;;) {
  const switched = await topology
    .waitForSwitch({ after, timeoutMs: 2 ** 31 - 1 })
    .catch(() => undefined);
  if (stopping || !switched) break;
  after = switched.at + 0.001;
  if (switched.master.address === lastMaster) continue;
  lastMaster = switched.master.address;
  console.log(`\n+switch-master: ${switched.from.host}:${switched.from.port} -> ${lastMaster}`);
  console.log(await statusTable(topology));
}
