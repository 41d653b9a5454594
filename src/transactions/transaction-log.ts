/**
 * The transaction coordinator's durable log: where its records go (a writer the broker gives
 * it, which appends to the internal compacted topic with acks 'all'), and how the latest
 * state per key is read back on start, straight from the topic's segment files through a
 * read-only `LogReader` (never through the actor).
 *
 * Loading, per record (offset order, so the last record of a key wins, as compaction keeps):
 * | record                                | outcome                                        |
 * | ------------------------------------- | ---------------------------------------------- |
 * | decodes (transaction, block, epoch)   | replaces the key's state                       |
 * | does not decode (bit rot, a newer     | reported in `skipped` with its offset; the     |
 * | layout)                               | key keeps its earlier state                    |
 * | control or gap batch                  | no records: passed over                        |
 */
import {
  batchBaseOffset, batchIsControl, batchLastOffset, batchRecordCount, batchSizeBytesAt,
  dataViewOf, forEachRecord,
} from '../records/index.js';
import { LogReader, MmapStorage, type SegmentStorage } from '../segments/index.js';
import { decodeEntry, type TransactionRecord } from './transaction-log-layout.js';

/** Appends records to the transaction log; resolves once they are durable, in order. */
export interface TransactionLogWriter {
  append(records: readonly { key: Uint8Array; value: Uint8Array }[]): Promise<void>;
}

export interface LoadedTransactionLog {
  transactions: Map<string, TransactionRecord>;
  /** Where producer-id allocation resumes (0: nothing allocated yet). */
  nextProducerIdBlock: number;
  /** The last coordinator epoch written (0: none). */
  coordinatorEpoch: number;
  /** Records that did not decode, with why. */
  skipped: { offset: number; reason: string }[];
}

const readBytes = 1024 * 1024;

export function emptyTransactionLog(): LoadedTransactionLog {
  return { transactions: new Map(), nextProducerIdBlock: 0, coordinatorEpoch: 0, skipped: [] };
}

/**
 * The latest state per key in `[logStartOffset, highWatermark)` of the log partition in
 * `partitionDir`.
 */
export function loadTransactionLog(partitionDir: string, logStartOffset: number,
  highWatermark: number, storage: SegmentStorage = new MmapStorage()): LoadedTransactionLog {
  const loaded = emptyTransactionLog();
  if (highWatermark <= logStartOffset) return loaded;
  const reader = LogReader.open(partitionDir, storage);
  let next = logStartOffset;
  while (next < highWatermark) {
    const bytes = reader.read(next, readBytes, highWatermark, logStartOffset);
    if (bytes.length === 0) break;
    const view = dataViewOf(bytes);
    let position = 0;
    while (position < bytes.length) {
      const lastOffset = batchLastOffset(view, position);
      if (lastOffset >= next && !batchIsControl(view, position) &&
        batchRecordCount(view, position) > 0) {
        forEachRecord(bytes, position, (record) => {
          if (record.offset < next) return;
          applyLogRecord(loaded, record.offset, record.key, record.value);
        });
      }
      next = Math.max(next, lastOffset + 1, batchBaseOffset(view, position));
      position += batchSizeBytesAt(view, position);
    }
  }
  return loaded;
}

/** Applies one log record to `loaded` (the loader's step; tests replay records with it). */
export function applyLogRecord(loaded: LoadedTransactionLog, offset: number,
  key: Uint8Array | null, value: Uint8Array | null): void {
  const decoded = decodeEntry(key, value);
  if (!decoded.ok) {
    loaded.skipped.push({ offset, reason: decoded.reason });
    return;
  }
  const { entry } = decoded;
  switch (entry.kind) {
    case 'transaction':
      loaded.transactions.set(entry.record.transactionalId, entry.record);
      return;
    case 'producer-id-block':
      loaded.nextProducerIdBlock = Math.max(loaded.nextProducerIdBlock,
        entry.record.nextProducerIdBlock);
      return;
    case 'coordinator-epoch':
      loaded.coordinatorEpoch = Math.max(loaded.coordinatorEpoch, entry.record.coordinatorEpoch);
      return;
  }
}
