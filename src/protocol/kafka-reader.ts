/**
 * Reads Kafka's primitive types from a byte view (big-endian integers, classic and compact
 * strings, bytes and arrays, unsigned varints, UUIDs). Every read is bounded by the view: a
 * length that runs past the end, or a count that more elements than bytes could fill, is an
 * `INVALID_REQUEST` error, so a hostile frame cannot make the reader allocate more than the
 * frame's own size. Byte fields are zero-copy views of the input.
 */
import { MambaError } from '../errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export function malformed(reason: string, position: number): MambaError {
  return new MambaError('INVALID_REQUEST', `malformed Kafka frame at byte ${position}: ${reason}`,
    { detail: { position, reason } });
}

export class KafkaReader {
  readonly view: DataView;
  position: number;

  constructor(readonly bytes: Uint8Array, start = 0, readonly end = bytes.length) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.position = start;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  private need(count: number): number {
    const at = this.position;
    if (count < 0 || count > this.end - at) {
      throw malformed(`needs ${count} bytes, ${this.end - at} left`, at);
    }
    this.position = at + count;
    return at;
  }

  int8(): number {
    return this.view.getInt8(this.need(1));
  }

  bool(): boolean {
    return this.view.getUint8(this.need(1)) !== 0;
  }

  int16(): number {
    return this.view.getInt16(this.need(2));
  }

  uint16(): number {
    return this.view.getUint16(this.need(2));
  }

  int32(): number {
    return this.view.getInt32(this.need(4));
  }

  uint32(): number {
    return this.view.getUint32(this.need(4));
  }

  int64(): bigint {
    return this.view.getBigInt64(this.need(8));
  }

  float64(): number {
    return this.view.getFloat64(this.need(8));
  }

  /** An unsigned LEB128 varint of at most 32 bits (Kafka's UNSIGNED_VARINT). */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.view.getUint8(this.need(1));
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (value > 0xffff_ffff) throw malformed('varint over 32 bits', this.position);
        return value;
      }
    }
    throw malformed('varint longer than 5 bytes', this.position);
  }

  uuid(): string {
    const at = this.need(16);
    const hex = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + at, 16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-` +
      hex.slice(20);
  }

  /** A length: int16/int32 for classic encodings, uvarint N+1 for compact ones; -1 = null. */
  length(compact: boolean, wide: boolean): number {
    if (compact) return this.uvarint() - 1;
    return wide ? this.int32() : this.int16();
  }

  string(compact: boolean): string | null {
    const at = this.position;
    const length = this.length(compact, false);
    if (length < -1) throw malformed(`string length ${length}`, at);
    if (length === -1) return null;
    const start = this.need(length);
    try {
      return decoder.decode(this.bytes.subarray(start, start + length));
    } catch {
      throw malformed('string is not UTF-8', start);
    }
  }

  /** A zero-copy view of a BYTES or RECORDS field; null for length -1. */
  bytesView(compact: boolean): Uint8Array | null {
    const at = this.position;
    const length = this.length(compact, true);
    if (length < -1) throw malformed(`bytes length ${length}`, at);
    if (length === -1) return null;
    const start = this.need(length);
    return this.bytes.subarray(start, start + length);
  }

  /**
   * An array's element count; -1 = null. A count larger than the bytes left is rejected up
   * front (every element takes at least one byte), which bounds what decoding it allocates.
   */
  arrayCount(compact: boolean): number {
    const at = this.position;
    const count = this.length(compact, true);
    if (count < -1 || count > this.remaining) throw malformed(`array count ${count}`, at);
    return count;
  }

  skip(count: number): void {
    this.need(count);
  }
}
