import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  VARINT_INVALID, readVarint, readVarlong, readVarlongBigInt, varintSizeBytes, varlongSizeBytes,
  writeVarint, writeVarlong, writeVarlongBigInt,
} from '../../src/records/index.js';

function encodeVarint(value: number): number[] {
  const bytes = new Uint8Array(10);
  return [...bytes.subarray(0, writeVarint(bytes, 0, value))];
}

function encodeVarlong(value: number): number[] {
  const bytes = new Uint8Array(10);
  return [...bytes.subarray(0, writeVarlong(bytes, 0, value))];
}

function decodeVarlong(bytes: number[]): { value: number; position: number } {
  const cursor = { position: 0 };
  const value = readVarlong(Uint8Array.from(bytes), cursor);
  return { value, position: cursor.position };
}

describe('varint (zigzag int32)', () => {
  it('encodes known values as Kafka does', () => {
    expect(encodeVarint(0)).toEqual([0x00]);
    expect(encodeVarint(-1)).toEqual([0x01]);
    expect(encodeVarint(1)).toEqual([0x02]);
    expect(encodeVarint(-64)).toEqual([0x7f]);
    expect(encodeVarint(64)).toEqual([0x80, 0x01]);
    expect(encodeVarint(300)).toEqual([0xd8, 0x04]);
    expect(encodeVarint(0x7fffffff)).toEqual([0xfe, 0xff, 0xff, 0xff, 0x0f]);
    expect(encodeVarint(-0x80000000)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('round-trips the whole int32 range with the size it predicts', () => {
    fc.assert(fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (value) => {
      const bytes = new Uint8Array(8);
      const end = writeVarint(bytes, 1, value);
      expect(end - 1).toBe(varintSizeBytes(value));
      const cursor = { position: 1 };
      expect(readVarint(bytes, cursor)).toBe(value);
      expect(cursor.position).toBe(end);
    }), { numRuns: 2000 });
  });

  it('refuses an over-long or over-wide varint without moving the cursor', () => {
    const cursor = { position: 0 };
    expect(readVarint(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), cursor))
      .toBeNaN();
    expect(readVarint(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x1f]), cursor)).toBeNaN();
    expect(cursor.position).toBe(0);
    expect(VARINT_INVALID).toBeNaN();
  });
});

describe('varlong (zigzag int64)', () => {
  it('encodes known values as Kafka does', () => {
    expect(encodeVarlong(5)).toEqual([0x0a]);
    expect(encodeVarlong(-3)).toEqual([0x05]);
    expect(encodeVarlong(2 ** 31)).toEqual([0x80, 0x80, 0x80, 0x80, 0x10]);
    expect(encodeVarlong(-(2 ** 31) - 1)).toEqual([0x81, 0x80, 0x80, 0x80, 0x10]);
    // 1700000000000 (a millisecond timestamp): zigzag 3400000000000 = 0x317_9FCA_D000.
    expect(encodeVarlong(1_700_000_000_000)).toEqual([0x80, 0xa0, 0xab, 0xfe, 0xf9, 0x62]);
  });

  it('matches the bigint reference over every safe integer', () => {
    const safe = fc.oneof(
      fc.integer({ min: -1000, max: 1000 }),
      fc.maxSafeInteger(),
      fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 52, -(2 ** 52),
        2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32)),
    );
    fc.assert(fc.property(safe, (value) => {
      const bytes = new Uint8Array(12);
      const reference = new Uint8Array(12);
      const end = writeVarlong(bytes, 0, value);
      expect(end).toBe(varlongSizeBytes(value));
      expect(end).toBe(writeVarlongBigInt(reference, 0, BigInt(value)));
      expect(bytes).toEqual(reference);
      const cursor = { position: 0 };
      expect(readVarlong(bytes, cursor)).toBe(value);
      expect(cursor.position).toBe(end);
      expect(readVarlongBigInt(bytes, { position: 0 })).toBe(BigInt(value));
    }), { numRuns: 3000 });
  });

  it('round-trips the full int64 range as bigint', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (value) => {
      const bytes = new Uint8Array(10);
      const end = writeVarlongBigInt(bytes, 0, value);
      const cursor = { position: 0 };
      expect(readVarlongBigInt(bytes, cursor)).toBe(value);
      expect(cursor.position).toBe(end);
    }));
    expect(() => writeVarlongBigInt(new Uint8Array(10), 0, 2n ** 63n)).toThrow(RangeError);
  });

  it('refuses values beyond the safe range as numbers, but not as bigint', () => {
    for (const value of [2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)]) {
      const bytes = new Uint8Array(10);
      writeVarlongBigInt(bytes, 0, value);
      const cursor = { position: 0 };
      expect(readVarlong(bytes, cursor)).toBeNaN();
      expect(cursor.position).toBe(0);
      expect(readVarlongBigInt(bytes, { position: 0 })).toBe(value);
    }
  });

  it('refuses an over-long varlong', () => {
    const elevenBytes = [...new Array<number>(10).fill(0x80), 0x01];
    expect(decodeVarlong(elevenBytes).value).toBeNaN();
    expect(readVarlongBigInt(Uint8Array.from(elevenBytes), { position: 0 })).toBeNull();
    expect(decodeVarlong([0x80, 0x01])).toEqual({ value: 64, position: 2 });
  });
});
