// `status` and the client call the same replicas healthy: fed the same `SENTINEL replicas` reply
// (and the same `INFO replication` of the master), the CLI's report lists as healthy exactly the
// replicas the client would read from (issue 16: the CLI had a rule of its own, and called
// healthy replicas the client refuses).
import { formatAddress, type ReplicationLagBound } from '@sentinelkit/core';
import {
  filterReplicas,
  parseReplicaList,
  parseReplicationInfo,
  withMasterView,
} from '@sentinelkit/core/internal';
import { describe, expect, it } from 'vitest';
import { assessReport, type DeploymentReport, replicaReportOf } from '../src/report.js';

const MASTER = { host: '10.0.0.1', port: 6379 };

/** One entry of `SENTINEL replicas`, as Sentinel sends it (flat key/value strings). */
function entry(port: number, fields: Record<string, string> = {}): string[] {
  const all: Record<string, string> = {
    name: `10.0.0.2:${port}`,
    ip: '10.0.0.2',
    port: String(port),
    flags: 'slave',
    'master-link-status': 'ok',
    'master-host': MASTER.host,
    'master-port': String(MASTER.port),
    'slave-repl-offset': '5000',
    ...fields,
  };
  for (const [key, value] of Object.entries(all)) if (value === '') delete all[key];
  return Object.entries(all).flat();
}

const INFO = [
  '# Replication',
  'role:master',
  'connected_slaves:2',
  'slave0:ip=10.0.0.2,port=7001,state=online,offset=5000,lag=0',
  'slave1:ip=10.0.0.2,port=7008,state=online,offset=1000,lag=9',
  'master_repl_offset:5000',
].join('\r\n');

/** The replicas the client puts in its read rotation (replica-rotation.ts' reconcile). */
function clientHealthy(reply: unknown, bound: ReplicationLagBound | undefined): string[] {
  const info = parseReplicationInfo(INFO);
  const list = bound ? withMasterView(parseReplicaList(reply), info) : parseReplicaList(reply);
  const master = bound ? { ...MASTER, replOffset: info.replOffset ?? 0 } : MASTER;
  const { healthy } = filterReplicas(list, master, bound ? { maxReplicationLag: bound } : {});
  return healthy.map(formatAddress);
}

/** The replicas `sentinelkit status` calls healthy (inspect.ts' report, then assessReport). */
function cliHealthy(reply: unknown, bound: ReplicationLagBound | undefined): string[] {
  const info = parseReplicationInfo(INFO);
  const address = formatAddress(MASTER);
  const report: DeploymentReport = {
    masterName: 'mymaster',
    checkedAt: 0,
    sentinels: [{ address: 's1:26379', reachable: true, master: address, quorumOk: true }],
    master: { address, reachable: true, role: 'master', offset: 5000 },
    replicas: parseReplicaList(reply).map((c) => replicaReportOf(c, info)),
    ...(bound && { maxReplicationLag: bound }),
  };
  return assessReport(report).healthyReplicas;
}

describe('the CLI and the client agree on which replica is healthy', () => {
  const reply = [
    entry(7001),
    entry(7002, { 'master-link-status': 'err' }),
    entry(7003, { flags: 'slave,s_down' }),
    entry(7004, { flags: 'slave,disconnected' }),
    entry(7005, { 'master-host': '10.0.0.9' }),
    entry(7006, { 'master-link-status': '' }),
    entry(7007, { 'master-host': '?' }),
    entry(7008),
  ];

  it.each<[string, ReplicationLagBound | undefined]>([
    ['without a lag bound', undefined],
    ['with a lag bound in bytes', { bytes: 100 }],
    ['with a lag bound in seconds', { seconds: 5 }],
  ])('%s', (_, bound) => {
    const client = clientHealthy(reply, bound);
    expect(client.length).toBeGreaterThan(0);
    expect(cliHealthy(reply, bound)).toEqual(client);
  });

  it('the client refuses a replica that follows another master, or whose link is unknown, and so does the CLI', () => {
    expect(clientHealthy(reply, undefined)).toEqual(['10.0.0.2:7001', '10.0.0.2:7008']);
    expect(clientHealthy(reply, { seconds: 5 })).toEqual(['10.0.0.2:7001']);
  });
});
