/**
 * The segment log: what other folders may use. A partition actor owns a `PartitionLog`;
 * consumers in any thread read through a `LogReader`.
 */
export { PartitionLog } from './partition-log.js';
export type { AppendResult, LogStats, RecoveryReport } from './partition-log.js';
export type { FlushPolicy, PartitionLogOptions } from './log-options.js';
export { LogReader } from './log-reader.js';
export { ProducerState } from './producer-state.js';
export type { ProducerCheck, ProducerEntry } from './producer-state.js';
export type { LostRange, TornTail } from './recovery.js';
export type {
  MappedFile, PreparedFile, PreparedFileState, SegmentStorage,
} from './storage.js';
export { MmapStorage } from './mmap-storage.js';
export { MemoryStorage } from './memory-storage.js';
export type { CrashOptions, MemoryStorageOptions } from './memory-storage.js';
export { isGapBatch } from './stored-batch.js';
export {
  CHECKPOINT_FILE_NAME, decodeCheckpoint, encodeCheckpoint, type CheckpointData,
} from './checkpoint.js';
export { PREPARED_SUFFIX, listSegmentBaseOffsets, segmentFileName } from './segment.js';
export type { AppendFile } from './storage.js';
export { TEMP_SUFFIX } from './atomic-file.js';
export { cleanSegments, type CleanResult, type CleanSegmentSpec, type CleanTask } from
  './segment-cleaner.js';
export { CLEAN_SWAP_FILE_NAME } from './clean-swap.js';
export {
  ABORTED_INDEX_FILE_NAME, isAbortedBatch, readAbortedTransactions,
} from './aborted-index.js';
export {
  TransactionState, type AbortedTransaction, type TransactionEntry,
} from './transaction-state.js';
