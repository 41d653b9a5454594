/**
 * A compressed batch (the Kafka door stores clients' batches as sent) holds its records as one
 * compressed blob, which can be far smaller than its records' minimum size: the log must append
 * it, and recovery must keep it, instead of calling its record count implausible.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ATTRIBUTES_OFFSET, CRC_OFFSET, CRC_SPAN_START, crc32c,
} from '../../src/records/index.js';
import { PartitionLog, type SegmentStorage } from '../../src/segments/index.js';
import { buildBatch } from './batch-builder.js';
import { quiet, storageKinds } from './log-harness.js';

/** 50 records in a 40-byte blob, marked zstd: smaller than 50 minimal records would be. */
function compressedBatch(): Uint8Array {
  const bytes = buildBatch({ recordCount: 50, payload: new Uint8Array(40).fill(7) });
  const view = new DataView(bytes.buffer);
  view.setInt16(ATTRIBUTES_OFFSET, 4);
  view.setUint32(CRC_OFFSET, crc32c(bytes.subarray(CRC_SPAN_START)));
  return bytes;
}

describe.each(storageKinds)('a compressed batch on $name', (kind) => {
  let storage: SegmentStorage;
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ storage, dir, cleanup } = kind.make());
  });
  afterEach(() => cleanup());

  it('is appended and survives a reopen with all its offsets', () => {
    const open = () => PartitionLog.open(dir, { storage, segmentSizeBytes: 64 * 1024, log: quiet });
    const log = open();
    expect(log.append(compressedBatch())).toMatchObject({ baseOffset: 0, lastOffset: 49 });
    log.append(compressedBatch());
    log.close();
    const reopened = open();
    expect(reopened.logEndOffset).toBe(100);
    expect(reopened.recovery.tornTail).toBeUndefined();
    reopened.close();
  });
});
