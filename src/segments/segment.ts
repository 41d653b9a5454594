/**
 * One segment of a partition's log: a `.log` file of batches and its sparse `.index`.
 *
 * On-disk names and sizes (DESIGN.md §2), all in the partition's directory `<topic>-<partition>/`:
 *
 * | file                          | size                         | content                      |
 * | ----------------------------- | ---------------------------- | ---------------------------- |
 * | `00000000000000000000.log`    | segmentSizeBytes, zero-filled | batches end to end, then 0s |
 * | `00000000000000000000.index`  | indexFileSizeBytes(...)      | offset-index entries         |
 * | `<n>.prepared`                | segmentSizeBytes, zero-filled | next `.log`, made ahead      |
 * | `<base>.log.cleaned`          | whole pages, >= data + header | cleaned `.log` (compaction)  |
 * | `<base>.index.cleaned`        | indexFileSizeBytes(...)      | its index                    |
 * | `clean-swap`                  | small                        | swap marker, clean-swap.ts   |
 * | `checkpoint`                  | small                        | see checkpoint.ts            |
 *
 * The name is the segment's base offset, zero-padded to 20 digits. Both files are created at
 * full size and zero-filled before they are mapped, and never made shorter (invariant 5), so
 * every byte of a mapping stays addressable for the life of the process. The end of the data
 * is the first all-zero batch header. A segment the log cleaner rewrote (segment-cleaner.ts)
 * is smaller: its data and at least one zero header, in whole pages; being sealed, it is
 * never appended to.
 */
import nodePath from 'node:path';
import { assert } from '../assert.js';
import {
  BATCH_HEADER_SIZE_BYTES, MAGIC, MAGIC_OFFSET, batchBaseOffset, batchLastOffset,
  batchMaxTimestamp, batchSizeBytesAt, isZero,
} from '../records/index.js';
import { OffsetIndex, indexFileSizeBytes } from './offset-index.js';
import type { MappedFile, SegmentStorage } from './storage.js';

const zeroChunk = new Uint8Array(64 * 1024);

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const PREPARED_SUFFIX = '.prepared';
/** A segment's `.log` / `.index` rewritten by the cleaner, before the swap (clean-swap.ts). */
export const CLEANED_LOG_SUFFIX = '.log.cleaned';
export const CLEANED_INDEX_SUFFIX = '.index.cleaned';
const baseOffsetDigits = 20;
const segmentLogNamePattern = /^(\d{20})\.log$/;

export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(baseOffsetDigits, '0') + suffix;
}

