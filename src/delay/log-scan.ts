/**
 * Reading a partition's log in the delay service: whole batches through a read-only
 * `LogReader` (never through the actor), one `RecordView` per record. A gap marker (an empty
 * control batch left by a repair) holds offsets but no records; its offsets are reported as
 * gaps so that the caller can count them done.
 */
import {
  batchBaseOffset, batchLastOffset, batchRecordCount, batchSizeBytesAt, dataViewOf,
  forEachRecord, type RecordView,
} from '../records/index.js';
import type { LogReader } from '../segments/index.js';

/** Bytes asked of the log per read when scanning; one batch is always returned whole. */
export const SCAN_READ_BYTES = 1024 * 1024;

export interface ScanCallbacks {
  record(record: RecordView): void;
  /** Offsets `[from, to)` hold no record. */
  gap?(fromOffset: number, toOffset: number): void;
}

/**
 * Calls back for the records at offsets `[fromOffset, upToOffset)`, stopping after the batch in
 * which `recordCountMax` records were passed; returns the offset to continue from. `readBytes`
 * bounds each read of the log (a read of fewer bytes than a batch returns that one batch).
 */
export function scanLog(reader: LogReader, fromOffset: number, upToOffset: number,
  logStartOffset: number, recordCountMax: number, callbacks: ScanCallbacks,
  readBytes = SCAN_READ_BYTES): number {
  let next = fromOffset;
  let seen = 0;
  while (next < upToOffset && seen < recordCountMax) {
    const bytes = reader.read(next, readBytes, upToOffset, logStartOffset);
    if (bytes.length === 0) break;
    const view = dataViewOf(bytes);
    let position = 0;
    while (position < bytes.length && seen < recordCountMax) {
      const baseOffset = batchBaseOffset(view, position);
      const lastOffset = batchLastOffset(view, position);
      if (lastOffset >= next) {
        if (batchRecordCount(view, position) === 0) {
          callbacks.gap?.(Math.max(baseOffset, next), lastOffset + 1);
        } else {
          forEachRecord(bytes, position, (record) => {
            if (record.offset >= next && record.offset < upToOffset) callbacks.record(record);
          });
        }
        seen += lastOffset + 1 - Math.max(baseOffset, next);
        next = lastOffset + 1;
      }
      position += batchSizeBytesAt(view, position);
    }
  }
  return Math.min(next, upToOffset);
}
