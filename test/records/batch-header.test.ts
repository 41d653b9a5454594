import { describe, expect, it } from 'vitest';
import { readHexFixture } from './golden-bytes.js';
import { MambaError } from '../../src/errors.js';
import {
  BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, MAGIC_OFFSET, RECORD_COUNT_OFFSET,
  crc32c, encodeBatch, readBatchHeader, validateBatch, type BatchCheck,
} from '../../src/records/index.js';

const golden = readHexFixture('golden-batch.hex');

function writeInt32(bytes: Uint8Array, position: number, value: number): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setInt32(position, value);
  return bytes;
}

function reason(check: BatchCheck): string {
  return check.ok ? 'ok' : check.reason;
}

describe('validateBatch', () => {
  it('accepts a valid batch within its limit, whatever follows it', () => {
    const log = new Uint8Array(300);
    log.set(golden, 100);
    log.fill(0xaa, 188);
    expect(validateBatch(log, 100, 200)).toEqual({ ok: true, sizeBytes: 88 });
  });

  it('tells an all-zero header (end of log) from garbage', () => {
    expect(validateBatch(new Uint8Array(100), 0, 100)).toEqual(
      { ok: false, reason: 'zero-header', sizeBytes: 0 });
    expect(reason(validateBatch(new Uint8Array(100), 40, 60))).toBe('zero-header');
    expect(reason(validateBatch(new Uint8Array(100), 100, 0))).toBe('zero-header');
    const oneByte = new Uint8Array(100);
    oneByte[30] = 1;
    expect(reason(validateBatch(oneByte, 0, 100))).toBe('bad-magic');
    const shortTail = new Uint8Array(20);
    shortTail[3] = 9;
    expect(reason(validateBatch(shortTail, 0, 20))).toBe('short');
  });

  it('reports a truncated batch as short', () => {
    // The golden batch starts with 11 zero bytes (baseOffset 0, batchLength 0x0000004c), so a
    // cut within them leaves only zeros: nothing of the batch is there.
    for (const cut of [0, 1, 11, 12, 17, 60, 61, 87]) {
      const expected = cut <= 11 ? 'zero-header' : 'short';
      expect(reason(validateBatch(golden.subarray(0, cut), 0, 88))).toBe(expected);
      expect(reason(validateBatch(golden, 0, cut))).toBe(expected);
    }
  });

  it('reports a wrong magic, and lengths out of bounds', () => {
    const magic = golden.slice();
    magic[MAGIC_OFFSET] = 1;
    expect(reason(validateBatch(magic, 0, 88))).toBe('bad-magic');
    for (const length of [-1, 0, 48, 4 * 1024 * 1024]) {
      const bytes = writeInt32(golden.slice(), BATCH_LENGTH_OFFSET, length);
      expect(reason(validateBatch(bytes, 0, 88))).toBe('bad-length');
    }
  });

  it('reports every flipped bit in the checksummed span as bad-crc, with the size', () => {
    for (let position = 21; position < golden.length; position++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = golden.slice();
        flipped[position] ^= 1 << bit;
        expect(validateBatch(flipped, 0, 88)).toEqual(
          { ok: false, reason: 'bad-crc', sizeBytes: 88 });
      }
    }
    const crc = golden.slice();
    crc[17] ^= 0x80;
    expect(reason(validateBatch(crc, 0, 88))).toBe('bad-crc');
  });

  it('reports a record count that disagrees with the batch as bad-count', () => {
    // A batch with a correct CRC over a wrong count: re-encode, change, re-checksum.
    const recheck = (mutate: (bytes: Uint8Array) => void): BatchCheck => {
      const bytes = encodeBatch([{ value: null }, { value: null }]);
      mutate(bytes);
      writeInt32(bytes, 17, crc32c(bytes.subarray(21)) | 0);
      return validateBatch(bytes, 0, bytes.length);
    };
    expect(reason(recheck(() => undefined))).toBe('ok');
    expect(reason(recheck((bytes) => writeInt32(bytes, RECORD_COUNT_OFFSET, 3)))).toBe('bad-count');
    expect(reason(recheck((bytes) => writeInt32(bytes, RECORD_COUNT_OFFSET, 0)))).toBe('bad-count');
    expect(reason(recheck((bytes) => writeInt32(bytes, LAST_OFFSET_DELTA_OFFSET, 5))))
      .toBe('bad-count');
  });
});

describe('readBatchHeader', () => {
  it('throws CORRUPT_BATCH for a header past the end', () => {
    expect(() => readBatchHeader(golden.subarray(0, 60), 0)).toThrow(MambaError);
    expect(() => readBatchHeader(golden, 28)).toThrow(/runs past the end/);
  });
});