/** The base offset named by a `.log` file name, or undefined for any other name. */
export function parseSegmentLogName(name: string): number | undefined {
  const match = segmentLogNamePattern.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** The base offsets of the segments in `dir`, ascending. */
export function listSegmentBaseOffsets(storage: SegmentStorage, dir: string): number[] {
  const baseOffsets: number[] = [];
  for (const name of storage.list(dir)) {
    const baseOffset = parseSegmentLogName(name);
    if (baseOffset !== undefined) baseOffsets.push(baseOffset);
  }
  return baseOffsets.sort((a, b) => a - b);
}

export interface SegmentShape {
  segmentSizeBytes: number;
  indexIntervalBytes: number;
}

export class Segment {
  readonly logPath: string;
  readonly indexPath: string;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly index: OffsetIndex;
  /** Bytes `[0, endPosition)` hold batches. */
  endPosition = 0;
  /** The offset after the last batch; `baseOffset` while empty. */
  nextOffset: number;
  /** Bytes below this are durable (flushed). */
  flushedPosition = 0;
  /** The largest batch `maxTimestamp`, for retention by age; -1 while empty. */
  largestTimestampMs = -1;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly log: MappedFile,
    indexFile: MappedFile,
    readonly indexIntervalBytes: number,
    /** When this process created or opened the segment, for rolling by age. */
    readonly openedAtMs: number,
  ) {
    this.logPath = nodePath.join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    this.indexPath = nodePath.join(dir, segmentFileName(baseOffset, INDEX_SUFFIX));
    this.bytes = log.bytes;
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.index = new OffsetIndex(indexFile, baseOffset);
    this.nextOffset = baseOffset;
  }

  /**
   * Creates a new, empty segment. `preparedPath` is a zero-filled file made ahead of time; it
   * is renamed into place, else the `.log` is created here (on the caller's thread).
   */
  static create(
    storage: SegmentStorage, dir: string, baseOffset: number, shape: SegmentShape,
    nowMs: number, preparedPath?: string,
  ): Segment {
    const logPath = nodePath.join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    const indexPath = nodePath.join(dir, segmentFileName(baseOffset, INDEX_SUFFIX));
    const indexSizeBytes = indexFileSizeBytes(shape.segmentSizeBytes, shape.indexIntervalBytes);
    storage.unlink(indexPath);
    storage.createFile(indexPath, indexSizeBytes);
    if (preparedPath === undefined) {
      storage.createFile(logPath, shape.segmentSizeBytes);
    } else {
      storage.rename(preparedPath, logPath);
    }
    const log = storage.mapReadWrite(logPath);
    assert(log.bytes.length === shape.segmentSizeBytes, 'a prepared segment has the full size');
    const indexFile = storage.mapReadWrite(indexPath);
    return new Segment(dir, baseOffset, log, indexFile, shape.indexIntervalBytes, nowMs);
  }

  /** Maps an existing segment; its end and index are set up by recovery. */
  static open(
    storage: SegmentStorage, dir: string, baseOffset: number, indexIntervalBytes: number,
    nowMs: number,
  ): Segment {
    const logPath = nodePath.join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    const indexPath = nodePath.join(dir, segmentFileName(baseOffset, INDEX_SUFFIX));
    const log = storage.mapReadWrite(logPath);
    const indexSizeBytes = indexFileSizeBytes(log.bytes.length, indexIntervalBytes);
    if (!storage.exists(indexPath)) storage.createFile(indexPath, indexSizeBytes);
    let indexFile = storage.mapReadWrite(indexPath);
    if (indexFile.bytes.length < indexSizeBytes) {
      // An index made for a larger interval: replace it (it is rebuilt from the log).
      storage.unlink(indexPath);
      storage.createFile(indexPath, indexSizeBytes);
      indexFile = storage.mapReadWrite(indexPath);
    }
    return new Segment(dir, baseOffset, log, indexFile, indexIntervalBytes, nowMs);
  }

  get sizeBytes(): number {
    return this.bytes.length;
  }

  /** Whether `sizeBytes` more bytes fit after the data. */
  fits(sizeBytes: number): boolean {
    return this.endPosition + sizeBytes <= this.bytes.length;
  }

  /** Copies a batch to the end of the data (once, straight into the mapping). */
  copyIn(batch: Uint8Array): number {
    const position = this.endPosition;
    assert(this.fits(batch.length), 'the caller rolls before a batch overflows a segment');
    this.bytes.set(batch, position);
    return position;
  }

  /** Takes the batch at `endPosition` (already stamped and checked) into the segment. */
  commitBatch(position: number, sizeBytes: number): void {
    assert(position === this.endPosition, 'batches are committed in order');
    const baseOffset = batchBaseOffset(this.view, position);
    const lastIndexed = this.index.lastBytePosition();
    if (lastIndexed < 0 || position - lastIndexed >= this.indexIntervalBytes) {
      this.index.append(baseOffset, position);
    }
    this.endPosition = position + sizeBytes;
    this.nextOffset = batchLastOffset(this.view, position) + 1;
    const maxTimestampMs = batchMaxTimestamp(this.view, position);
    if (maxTimestampMs > this.largestTimestampMs) this.largestTimestampMs = maxTimestampMs;
  }

  /**
   * The position of the first batch whose last offset is at least `logOffset`, or -1 when
   * every batch here ends before it. Binary search in the index, then a header scan of at most
   * about `indexIntervalBytes`.
   */
  positionOf(logOffset: number): number {
    let position = this.index.lookup(logOffset);
    // An entry that does not point at a batch at or before the offset (a damaged index of an
    // adopted segment) is not trusted: scan from the segment's start instead.
    if (position > 0 && (this.bytes[position + MAGIC_OFFSET] !== MAGIC ||
      batchBaseOffset(this.view, position) > logOffset)) {
      position = 0;
    }
    while (position < this.endPosition) {
      if (batchLastOffset(this.view, position) >= logOffset) return position;
      position += batchSizeBytesAt(this.view, position);
    }
    return -1;
  }

  /**
   * Whole batches from `position` (a batch start) while their total stays within `maxBytes` —
   * but at least one batch, so that a reader always makes progress — and below `endPosition`.
   * A zero-copy view of the mapping.
   */
  batchesFrom(position: number, maxBytes: number, endPosition = this.endPosition): Uint8Array {
    let end = position;
    while (end < endPosition) {
      const next = end + batchSizeBytesAt(this.view, end);
      if (next - position > maxBytes && end > position) break;
      end = next;
    }
    return this.bytes.subarray(position, end);
  }

  /** Makes every byte appended since the last flush durable, and the index entries for them. */
  flush(): void {
    if (this.flushedPosition < this.endPosition) {
      this.log.sync(this.flushedPosition, this.endPosition);
      this.flushedPosition = this.endPosition;
    }
    this.index.flush();
  }

  /**
   * Makes durable, without blocking this thread, what was appended up to `position`; appends
   * may go on meanwhile. Resolves when durable. The index entries are not synced here: a
   * blocking msync of the index after every group commit held the writer's thread for a disk
   * write per commit (mmap `sync` was 15 % of an acks 'all' actor's profile). Recovery rebuilds
   * the entries of the segment it scans, and `flushIndex` makes a sealed segment's durable
   * before a checkpoint lets recovery adopt the segment without a scan (PartitionLog.checkpoint).
   */
  async flushAsync(position: number): Promise<void> {
    const end = Math.min(position, this.endPosition);
    if (this.flushedPosition >= end) return;
    await this.log.syncAsync();
    this.flushedPosition = Math.max(this.flushedPosition, end);
  }

  /** Makes the index entries appended since the last index flush durable (msync). */
  flushIndex(): void {
    this.index.flush();
  }

  /** Closes what the segment holds open besides its mappings (retention, log close). */
  close(): void {
    this.log.close();
  }

  /** Lets go of this segment's resident pages (they come back when read). */
  evict(): void {
    this.log.evict();
  }

  /** Zeroes `[start, end)` and makes it durable: how a torn tail is cleared (never truncated). */
  zeroRange(start: number, end: number): void {
    if (end <= start || isZero(this.bytes, start, end)) return;
    this.bytes.fill(0, start, end);
    this.log.sync(start, end);
  }

  /** The end of the non-zero bytes from `start` on: where a torn tail's garbage stops. */
  nonZeroEnd(start: number): number {
    // Whole chunks are compared against zeros natively, from the end backwards: recovery calls
    // this on every open, and a byte loop over a 64 MiB segment of zeros took ~100 ms.
    const bytes = this.bytes;
    let end = bytes.length;
    while (end - start >= zeroChunk.length) {
      const chunk = bytes.subarray(end - zeroChunk.length, end);
      if (Buffer.compare(chunk, zeroChunk) !== 0) break;
      end -= zeroChunk.length;
    }
    while (end > start && bytes[end - 1] === 0) end -= 1;
    return end;
  }

  /** Whether an all-zero header (or the end of the file) is at `position`. */
  isEndAt(position: number): boolean {
    const end = Math.min(position + BATCH_HEADER_SIZE_BYTES, this.bytes.length);
    return isZero(this.bytes, position, end);
  }

  /** Makes the mapping of both files durable after recovery rewrote parts of them. */
  syncAll(): void {
    this.log.sync(0, this.bytes.length);
    this.flushedPosition = this.endPosition;
    this.index.flushAll();
  }
}
