/**
 * Big-endian integers read and written byte by byte on a `Uint8Array`, the byte order of every
 * fixed-width field in a record batch header. Byte access works the same on an `ArrayBuffer`,
 * a `SharedArrayBuffer` ring or a memory mapping, and needs no `DataView` per batch.
 *
 * 64-bit fields come in two forms: as a number for offsets and timestamps, exact while they
 * stay within ±(2^53 - 1) (offsets and millisecond timestamps do, by a wide margin), and as a
 * bigint for the producer id, which is a full int64.
 */

const TWO_POW_32 = 0x1_0000_0000;

export function writeInt16(bytes: Uint8Array, position: number, value: number): void {
  bytes[position] = value >>> 8;
  bytes[position + 1] = value;
}

export function readInt16(bytes: Uint8Array, position: number): number {
  return ((bytes[position] << 24) | (bytes[position + 1] << 16)) >> 16;
}

/** Writes the low 32 bits of `value`; signed and unsigned inputs give the same bytes. */
export function writeInt32(bytes: Uint8Array, position: number, value: number): void {
  bytes[position] = value >>> 24;
  bytes[position + 1] = value >>> 16;
  bytes[position + 2] = value >>> 8;
  bytes[position + 3] = value;
}

export function readInt32(bytes: Uint8Array, position: number): number {
  return (bytes[position] << 24) | (bytes[position + 1] << 16)
    | (bytes[position + 2] << 8) | bytes[position + 3];
}

export function readUint32(bytes: Uint8Array, position: number): number {
  return readInt32(bytes, position) >>> 0;
}

/** Writes a safe integer as an int64 (two's complement for a negative one). */
export function writeInt64Number(bytes: Uint8Array, position: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  writeInt32(bytes, position, high);
  writeInt32(bytes, position + 4, value - high * TWO_POW_32);
}

/** Reads an int64 as a number; exact while the value is a safe integer. */
export function readInt64Number(bytes: Uint8Array, position: number): number {
  return readInt32(bytes, position) * TWO_POW_32 + readUint32(bytes, position + 4);
}

export function writeInt64BigInt(bytes: Uint8Array, position: number, value: bigint): void {
  writeInt32(bytes, position, Number(BigInt.asIntN(32, value >> 32n)));
  writeInt32(bytes, position + 4, Number(BigInt.asUintN(32, value)));
}

export function readInt64BigInt(bytes: Uint8Array, position: number): bigint {
  return (BigInt(readInt32(bytes, position)) << 32n) | BigInt(readUint32(bytes, position + 4));
}
