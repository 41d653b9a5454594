import { describe, expect, it } from 'vitest';
import { readHexFixture } from './golden-bytes.js';
import { MambaError } from '../../src/errors.js';
import {
  ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, INCOMING_BATCH, LAST_OFFSET_DELTA_OFFSET,
  MAGIC_OFFSET, PARTITION_LEADER_EPOCH_OFFSET, RECORD_COUNT_OFFSET, RECORDS_OFFSET, STORED_BATCH,
  STORED_BATCH_NO_CRC, STORED_LEADER_EPOCH, batchCompression, batchIsControl,
  batchIsLogAppendTime, batchIsTransactional, checkBatch, crc32c, dataViewOf, encodeBatch,
  readBatchHeader, type BatchRules, type BatchVerdict,
} from '../../src/records/index.js';

const golden = readHexFixture('golden-batch.hex');

function writeInt32(bytes: Uint8Array, position: number, value: number): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setInt32(position, value);
  return bytes;
}

function check(
  bytes: Uint8Array, position = 0, limit = bytes.length, rules: BatchRules = INCOMING_BATCH,
  expected = -1,
): BatchVerdict {
  return checkBatch(bytes, dataViewOf(bytes), position, limit, expected, rules);
}

/** The golden batch as the log stores it: the leader epoch stamped. */
function stored(): Uint8Array {
  return writeInt32(golden.slice(), PARTITION_LEADER_EPOCH_OFFSET, STORED_LEADER_EPOCH);
}

function rechecksum(bytes: Uint8Array): Uint8Array {
  return writeInt32(bytes, 17, crc32c(bytes.subarray(21)) | 0);
}

