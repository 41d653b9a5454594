/**
 * Test helper: everything a closed data directory holds for a topic, read straight from the
 * partition logs (no broker running), decoded record by record.
 */
import path from 'node:path';
import { PartitionLog } from '../../src/segments/index.js';
import {
  forEachRecord, readBatchHeader, type DecodedRecord,
} from '../../src/records/index.js';

export interface StoredRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

const decoder = new TextDecoder();

/** Visits every record of one partition of a closed data directory, in offset order. */
export function forEachStoredRecord(dataDir: string, topic: string, partition: number,
  visit: (record: DecodedRecord) => void): void {
  const log = PartitionLog.open(path.join(dataDir, `${topic}-${partition}`), { log: () => {} });
  try {
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const bytes = log.read(offset, 1 << 20);
      let position = 0;
      while (position < bytes.length) {
        const header = readBatchHeader(bytes, position);
        forEachRecord(bytes, position, visit);
        position += header.sizeBytes;
        offset = header.baseOffset + header.lastOffsetDelta + 1;
      }
    }
  } finally {
    log.close();
  }
}

export function readPartition(dataDir: string, topic: string, partition: number): StoredRecord[] {
  const records: StoredRecord[] = [];
  forEachStoredRecord(dataDir, topic, partition, (record) => {
    records.push({
      partition, offset: record.offset,
      key: record.key === null ? null : decoder.decode(record.key),
      value: decoder.decode(record.value ?? new Uint8Array(0)),
    });
  });
  return records;
}

export function readTopic(dataDir: string, topic: string, partitions: number): StoredRecord[] {
  const all: StoredRecord[] = [];
  for (let p = 0; p < partitions; p++) all.push(...readPartition(dataDir, topic, p));
  return all;
}
