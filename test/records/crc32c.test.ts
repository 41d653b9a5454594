import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/records/index.js';

/** Bit-at-a-time CRC32C (reflected polynomial 0x82F63B78): slow, obviously right. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('gives the published check value for "123456789"', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('gives the RFC 3720 (iSCSI) vectors', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, index) => index))).toBe(0x46dd794e);
  });

  it('agrees with the reference on views into shared and offset buffers', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(16), (data, offset) => {
      const shared = new Uint8Array(new SharedArrayBuffer(data.length + offset + 1));
      shared.set(data, offset);
      const view = shared.subarray(offset, offset + data.length);
      expect(crc32c(view)).toBe(referenceCrc32c(data));
    }), { numRuns: 300 });
  });
});
