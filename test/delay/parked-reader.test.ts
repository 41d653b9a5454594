import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParkedReader } from '../../src/delay/parked-reader.js';
import {
  batchCompression, codecNamed, compressBatch, dataViewOf, encodeBatch, type DecodedRecord,
} from '../../src/records/index.js';
import { LogReader, PartitionLog } from '../../src/segments/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A batch of parked records: value `v<n>`, due time 1000 + n, one header. */
function batch(first: number, count: number): Uint8Array {
  return encodeBatch(Array.from({ length: count }, (_, i) => ({
    key: encoder.encode(`k${first + i}`), value: encoder.encode(`v${first + i}`),
    timestamp: 1000 + first + i, headers: [['mamba.delay.topic', encoder.encode('t')]],
  })));
}

function summary(record: DecodedRecord): string {
  return `${record.offset}:${decoder.decode(record.key!)}:${decoder.decode(record.value!)}:` +
    `${record.timestamp}:${record.headers.map(([k, v]) => `${k}=${decoder.decode(v)}`).join()}`;
}

describe('ParkedReader', () => {
  it('builds exactly the wanted records, across batches, and skips offsets not in the log',
    () => {
      const dir = path.join(tempDir(), '__mamba_delayed-0');
      const log = PartitionLog.open(dir, { segmentSizeBytes: 64 * 1024, log: () => {} });
      try {
        log.append(batch(0, 50));
        log.append(batch(50, 1));
        log.append(batch(51, 30));
        const reader = new ParkedReader(LogReader.open(dir));
        const seen: string[] = [];
        // 81 and 500 are past the log's end: not found, and not an error.
        const found = reader.readEach([0, 7, 49, 50, 52, 80, 81, 500], log.logEndOffset, 0,
          (record) => seen.push(summary(record)));
        expect(found).toBe(6);
        expect(seen).toEqual([0, 7, 49, 50, 52, 80].map((n) =>
          `${n}:k${n}:v${n}:${1000 + n}:mamba.delay.topic=t`));
        // Again, from the record starts kept for those batches.
        seen.length = 0;
        expect(reader.readEach([1, 48, 79], log.logEndOffset, 0,
          (record) => seen.push(summary(record)))).toBe(3);
        expect(seen).toEqual([1, 48, 79].map((n) =>
          `${n}:k${n}:v${n}:${1000 + n}:mamba.delay.topic=t`));
      } finally {
        log.close();
      }
    });

  it('reads a compressed parked batch', () => {
    const dir = path.join(tempDir(), '__mamba_delayed-0');
    const log = PartitionLog.open(dir, { segmentSizeBytes: 64 * 1024, log: () => {} });
    try {
      const compressed = compressBatch(batch(0, 20), codecNamed('gzip')!);
      expect(batchCompression(dataViewOf(compressed), 0)).not.toBe(0);
      log.append(compressed);
      const seen: string[] = [];
      new ParkedReader(LogReader.open(dir)).readEach([3, 19], log.logEndOffset, 0,
        (record) => seen.push(summary(record)));
      expect(seen).toEqual(['3:k3:v3:1003:mamba.delay.topic=t',
        '19:k19:v19:1019:mamba.delay.topic=t']);
    } finally {
      log.close();
    }
  });
});