describe('checkBatch', () => {
  it('accepts a valid batch within its limit, whatever follows it', () => {
    const log = new Uint8Array(300);
    log.set(golden, 100);
    log.fill(0xaa, 188);
    expect(check(log, 100, 188)).toBe('valid');
    expect(check(log, 100, 300)).toBe('valid');
  });

  it('tells an all-zero header (end of data) from garbage', () => {
    expect(check(new Uint8Array(100))).toBe('zero');
    expect(check(new Uint8Array(100), 40, 60)).toBe('zero');
    expect(check(new Uint8Array(100), 100, 100)).toBe('zero');
    const oneByte = new Uint8Array(100);
    oneByte[30] = 1;
    expect(check(oneByte)).toBe('length');
    const shortTail = new Uint8Array(20);
    shortTail[3] = 9;
    expect(check(shortTail)).toBe('truncated');
  });

  it('reports a cut batch as truncated or a length past the data', () => {
    // The golden batch starts with 11 zero bytes (baseOffset 0, batchLength 0x0000004c).
    for (const cut of [0, 1, 11, 12, 17, 60, 61, 87]) {
      const expected = cut <= 11 ? 'zero' : cut < 61 ? 'truncated' : 'length';
      expect(check(golden.subarray(0, cut))).toBe(expected);
      expect(check(golden, 0, cut)).toBe(expected);
    }
  });

  it('reports a wrong magic, and lengths out of bounds', () => {
    const magic = golden.slice();
    magic[MAGIC_OFFSET] = 1;
    expect(check(magic)).toBe('magic');
    for (const length of [-1, 0, 48, 77, 4 * 1024 * 1024]) {
      expect(check(writeInt32(golden.slice(), BATCH_LENGTH_OFFSET, length))).toBe('length');
    }
  });

  it('finds every flipped bit of the checksummed span', () => {
    for (let position = 21; position < golden.length; position++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = golden.slice();
        flipped[position] ^= 1 << bit;
        const verdict = check(flipped);
        const ownCheck = position === ATTRIBUTES_OFFSET + 1 ||
          (position >= LAST_OFFSET_DELTA_OFFSET && position < LAST_OFFSET_DELTA_OFFSET + 4) ||
          (position >= RECORD_COUNT_OFFSET && position < RECORDS_OFFSET);
        if (ownCheck) expect(verdict).not.toBe('valid');
        else expect(verdict).toBe('crc');
      }
    }
    const crc = golden.slice();
    crc[17] ^= 0x80;
    expect(check(crc)).toBe('crc');
    expect(check(crc, 0, crc.length, STORED_BATCH_NO_CRC)).toBe('leader-epoch');
  });

  it('checks a stored batch by value where the CRC does not reach', () => {
    expect(check(stored(), 0, 88, STORED_BATCH)).toBe('valid');
    expect(check(golden, 0, 88, STORED_BATCH)).toBe('leader-epoch');
    expect(check(stored(), 0, 88, STORED_BATCH, 0)).toBe('valid');
    expect(check(stored(), 0, 88, STORED_BATCH, 7)).toBe('offset');
    const flipped = stored();
    flipped[70] ^= 4;
    expect(check(flipped, 0, 88, STORED_BATCH)).toBe('crc');
    expect(check(flipped, 0, 88, STORED_BATCH_NO_CRC)).toBe('valid');
  });

  it('reports a record count that disagrees with the batch', () => {
    const recheck = (mutate: (bytes: Uint8Array) => void, rules = INCOMING_BATCH): string => {
      const bytes = encodeBatch([{ value: null }, { value: null }]);
      writeInt32(bytes, PARTITION_LEADER_EPOCH_OFFSET, STORED_LEADER_EPOCH);
      mutate(bytes);
      return check(rechecksum(bytes), 0, bytes.length, rules);
    };
    expect(recheck(() => undefined)).toBe('valid');
    expect(recheck((bytes) => writeInt32(bytes, RECORD_COUNT_OFFSET, 3))).toBe('count');
    expect(recheck((bytes) => writeInt32(bytes, RECORD_COUNT_OFFSET, 0))).toBe('count');
    expect(recheck((bytes) => writeInt32(bytes, LAST_OFFSET_DELTA_OFFSET, 5))).toBe('count');
    // Stored batches may hold fewer records than offsets (a gap marker holds none).
    expect(recheck((bytes) => writeInt32(bytes, RECORD_COUNT_OFFSET, 0), STORED_BATCH))
      .toBe('valid');
    expect(recheck((bytes) => writeInt32(bytes, LAST_OFFSET_DELTA_OFFSET, 5), STORED_BATCH))
      .toBe('valid');
    expect(recheck((bytes) => writeInt32(bytes, LAST_OFFSET_DELTA_OFFSET, 0), STORED_BATCH))
      .toBe('count');
  });

  it('reads the attribute bits, and rejects a codec Kafka does not define', () => {
    for (const [attributes, codec, logAppend, transactional, control] of [
      [0x00, 0, false, false, false], [0x01, 1, false, false, false],
      [0x04, 4, false, false, false], [0x0b, 3, true, false, false],
      [0x12, 2, false, true, false], [0x30, 0, false, true, true],
    ] as const) {
      const bytes = golden.slice();
      new DataView(bytes.buffer).setInt16(ATTRIBUTES_OFFSET, attributes);
      const view = dataViewOf(bytes);
      expect([batchCompression(view, 0), batchIsLogAppendTime(view, 0),
        batchIsTransactional(view, 0), batchIsControl(view, 0)])
        .toEqual([codec, logAppend, transactional, control]);
      const header = readBatchHeader(bytes, 0);
      expect([header.compression, header.logAppendTime, header.transactional, header.control])
        .toEqual([codec, logAppend, transactional, control]);
      expect(check(rechecksum(bytes))).toBe('valid');
    }
    for (const codec of [5, 6, 7]) {
      const bytes = golden.slice();
      new DataView(bytes.buffer).setInt16(ATTRIBUTES_OFFSET, codec);
      expect(check(rechecksum(bytes))).toBe('compression');
    }
  });

  it('accepts a compressed batch smaller than its records would be uncompressed', () => {
    const bytes = encodeBatch(Array.from({ length: 20 }, () => ({ value: null })));
    // Cut the records to a few bytes, as a codec would, and mark the batch gzip.
    const cut = bytes.slice(0, RECORDS_OFFSET + 10);
    writeInt32(cut, BATCH_LENGTH_OFFSET, cut.length - 12);
    new DataView(cut.buffer).setInt16(ATTRIBUTES_OFFSET, 1);
    expect(check(rechecksum(cut))).toBe('valid');
    new DataView(cut.buffer).setInt16(ATTRIBUTES_OFFSET, 0);
    expect(check(rechecksum(cut))).toBe('count');
  });
});

describe('readBatchHeader', () => {
  it('throws CORRUPT_BATCH for a header past the end', () => {
    expect(() => readBatchHeader(golden.subarray(0, 60), 0)).toThrow(MambaError);
    expect(() => readBatchHeader(golden, 28)).toThrow(/runs past the end/);
  });
});
