/**
 * Writes Kafka's primitive types into a growing buffer, and gathers the result as a list of
 * chunks: large byte fields (fetched record batches) are not copied but appended as their own
 * chunk, so a Fetch response carries views of the segment mappings straight to the socket.
 *
 * Layout of the output: `[chunk 0: scratch bytes][raw view][chunk: scratch bytes]…`. Scratch
 * space is written in place; a raw view closes the current scratch chunk, and writing goes on
 * after it in the same scratch buffer (a fresh one when it is full, so that no chunk already
 * handed out is ever moved).
 */
import { assert } from '../assert.js';

const encoder = new TextEncoder();
/** Byte fields at least this long are passed through as their own chunk, not copied. */
const rawChunkBytesMin = 1024;
const scratchBytesInitial = 512;

export class KafkaWriter {
  private scratch: Uint8Array;
  private view: DataView;
  private position = 0;
  /** Where the current (not yet closed) scratch chunk starts. */
  private chunkStart = 0;
  private readonly chunks: Uint8Array[] = [];
  private sizeBytes = 0;

  constructor(capacityBytes = scratchBytesInitial) {
    this.scratch = new Uint8Array(capacityBytes);
    this.view = new DataView(this.scratch.buffer);
  }

  /** Bytes written so far. */
  get sizeBytesWritten(): number {
    return this.sizeBytes + (this.position - this.chunkStart);
  }

  private room(count: number): number {
    if (this.position + count > this.scratch.length) this.grow(count);
    const at = this.position;
    this.position += count;
    return at;
  }

  /** Moves the open chunk into a larger scratch buffer (closed chunks stay where they are). */
  private grow(count: number): void {
    const open = this.scratch.subarray(this.chunkStart, this.position);
    const next = new Uint8Array(Math.max(this.scratch.length * 2, open.length + count + 64));
    next.set(open, 0);
    this.scratch = next;
    this.view = new DataView(next.buffer);
    this.position = open.length;
    this.chunkStart = 0;
  }

  int8(value: number): void {
    const at = this.room(1);
    this.view.setInt8(at, value);
  }

  bool(value: boolean): void {
    const at = this.room(1);
    this.view.setUint8(at, value ? 1 : 0);
  }

  int16(value: number): void {
    const at = this.room(2);
    this.view.setInt16(at, value);
  }

  uint16(value: number): void {
    const at = this.room(2);
    this.view.setUint16(at, value);
  }

  int32(value: number): void {
    const at = this.room(4);
    this.view.setInt32(at, value);
  }

  uint32(value: number): void {
    const at = this.room(4);
    this.view.setUint32(at, value);
  }

  int64(value: bigint): void {
    const at = this.room(8);
    this.view.setBigInt64(at, value);
  }

  float64(value: number): void {
    const at = this.room(8);
    this.view.setFloat64(at, value);
  }

  uvarint(value: number): void {
    assert(value >= 0 && value <= 0xffff_ffff, `uvarint in range (${value})`);
    let rest = value;
    while (rest >= 0x80) {
      const at = this.room(1);
      this.view.setUint8(at, (rest & 0x7f) | 0x80);
      rest = Math.floor(rest / 128);
    }
    const at = this.room(1);
    this.view.setUint8(at, rest);
  }

  uuid(value: string): void {
    const hex = value.replace(/-/g, '');
    assert(/^[0-9a-f]{32}$/i.test(hex), `a UUID (${value})`);
    const at = this.room(16);
    this.scratch.set(Buffer.from(hex, 'hex'), at);
  }

  length(value: number, compact: boolean, wide: boolean): void {
    if (compact) this.uvarint(value + 1);
    else if (wide) this.int32(value);
    else this.int16(value);
  }

  string(value: string | null, compact: boolean): void {
    if (value === null) {
      this.length(-1, compact, false);
      return;
    }
    const encoded = encoder.encode(value);
    this.length(encoded.length, compact, false);
    const at = this.room(encoded.length);
    this.scratch.set(encoded, at);
  }

  bytes(value: Uint8Array | null, compact: boolean): void {
    if (value === null) {
      this.length(-1, compact, true);
      return;
    }
    this.length(value.length, compact, true);
    this.raw(value);
  }

  /** Appends bytes: copied when small, passed through as a chunk of its own when large. */
  raw(value: Uint8Array): void {
    if (value.length < rawChunkBytesMin) {
      // room() first: it may replace the scratch buffer.
      const at = this.room(value.length);
      this.scratch.set(value, at);
      return;
    }
    this.closeChunk();
    this.chunks.push(value);
    this.sizeBytes += value.length;
  }

  private closeChunk(): void {
    if (this.position > this.chunkStart) {
      this.chunks.push(this.scratch.subarray(this.chunkStart, this.position));
      this.sizeBytes += this.position - this.chunkStart;
    }
    this.chunkStart = this.position;
  }

  /** The bytes written, as chunks in order; the writer must not be used afterwards. */
  finish(): Uint8Array[] {
    this.closeChunk();
    return this.chunks;
  }

  /** The bytes written, in one buffer (copies when there are several chunks). */
  toBytes(): Uint8Array {
    const chunks = this.finish();
    if (chunks.length === 1) return chunks[0];
    const out = new Uint8Array(this.sizeBytes);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}
