export { main } from './cli.js';
export type { ClusterChange, ClusterView, ClusterWatch } from './cluster-watch.js';
export { clusterChanges, watchCluster } from './cluster-watch.js';
export { inspectDeployment } from './inspect.js';
export type {
  Assessment,
  DeploymentReport,
  MasterReport,
  ReplicaReport,
  SentinelReport,
  Verdict,
} from './report.js';
export { assessReport, exitCodeOf, renderReport, replicaProblems } from './report.js';
export type { SentinelWatch, WatchedEvent } from './watch.js';
export { watchSentinelEvents } from './watch.js';
