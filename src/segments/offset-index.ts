/**
 * The sparse offset index of one segment: one entry per `indexIntervalBytes` of log, in its own
 * memory-mapped `.index` file created zero-filled at its full size with the segment.
 *
 * ```
 *  entry i (8 bytes, little-endian), at i * INDEX_ENTRY_SIZE_BYTES
 *  0                4                8
 *  +----------------+----------------+
 *  | relativeOffset | bytePosition   |   relativeOffset = batch baseOffset - segment baseOffset
 *  | uint32         | uint32         |   bytePosition   = where that batch starts in the .log
 *  +----------------+----------------+
 * ```
 *
 * Entry 0 is always (0, 0): the first batch of a segment is indexed. Every later entry has a
 * larger byte position, so an entry i > 0 whose byte position is 0 marks the end of the entries
 * (the file is zero-filled). Entries are flushed with the log bytes they point into by a
 * blocking flush, and by a checkpoint for every segment below its recovery segment (the
 * asynchronous group commits leave them to it); on open, entries are trusted only after checking
 * that each points at the batch header it names, and recovery rebuilds them from the batches
 * for the segments it scans.
 */
import { assert } from '../assert.js';
import { pageSizeBytes } from '../constants.js';
import type { MappedFile } from './storage.js';

export const INDEX_RELATIVE_OFFSET_OFFSET = 0;
export const INDEX_BYTE_POSITION_OFFSET = INDEX_RELATIVE_OFFSET_OFFSET + 4;
export const INDEX_ENTRY_SIZE_BYTES = INDEX_BYTE_POSITION_OFFSET + 4;

/** The size of the index file for a segment of `segmentSizeBytes`, in whole pages. */
export function indexFileSizeBytes(segmentSizeBytes: number, indexIntervalBytes: number): number {
  const entriesMax = Math.ceil(segmentSizeBytes / indexIntervalBytes) + 1;
  const sizeBytes = entriesMax * INDEX_ENTRY_SIZE_BYTES;
  return Math.ceil(sizeBytes / pageSizeBytes) * pageSizeBytes;
}

export class OffsetIndex {
  readonly entriesMax: number;
  private readonly view: DataView;
  private count = 0;
  private flushedCount = 0;

  constructor(private readonly file: MappedFile, readonly baseOffset: number) {
    const bytes = file.bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entriesMax = Math.floor(bytes.byteLength / INDEX_ENTRY_SIZE_BYTES);
  }

  get entryCount(): number {
    return this.count;
  }

  relativeOffsetAt(entry: number): number {
    return this.view.getUint32(entry * INDEX_ENTRY_SIZE_BYTES + INDEX_RELATIVE_OFFSET_OFFSET, true);
  }

  bytePositionAt(entry: number): number {
    return this.view.getUint32(entry * INDEX_ENTRY_SIZE_BYTES + INDEX_BYTE_POSITION_OFFSET, true);
  }

  /** The byte position of the last entry, or -1 when there is none. */
  lastBytePosition(): number {
    return this.count === 0 ? -1 : this.bytePositionAt(this.count - 1);
  }

  append(logOffset: number, bytePosition: number): void {
    const relativeOffset = logOffset - this.baseOffset;
    assert(this.count < this.entriesMax, `index full at ${this.count} entries`);
    assert(relativeOffset >= 0 && relativeOffset <= 0xffff_ffff, 'relative offset fits u32');
    if (this.count === 0) {
      assert(bytePosition === 0 && relativeOffset === 0, 'entry 0 is the first batch');
    } else {
      assert(bytePosition > this.lastBytePosition(), 'index byte positions increase');
      assert(relativeOffset > this.relativeOffsetAt(this.count - 1), 'index offsets increase');
    }
    const at = this.count * INDEX_ENTRY_SIZE_BYTES;
    this.view.setUint32(at + INDEX_RELATIVE_OFFSET_OFFSET, relativeOffset, true);
    this.view.setUint32(at + INDEX_BYTE_POSITION_OFFSET, bytePosition, true);
    this.count += 1;
  }

  /**
   * The byte position of the last indexed batch whose base offset is at most `logOffset`
   * (binary search), or 0 when `logOffset` is before every entry. The caller scans batch
   * headers forward from there.
   */
  lookup(logOffset: number): number {
    const relativeOffset = logOffset - this.baseOffset;
    let low = 0;
    let high = this.count - 1;
    let found = 0;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.relativeOffsetAt(middle) <= relativeOffset) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return this.count === 0 ? 0 : this.bytePositionAt(found);
  }

  /**
   * Adopts the entries already in the file, keeping the longest prefix that `isValid` accepts
   * (the caller checks each entry against the log), and zeroes any entries after it.
   */
  load(isValid: (logOffset: number, bytePosition: number) => boolean): number {
    let count = 0;
    while (count < this.entriesMax) {
      const bytePosition = this.bytePositionAt(count);
      if (count > 0 && bytePosition <= this.bytePositionAt(count - 1)) break;
      if (count === 0 && (bytePosition !== 0 || this.relativeOffsetAt(0) !== 0)) break;
      if (!isValid(this.baseOffset + this.relativeOffsetAt(count), bytePosition)) break;
      count += 1;
    }
    this.resetTo(count);
    this.flushedCount = count;
    return count;
  }

  /** Drops entries from `count` on; their bytes are zeroed so that a reload cannot adopt them. */
  resetTo(count: number): void {
    assert(count <= this.entriesMax, 'reset within the index');
    const bytes = this.file.bytes;
    const start = count * INDEX_ENTRY_SIZE_BYTES;
    let end = bytes.length;
    while (end > start && bytes[end - 1] === 0) end -= 1;
    if (end > start) bytes.fill(0, start, end);
    this.count = count;
    this.flushedCount = Math.min(this.flushedCount, count);
  }

  /** Makes every entry appended since the last flush durable. */
  flush(): void {
    if (this.flushedCount === this.count) return;
    this.file.sync(this.flushedCount * INDEX_ENTRY_SIZE_BYTES, this.count * INDEX_ENTRY_SIZE_BYTES);
    this.flushedCount = this.count;
  }

  /** Makes the whole index durable (after a rebuild or a reset). */
  flushAll(): void {
    this.file.sync(0, this.file.bytes.length);
    this.flushedCount = this.count;
  }
}

/**
 * `OffsetIndex.lookup` for a reader holding only a read-only mapping of an index that another
 * thread appends to: the entry count is not known, but entries form a prefix (entry 0, then
 * entries with a non-zero byte position), so one binary search finds the last entry that exists
 * and whose relative offset is at most the target's. Returns a byte position (0 if none).
 */
export function lookupInIndexBytes(index: DataView, baseOffset: number, logOffset: number): number {
  const relativeOffset = logOffset - baseOffset;
  let low = 0;
  let high = Math.floor(index.byteLength / INDEX_ENTRY_SIZE_BYTES) - 1;
  let found = 0;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = middle * INDEX_ENTRY_SIZE_BYTES;
    const bytePosition = index.getUint32(at + INDEX_BYTE_POSITION_OFFSET, true);
    const exists = middle === 0 || bytePosition > 0;
    if (exists && index.getUint32(at + INDEX_RELATIVE_OFFSET_OFFSET, true) <= relativeOffset) {
      found = bytePosition;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
