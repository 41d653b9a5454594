/**
 * A read-only view of a partition's log for consumers in any thread: it maps the segment files
 * itself (read-only) and never talks to the writer. What it may read is bounded by the
 * high-watermark the writer publishes (the partition control block): everything below it is
 * complete in the page cache, so reading it needs no lock.
 *
 * Safety: a read-only mapping stays valid after retention unlinks its file, and files are never
 * made shorter, so no read here can fault (SIGBUS). Offsets below the log start, or beyond the
 * segments this reader can find, are `OFFSET_OUT_OF_RANGE`.
 *
 * Corruption: below the high-watermark every batch is committed, so a header that does not
 * continue the offsets before it there (a damaged length, a wrong base offset) is
 * `CORRUPT_LOG` with the file and byte position, never an empty read that looks like "no data
 * yet" (a consumer would wait for ever). A read from an offset past the damage (a consumer that
 * seeks past it) looks for the next intact batch after it, as recovery does. The CRC of the
 * batches returned is the consumer's to check (consumer-message.ts).
 */
import nodePath from 'node:path';
import { MambaError, corruptLog, offsetOutOfRange } from '../errors.js';
import {
  BATCH_HEADER_SIZE_BYTES, BATCH_VERDICT_REASONS, MAGIC, MAGIC_OFFSET, STORED_BATCH,
  STORED_BATCH_NO_CRC,
  batchBaseOffset, batchLastOffset, batchSizeBytesAt, checkBatch, dataViewOf, isZero,
} from '../records/index.js';
import { MmapStorage } from './mmap-storage.js';
import { lookupInIndexBytes } from './offset-index.js';
import { INDEX_SUFFIX, LOG_SUFFIX, listSegmentBaseOffsets, segmentFileName } from './segment.js';
import type { SegmentStorage } from './storage.js';

interface ReadOnlySegment {
  baseOffset: number;
  path: string;
  bytes: Uint8Array;
  view: DataView;
  /** The segment's offset index, read-only; undefined when it could not be mapped. */
  index: DataView | undefined;
  /** Where the last read here ended, so that sequential reads skip the index search. */
  nextPosition: number;
  nextOffset: number;
}

const emptyView = new Uint8Array(0);

/** Where the bytes of the last non-empty read are: for errors about them. */
export interface ReadOrigin {
  path: string;
  bytePosition: number;
}

export class LogReader {
  private segments: ReadOnlySegment[] = [];
  /** Set by every non-empty `read`. */
  readonly lastRead: ReadOrigin = { path: '', bytePosition: 0 };

  private constructor(readonly dir: string, private readonly storage: SegmentStorage) {}

  static open(dir: string, storage: SegmentStorage = new MmapStorage()): LogReader {
    const reader = new LogReader(dir, storage);
    reader.refresh();
    if (reader.segments.length === 0) {
      throw new MambaError('OFFSET_OUT_OF_RANGE', `no segments in ${dir}`, { detail: { dir } });
    }
    return reader;
  }

  /** The base offset of the oldest segment this reader maps. */
  get firstBaseOffset(): number {
    return this.segments.length === 0 ? 0 : this.segments[0].baseOffset;
  }

  /** Rescans the directory: maps new segments, drops those retention deleted. */
  refresh(): void {
    const known = new Map(this.segments.map((s) => [s.baseOffset, s]));
    const next: ReadOnlySegment[] = [];
    for (const baseOffset of listSegmentBaseOffsets(this.storage, this.dir)) {
      let segment = known.get(baseOffset);
      if (segment === undefined) {
        const path = nodePath.join(this.dir, segmentFileName(baseOffset, LOG_SUFFIX));
        let bytes: Uint8Array;
        try {
          bytes = this.storage.mapReadOnly(path);
        } catch {
          continue; // deleted between listing and mapping
        }
        segment = {
          baseOffset, path, bytes, view: dataViewOf(bytes),
          index: this.mapIndex(baseOffset), nextPosition: 0, nextOffset: baseOffset,
        };
      }
      next.push(segment);
    }
    this.segments = next;
  }

