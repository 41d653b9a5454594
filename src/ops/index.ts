/**
 * Operations: what an operator uses to look at, fix and back up a broker without writing
 * code. Admin views of a data directory, segment dumps, online backup and restore (and, by
 * another hand, metrics, alerts and the dashboard).
 */
export { backupDataDir, type BackupOptions, type BackupReport } from './backup.js';
export {
  restoreBackup, verifyBackup, type RestoreReport,
} from './backup-restore.js';
export {
  readBackupManifest, type BackupFile, type BackupManifest, type BackupPartition,
} from './backup-manifest.js';
export {
  compressionName, dumpBatches, dumpRecords, readWholeFile, verdictText, walkSegment,
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
