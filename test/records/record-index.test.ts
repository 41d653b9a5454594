import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readHexFixture } from './golden-bytes.js';
import { MambaError } from '../../src/errors.js';
import {
  RecordIndex, codecNamed, compressBatch, decodeHeaders, encodeBatch, forEachRecord, indexBatch,
  ATTRIBUTE_TIMESTAMP_LOG_APPEND, type RecordInput,
} from '../../src/records/index.js';

interface Fields {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string]>;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** What `forEachRecord` reads, or the error code it throws. */
function byCallback(bytes: Uint8Array, position: number): Fields[] | string {
  const fields: Fields[] = [];
  try {
    forEachRecord(bytes, position, (record) => {
      fields.push({
        offset: record.offset, timestamp: record.timestamp,
        key: record.key === null ? null : hex(record.key),
        value: record.value === null ? null : hex(record.value),
        headers: record.headers.map(([name, value]) => [name, hex(value)]),
      });
    });
  } catch (error) {
    if (!MambaError.is(error)) throw error;
    return error.code;
  }
  return fields;
}

/** What the index reads, or the error code it throws. */
function byIndex(bytes: Uint8Array, position: number, index: RecordIndex): Fields[] | string {
  try {
    indexBatch(bytes, position, index);
  } catch (error) {
    if (!MambaError.is(error)) throw error;
    expect(index.count).toBe(0);
    return error.code;
  }
  const records = index.records;
  const view = (at: number, size: number): string | null =>
    size < 0 ? null : hex(records.subarray(at, at + size));
  return Array.from({ length: index.count }, (_, i) => ({
    offset: index.offsets[i], timestamp: index.timestamps[i],
    key: view(index.keyPositions[i], index.keySizesBytes[i]),
    value: view(index.valuePositions[i], index.valueSizesBytes[i]),
    headers: index.headerCounts[i] === 0 ? []
      : decodeHeaders(records, index.headersPositions[i], index.headerCounts[i])
        .map(([name, value]) => [name, hex(value)] as [string, string]),
  }));
}

const bytesArb = fc.uint8Array({ maxLength: 200 });
const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(bytesArb, { nil: null }),
  value: fc.option(bytesArb, { nil: null }),
  headers: fc.array(fc.tuple(fc.string({ maxLength: 12 }), bytesArb), { maxLength: 3 }),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
}, { requiredKeys: ['value'] });

describe('the record index', () => {
  it('reads what forEachRecord reads, from one reused index (property)', () => {
    const index = new RecordIndex();
    fc.assert(fc.property(
      fc.array(recordArb, { minLength: 1, maxLength: 150 }), fc.nat(2 ** 40), fc.boolean(),
      (records, baseOffset, logAppendTime) => {
        const attributes = logAppendTime ? ATTRIBUTE_TIMESTAMP_LOG_APPEND : 0;
        const bytes = encodeBatch(records, { baseOffset, attributes });
        const expected = byCallback(bytes, 0);
        expect(typeof expected).not.toBe('string');
        expect(byIndex(bytes, 0, index)).toEqual(expected);
      },
    ), { numRuns: 200 });
  });

  it('reads compressed batches from their inflated records', () => {
    const records = Array.from({ length: 300 }, (_, i) => ({
      key: Buffer.from(`k${i}`), value: Buffer.from(`value ${i}`.repeat(3)),
      headers: i % 7 === 0 ? [['h', Buffer.from([i & 0xff])]] as Array<[string, Uint8Array]>
        : [],
    }));
    const bytes = compressBatch(encodeBatch(records, { baseOffset: 40 }), codecNamed('gzip')!);
    const index = new RecordIndex();
    expect(byIndex(bytes, 0, index)).toEqual(byCallback(bytes, 0));
    expect(index.count).toBe(300);
    expect(index.records).not.toBe(bytes);
  });

  it('refuses exactly the damaged bytes forEachRecord refuses (property)', () => {
    const golden = readHexFixture('golden-batch.hex');
    const index = new RecordIndex();
    fc.assert(fc.property(fc.nat(golden.length - 1), fc.integer({ min: 1, max: 255 }),
      (position, mask) => {
        const copy = golden.slice();
        copy[position] ^= mask;
        expect(byIndex(copy, 0, index)).toEqual(byCallback(copy, 0));
      }), { numRuns: 1000 });
    expect(byIndex(golden.subarray(0, 80), 0, index)).toBe('CORRUPT_BATCH');
  });
});
