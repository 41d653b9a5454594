/**
 * Operations: what an operator uses to look at, fix and back up a broker without writing
 * code. Prometheus metrics read from shared memory, the HTTP port (metrics, health, readiness,
 * the live dashboard), alert rules with webhook notifications; admin views of a data
 * directory, segment dumps, online backup and restore. Above the door (it reads every layer
 * below), below the CLI.
 */
export { backupDataDir, type BackupOptions, type BackupReport } from './backup.js';
export {
  restoreBackup, verifyBackup, type RestoreReport,
} from './backup-restore.js';
export {
  readBackupManifest, type BackupFile, type BackupManifest, type BackupPartition,
} from './backup-manifest.js';
export {
  compressionName, dumpBatches, dumpMarker, dumpRecords, readWholeFile, verdictText, walkSegment,
  type DumpedMarker,
  type DumpedBatch, type DumpedRecord, type SegmentEnd,
} from './dump-segment.js';
export {
  DataDirView, type GroupOffsetView, type GroupView, type PartitionView, type SegmentView,
} from './admin-data-dir.js';
export {
  dataDirResetSource, planReset, type ResetRow, type ResetSource, type ResetSpec,
} from './admin-offsets.js';
export { alterTopicOffline, type TopicChanges } from './admin-topics.js';
export { AdminClient, type RemoteTopic } from './admin-client.js';
export { BrokerOps } from './broker-ops.js';
export type {
  OpsEventMap, OpsEvents, OpsGroup, OpsGroupMember, OpsSource, OpsTopic,
} from './ops-source.js';
export { OpsHttpServer, resolveHttpListenOptions } from './http/ops-http-server.js';
export type { HttpListenOptions } from './http/ops-http-server.js';
export { AlertEngine } from './alerts/alert-engine.js';
export { AlertNotifier, fingerprintOf } from './alerts/alert-notifier.js';
export type { WebhookMessage } from './alerts/alert-notifier.js';
export {
  ALERT_KINDS, checkAlertConfig, globMatcher, parseAlertConfig,
} from './alerts/alert-rules.js';
export type { AlertConfig, AlertConfigInput, AlertKind, AlertRule } from './alerts/alert-rules.js';
export { exportPrometheusRules } from './alerts/alert-export.js';
export type { DashboardSnapshot, AlertView } from './dashboard/dashboard-snapshot.js';
export { histogramQuantile } from './metrics/histogram-math.js';
