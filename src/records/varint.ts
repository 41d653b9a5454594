/**
 * Kafka's variable-length integers: zigzag-encoded signed integers written as base-128 varints,
 * low group first, the high bit of each byte saying that another byte follows (the encoding of
 * Protocol Buffers' `sint32`/`sint64`). Zigzag maps 0, -1, 1, -2, … to 0, 1, 2, 3, … so that
 * small magnitudes of either sign take one byte.
 *
 * - `varint` (int32 fields: lengths, offset deltas, header counts): 1 to 5 bytes; exact over
 *   the whole int32 range with 32-bit integer arithmetic.
 * - `varlong` (int64 fields: timestamp deltas): 1 to 10 bytes. The number form is exact for
 *   every safe integer (|value| ≤ 2^53 - 1): it never forms the zigzag value itself, which
 *   would need 54 bits, but writes the sign into the first byte and the magnitude after it.
 *   A varlong whose value lies outside the safe range is refused by `readVarlong` (it returns
 *   the `VARINT_INVALID` sentinel); use the bigint pair `writeVarlongBigInt` /
 *   `readVarlongBigInt` for the full int64 range.
 *
 * Reads are hot: they advance a caller-owned `VarintCursor` instead of allocating a
 * `{ value, position }` pair per call, and return the sentinel `VARINT_INVALID` (not a
 * throw) for an over-long or out-of-range encoding. They do not check the end of the array
 * themselves: a read past the end sees `undefined`, which the bit operations turn into 0,
 * so it stops within 5 (or 10) bytes and leaves `cursor.position` past the end, where the
 * caller's one bound check per record catches it.
 */

/** Where the next read starts; each read advances it past the bytes it consumed. */
export interface VarintCursor {
  position: number;
}

/**
 * Returned by reads for an encoding that is too long or whose value is out of range. It is
 * not a value any valid varint or varlong decodes to (it is not an integer).
 */
export const VARINT_INVALID = Number.NaN;

export const VARINT_SIZE_BYTES_MAX = 5;
export const VARLONG_SIZE_BYTES_MAX = 10;

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const TWO_POW_6 = 64;
const TWO_POW_7 = 128;

/** Bytes the zigzag varint of an int32 takes, 1 to 5. */
export function varintSizeBytes(value: number): number {
  const zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  if (zigzag < 0x80) return 1;
  if (zigzag < 0x4000) return 2;
  if (zigzag < 0x20_0000) return 3;
  if (zigzag < 0x1000_0000) return 4;
  return 5;
}

/**
 * Writes the zigzag varint of `value` (an int32) at `position`; returns the position after it.
 * The caller has checked that 5 bytes (or `varintSizeBytes(value)`) fit.
 */
export function writeVarint(bytes: Uint8Array, position: number, value: number): number {
  let zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  while (zigzag >= 0x80) {
    bytes[position++] = (zigzag & 0x7f) | 0x80;
    zigzag >>>= 7;
  }
  bytes[position++] = zigzag;
  return position;
}

/** Reads a zigzag varint (an int32); `VARINT_INVALID` if it runs past 5 bytes or 32 bits. */
export function readVarint(bytes: Uint8Array, cursor: VarintCursor): number {
  let position = cursor.position;
  let byte = bytes[position++];
  if (byte < 0x80) {
    // One byte, the usual case for lengths and deltas in a record.
    cursor.position = position;
    return (byte >>> 1) ^ -(byte & 1);
  }
  let zigzag = byte & 0x7f;
  let shift = 7;
  while (byte & 0x80) {
    if (shift === 35) return VARINT_INVALID;
    byte = bytes[position++];
    zigzag |= (byte & 0x7f) << shift;
    shift += 7;
  }
  // The fifth byte carries bits 28..34; only 28..31 exist in an int32.
  if (shift === 35 && byte > 0x0f) return VARINT_INVALID;
  cursor.position = position;
  return (zigzag >>> 1) ^ -(zigzag & 1);
}

/** Whether `value` is an int32, the range `writeVarint` takes. */
export function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

