/**
 * Test helper: everything a closed data directory holds for a topic, read straight from the
 * partition logs (no broker running), decoded record by record.
 */
import path from 'node:path';
import { PartitionLog } from '../../src/segments/index.js';
import { forEachRecord, readBatchHeader } from '../../src/records/index.js';

export interface StoredRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

const decoder = new TextDecoder();

export function readPartition(dataDir: string, topic: string, partition: number): StoredRecord[] {
  const log = PartitionLog.open(path.join(dataDir, `${topic}-${partition}`), { log: () => {} });
  const records: StoredRecord[] = [];
  try {
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const bytes = log.read(offset, 1 << 20);
      let position = 0;
      while (position < bytes.length) {
        const header = readBatchHeader(bytes, position);
        forEachRecord(bytes, position, (record) => {
          records.push({
            partition, offset: record.offset,
            key: record.key === null ? null : decoder.decode(record.key),
            value: decoder.decode(record.value ?? new Uint8Array(0)),
          });
        });
        position += header.sizeBytes;
        offset = header.baseOffset + header.lastOffsetDelta + 1;
      }
    }
  } finally {
    log.close();
  }
  return records;
}

export function readTopic(dataDir: string, topic: string, partitions: number): StoredRecord[] {
  const all: StoredRecord[] = [];
  for (let p = 0; p < partitions; p++) all.push(...readPartition(dataDir, topic, p));
  return all;
}