  /**
   * Whole batches below `upToOffset`, starting with the one that holds `fromOffset`, from one
   * segment, within `maxBytes` (but at least one batch): a zero-copy view of the mapping.
   * Empty when `fromOffset >= upToOffset`. `logStartOffset`, when the writer publishes it, turns
   * reads below it into `OFFSET_OUT_OF_RANGE` even while the old mapping is still held.
   * `maxRecords`: no batch is begun once that many records from `fromOffset` on are in.
   */
  read(fromOffset: number, maxBytes: number, upToOffset: number, logStartOffset = 0,
    maxRecords = Infinity): Uint8Array {
    if (fromOffset >= upToOffset) return emptyView;
    if (fromOffset < logStartOffset) {
      throw offsetOutOfRange(fromOffset, logStartOffset, upToOffset, this.dir);
    }
    let refreshed = false;
    for (;;) {
      let index = this.segmentIndexOf(fromOffset);
      if (index < 0 && refreshed) {
        throw offsetOutOfRange(fromOffset, this.firstBaseOffset, upToOffset, this.dir);
      }
      for (index = index < 0 ? this.segments.length : index; index < this.segments.length;
        index += 1) {
        const view = this.readSegment(this.segments[index], fromOffset, maxBytes, upToOffset,
          maxRecords);
        if (view !== undefined) return view;
      }
      if (refreshed) return emptyView;
      // The offset is in a segment created (or deleted) since the last scan of the directory.
      this.refresh();
      refreshed = true;
    }
  }