/** Bytes the zigzag varlong of a safe integer takes, 1 to 8 (a safe integer needs ≤ 54 bits). */
export function varlongSizeBytes(value: number): number {
  if (value >= INT32_MIN && value <= INT32_MAX) return varintSizeBytes(value);
  // zigzag = 2·magnitude + sign, where magnitude = value or -value - 1.
  let rest = Math.floor((value < 0 ? -value - 1 : value) / TWO_POW_6);
  let size = 1;
  while (rest > 0) {
    rest = Math.floor(rest / TWO_POW_7);
    size++;
  }
  return size;
}

/**
 * Writes the zigzag varlong of `value`, a safe integer, at `position`; returns the position
 * after it. Small values (the int32 range) take the 32-bit path.
 */
export function writeVarlong(bytes: Uint8Array, position: number, value: number): number {
  if (value >= INT32_MIN && value <= INT32_MAX) return writeVarint(bytes, position, value);
  // zigzag = 2·magnitude + sign. Its low 7 bits are the magnitude's low 6 bits and the sign;
  // the remaining groups are the magnitude divided by 64. This never needs the 54-bit zigzag
  // value as a number, so it stays exact for every safe integer.
  const negative = value < 0;
  const magnitude = negative ? -value - 1 : value;
  let rest = Math.floor(magnitude / TWO_POW_6);
  const low = ((magnitude % TWO_POW_6) << 1) | (negative ? 1 : 0);
  bytes[position++] = rest > 0 ? low | 0x80 : low;
  while (rest > 0) {
    const group = rest % TWO_POW_7;
    rest = Math.floor(rest / TWO_POW_7);
    bytes[position++] = rest > 0 ? group | 0x80 : group;
  }
  return position;
}

/**
 * Reads a zigzag varlong as a number; `VARINT_INVALID` if it is over-long or its value is not a
 * safe integer (outside ±(2^53 - 1)).
 */
export function readVarlong(bytes: Uint8Array, cursor: VarintCursor): number {
  const first = bytes[cursor.position];
  // One byte covers -64..63, the common case for timestamp deltas within a batch.
  if ((first & 0x80) === 0) {
    cursor.position++;
    return (first >>> 1) ^ -(first & 1);
  }
  let position = cursor.position + 1;
  // magnitude = (zigzag >> 1) = (first & 0x7f) >> 1 + 64 · (value of the later groups).
  let rest = 0;
  let scale = 1;
  let byte: number;
  do {
    if (position - cursor.position === VARLONG_SIZE_BYTES_MAX) return VARINT_INVALID;
    byte = bytes[position++];
    rest += (byte & 0x7f) * scale;
    scale *= TWO_POW_7;
  } while (byte & 0x80);
  const magnitude = ((first & 0x7f) >>> 1) + rest * TWO_POW_6;
  const negative = (first & 1) === 1;
  // A negative value is -magnitude - 1, so its magnitude must stay one below the limit.
  if (magnitude > (negative ? Number.MAX_SAFE_INTEGER - 1 : Number.MAX_SAFE_INTEGER)) {
    return VARINT_INVALID;
  }
  cursor.position = position;
  return negative ? -magnitude - 1 : magnitude;
}

const INT64_MIN_BIGINT = -(1n << 63n);
const INT64_MAX_BIGINT = (1n << 63n) - 1n;

/** Writes the zigzag varlong of any int64 given as a bigint; returns the position after it. */
export function writeVarlongBigInt(bytes: Uint8Array, position: number, value: bigint): number {
  if (value < INT64_MIN_BIGINT || value > INT64_MAX_BIGINT) {
    throw new RangeError(`varlong value ${value} is outside int64`);
  }
  let zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  while (zigzag >= 0x80n) {
    bytes[position++] = Number(zigzag & 0x7fn) | 0x80;
    zigzag >>= 7n;
  }
  bytes[position++] = Number(zigzag);
  return position;
}

/** Reads a zigzag varlong over the full int64 range as a bigint; `null` if over-long. */
export function readVarlongBigInt(bytes: Uint8Array, cursor: VarintCursor): bigint | null {
  let position = cursor.position;
  let zigzag = 0n;
  let shift = 0n;
  let byte: number;
  do {
    if (shift === 70n) return null;
    byte = bytes[position++];
    zigzag |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
  } while (byte & 0x80);
  if (zigzag >= 1n << 64n) return null;
  cursor.position = position;
  return (zigzag >> 1n) ^ -(zigzag & 1n);
}