  private mapIndex(baseOffset: number): DataView | undefined {
    const path = nodePath.join(this.dir, segmentFileName(baseOffset, INDEX_SUFFIX));
    try {
      const bytes = this.storage.mapReadOnly(path);
      return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch {
      return undefined;
    }
  }

  /** Where to start scanning headers for `fromOffset`: the last read's end, or the index. */
  private startPosition(segment: ReadOnlySegment, fromOffset: number): number {
    if (fromOffset >= segment.nextOffset && segment.nextPosition > 0) return segment.nextPosition;
    if (segment.index === undefined) return 0;
    const position = lookupInIndexBytes(segment.index, segment.baseOffset, fromOffset);
    // An entry must name a batch at or before the offset. One that does not comes from another
    // version of the segment (the cleaner swapped the files between mapping the `.log` and its
    // `.index`) or is damaged: walk from the start, where the offsets are known.
    const { bytes, view } = segment;
    if (position > 0 && (position + BATCH_HEADER_SIZE_BYTES > bytes.length ||
      bytes[position + MAGIC_OFFSET] !== MAGIC || batchBaseOffset(view, position) > fromOffset)) {
      return 0;
    }
    return position;
  }

  /**
   * The base offset the batch at `position` must have, when it is known: past the
   * high-watermark the writer may be copying a batch in whose header still holds the
   * producer's base offset (it is stamped after the copy), so a batch is read only while the
   * offsets stay dense from a known point. An index entry names a committed batch: -1.
   */
  private expectedBaseOffset(segment: ReadOnlySegment, position: number): number {
    if (position === 0) return segment.baseOffset;
    if (position === segment.nextPosition) return segment.nextOffset;
    return -1;
  }

  private readSegment(
    segment: ReadOnlySegment, fromOffset: number, maxBytes: number, upToOffset: number,
    maxRecords: number,
  ): Uint8Array | undefined {
    const { bytes, view } = segment;
    let start = -1;
    let position = this.startPosition(segment, fromOffset);
    let expected = this.expectedBaseOffset(segment, position);
    let end = 0;
    while (position + BATCH_HEADER_SIZE_BYTES <= bytes.length) {
      if (!this.isNextBatch(segment, position, expected, upToOffset)) {
        if (expected < 0 && start < 0 && position > 0) {
          // The index pointed at bytes that are no batch (a damaged header, or a damaged
          // index): walk from the segment's start instead, where the offsets are known.
          position = 0;
          expected = segment.baseOffset;
          continue;
        }
        // Below the high-watermark only the end of the segment's data may stop the walk.
        if (expected < 0 || expected >= upToOffset || isZero(bytes, position,
          position + BATCH_HEADER_SIZE_BYTES)) break;
        if (fromOffset <= expected || start >= 0) {
          if (start >= 0) break; // Hand out what came before; the next read reports it.
          throw this.corruption(segment, position, expected, upToOffset);
        }
        const resume = findNextBatch(segment, position, expected, fromOffset);
        if (resume < 0) throw this.corruption(segment, position, expected, upToOffset);
        position = resume;
        expected = batchBaseOffset(view, position);
        continue;
      }
      const sizeBytes = batchSizeBytesAt(view, position);
      expected = batchLastOffset(view, position) + 1;
      if (start < 0 && batchLastOffset(view, position) >= fromOffset) start = position;
      if (start >= 0 && position + sizeBytes - start > maxBytes && position > start) break;
      position += sizeBytes;
      if (start >= 0) end = position;
      if (start >= 0 && expected - fromOffset >= maxRecords) break;
    }
    if (start < 0) return undefined;
    if (end > start) {
      segment.nextPosition = end;
      segment.nextOffset = batchLastOffset(view, lastBatchStart(view, start, end)) + 1;
      this.lastRead.path = segment.path;
      this.lastRead.bytePosition = start;
    }
    return bytes.subarray(start, end);
  }

  /** Whether a whole batch that continues `expected` (when known) and ends below the mark. */
  private isNextBatch(
    segment: ReadOnlySegment, position: number, expected: number, upToOffset: number,
  ): boolean {
    const { bytes, view } = segment;
    const sizeBytes = batchSizeBytesAt(view, position);
    // An all-zero header (the end of the data) reads as a size below a header's.
    if (sizeBytes < BATCH_HEADER_SIZE_BYTES || position + sizeBytes > bytes.length) return false;
    if (bytes[position + MAGIC_OFFSET] !== MAGIC) return false;
    const baseOffset = batchBaseOffset(view, position);
    if (baseOffset >= upToOffset) return false;
    if (expected >= 0 && baseOffset !== expected) return false;
    return batchLastOffset(view, position) < upToOffset;
  }

  private corruption(
    segment: ReadOnlySegment, position: number, expected: number, upToOffset: number,
  ): MambaError {
    const verdict = checkBatch(segment.bytes, segment.view, position, segment.bytes.length,
      expected, STORED_BATCH_NO_CRC);
    const reason = verdict === 'valid'
      ? `the batch does not end below the high-watermark ${upToOffset}`
      : BATCH_VERDICT_REASONS[verdict];
    return corruptLog({
      path: segment.path, bytePosition: position,
      reason: `batch for offset ${expected}: ${reason}`,
    });
  }

  private segmentIndexOf(logOffset: number): number {
    let found = -1;
    for (let i = 0; i < this.segments.length; i += 1) {
      if (this.segments[i].baseOffset <= logOffset) found = i;
      else break;
    }
    return found;
  }
}

function lastBatchStart(view: DataView, start: number, end: number): number {
  let position = start;
  for (;;) {
    const next = position + batchSizeBytesAt(view, position);
    if (next >= end) return position;
    position = next;
  }
}

/**
 * The position of the first intact batch after the damaged one at `position` that holds
 * offsets at or after `fromOffset` (past `expected`), or -1: a search for the magic byte, each
 * candidate checked whole (CRC included) before it is trusted.
 */
function findNextBatch(
  segment: ReadOnlySegment, position: number, expected: number, fromOffset: number,
): number {
  const { bytes, view } = segment;
  let searchFrom = position + 1 + MAGIC_OFFSET;
  for (;;) {
    const magicAt = bytes.indexOf(MAGIC, searchFrom);
    if (magicAt < 0) return -1;
    searchFrom = magicAt + 1;
    const candidate = magicAt - MAGIC_OFFSET;
    if (checkBatch(bytes, view, candidate, bytes.length, -1, STORED_BATCH) !== 'valid') continue;
    if (batchBaseOffset(view, candidate) > expected &&
      batchLastOffset(view, candidate) >= fromOffset) {
      return candidate;
    }
  }
}
