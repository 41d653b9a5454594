/**
 * Recovery of one partition's log on open: it yields exactly the longest valid prefix of the
 * log (DESIGN.md invariant 4), or a `CORRUPT_LOG` error that says where the damage is.
 *
 * Invariants this file keeps:
 * - a mapped file is never made shorter: a torn tail is zeroed in place, a dead segment is
 *   unlinked (invariant 5);
 * - every batch kept is valid: length bounds, magic, leader epoch, record counts, CRC32C, and a
 *   base offset continuing the one before (records/batch-check.ts);
 * - data that was durable (below the checkpoint's recovery point) and is damaged is never
 *   served nor dropped silently; valid batches after a damaged one are never dropped silently;
 * - what recovery kept is flushed before it returns, so a checkpoint may claim it.
 *
 * The cases, in the order the code meets them:
 *
 * | # | situation                                        | what happens                           |
 * | - | ------------------------------------------------ | ---------------------------------------|
 * | 1 | no checkpoint, or it fails its checks, or names  | scan every segment from byte 0; the    |
 * |   | a segment that is not there                      | producer table is rebuilt from scratch |
 * | 2 | valid checkpoint                                 | segments before its recovery segment   |
 * |   |                                                  | are adopted (index entries checked, end|
 * |   |                                                  | found by header hops, no CRC); the     |
 * |   |                                                  | recovery segment is scanned from byte 0|
 * |   |                                                  | and every segment after it; producer   |
 * |   |                                                  | entries replay from the recovery point |
 * | 3 | scan meets an all-zero header, nothing valid     | clean end of the log                   |
 * |   | after it                                         |                                        |
 * | 4 | ... and the next segment starts right there with | continue into the next segment         |
 * |   | the next offset                                  |                                        |
 * | 5 | scan meets an invalid batch, nothing valid after | torn tail: zero its bytes (durably),   |
 * |   | it in this or any later segment                  | unlink later segments, log it          |
 * | 6 | invalid batch or hole, valid batches after it    | bit rot (or lost writes): CORRUPT_LOG  |
 * |   | (found by scanning for the next valid batch)     | naming file, byte range, lost offsets; |
 * |   |                                                  | with `repair`, keep the valid          |
 * |   |                                                  | suffix, mark the lost offsets with a   |
 * |   |                                                  | gap batch, record the range, log it    |
 * | 7 | case 3, 5 or 6 below the checkpoint's recovery   | CORRUPT_LOG (durable data is damaged   |
 * |   | point                                            | or missing); `repair` proceeds as 5/6  |
 *
 * With `reopenInProcess` (an actor restart: the process that wrote the log reopens it) what the
 * scan keeps is not synced at the end: its bytes are in the page cache, and syncing the dirty
 * tail of the last second on the reopening thread was most of an actor's recovery time. The
 * durable offset then starts at the checkpoint's recovery point and the writer's next flush
 * moves it. A torn tail or a repair still syncs everything, as below. The scan itself is the
 * same: damage below the recovery point in the recovery segment is still CORRUPT_LOG.
 *
 * Case 6 covers what other brokers get wrong: truncating at the first bad batch throws away
 * every acknowledged batch after it. A power cut whose writeback reached a later page but not
 * an earlier one looks the same, and gets the same treatment: an operator decides to repair.
 */
import {
  BATCH_HEADER_SIZE_BYTES, MAGIC, MAGIC_OFFSET, RECORD_SIZE_BYTES_MIN, STORED_BATCH,
  batchBaseOffset, batchBaseSequence, batchLastOffset, batchLastOffsetDelta, batchMaxTimestamp,
  batchCompression, batchProducerEpoch, batchProducerId, batchSizeBytesAt, checkBatch,
  type BatchVerdict,
} from '../records/index.js';
import { batchRecordCountMax } from '../constants.js';
import { corruptLog } from '../errors.js';
import { stampBatch, writeGapBatch } from './stored-batch.js';
import { readCheckpoint } from './checkpoint.js';
import { ProducerState } from './producer-state.js';
import type { Segment } from './segment.js';
import type { SegmentStorage } from './storage.js';

export interface RecoveryOptions {
  /** Keep valid batches found after corruption (case 6/7) instead of failing. */
  repair: boolean;
  /** Also scan (CRC) segments below the checkpoint's recovery segment. */
  verifyAll: boolean;
  log: (line: string) => void;
  /** Called every few hundred batches scanned, so a supervisor can tell slow from stuck. */
  onRecoveryProgress: () => void;
  /** Leave the scanned tail unsynced: an actor restart (see the file comment). */
  reopenInProcess?: boolean;
}

const progressEveryBatches = 256;

/** Offsets lost to corruption and removed by a repair. */
export interface LostRange {
  /** First lost offset. */
  fromOffset: number;
  /** First offset after the lost ones (exclusive). */
  toOffset: number;
  path: string;
  bytePosition: number;
  /** Where valid data resumes: a byte position in `resumePath`. */
  resumePath: string;
  resumeBytePosition: number;
  reason: string;
}

export interface TornTail {
  path: string;
  bytePosition: number;
  /** Bytes zeroed in that file, plus the sizes of later segments unlinked. */
  bytesCleared: number;
  segmentsRemoved: number;
}

export interface RecoveryResult {
  /** The segments that remain, ascending; the last is the active one. */
  segments: Segment[];
  logEndOffset: number;
  producers: ProducerState;
  /** Why the checkpoint was not used, when it was not. */
  checkpointProblem: string | undefined;
  tornTail: TornTail | undefined;
  lostRanges: LostRange[];
  /**
   * Set when recovery left the kept tail unsynced (`reopenInProcess`): every offset below this
   * is durable, not necessarily the rest. Undefined: everything kept was synced.
   */
  durableOffset?: number;
}

interface Cursor {
  segmentIndex: number;
  position: number;
}

interface Found extends Cursor {
  baseOffset: number;
}

/** Recovers the opened `segments` (ascending, at least one) of the log in `dir`. */
export function recoverLog(
  storage: SegmentStorage, dir: string, segments: Segment[], options: RecoveryOptions,
): RecoveryResult {
  const read = readCheckpoint(storage, dir);
  let checkpointProblem = 'problem' in read ? read.problem : undefined;
  let start = 0;
  let producers = new ProducerState();
  let recoveryPoint = -1;
  let recoveryCursor: Cursor = { segmentIndex: 0, position: 0 };
  if ('checkpoint' in read) {
    const checkpoint = read.checkpoint;
    const index = segments.findIndex((s) => s.baseOffset === checkpoint.recoverySegmentBaseOffset);
    if (index < 0 || checkpoint.recoveryBytePosition > segments[index].sizeBytes) {
      checkpointProblem = `recovery segment ${checkpoint.recoverySegmentBaseOffset} is missing`;
    } else {
      start = options.verifyAll ? 0 : index;
      producers = ProducerState.fromEntries(checkpoint.producers);
      recoveryPoint = checkpoint.recoveryPoint;
      recoveryCursor = { segmentIndex: index, position: checkpoint.recoveryBytePosition };
    }
  }
  if (checkpointProblem !== undefined) {
    options.log(`checkpoint not used (${checkpointProblem}): scanning from the first segment`);
  }
  for (let i = 0; i < start; i += 1) adoptSegment(segments[i], segments[i + 1]);
  const scan = new Scan(storage, segments, options, producers, recoveryPoint, recoveryCursor);
  scan.run(start);
  const unsynced = scan.leftUnsynced;
  return {
    segments: scan.segments,
    logEndOffset: scan.segments[scan.segments.length - 1].nextOffset,
    producers,
    checkpointProblem,
    tornTail: scan.tornTail,
    lostRanges: scan.lostRanges,
    ...(unsynced ? { durableOffset: recoveryPoint } : {}),
  };
}

/**
 * Case 2: a segment below the recovery segment. Its index entries are kept while each points
 * at the batch it names; its end is found by hopping headers from the last entry.
 */
export function adoptSegment(segment: Segment, next: Segment | undefined): void {
  const { bytes, view, sizeBytes } = segment;
  const limit = next === undefined ? Number.POSITIVE_INFINITY : next.baseOffset;
  const pointsAtItsBatch = (logOffset: number, position: number) =>
    position + BATCH_HEADER_SIZE_BYTES <= sizeBytes &&
    bytes[position + MAGIC_OFFSET] === MAGIC &&
    batchBaseOffset(view, position) === logOffset;
  // Checking every entry would read one page of the log per entry — the whole segment — and
  // make every page of every old segment resident: memory would grow with the log. Entries
  // below the checkpoint were flushed with their data, so only the last one is checked here
  // (it is where the end is searched from); reads check the entry they use (positionOf).
  segment.index.load(() => true);
  const last = segment.index.entryCount - 1;
  if (last >= 0 && !pointsAtItsBatch(segment.baseOffset + segment.index.relativeOffsetAt(last),
    segment.index.bytePositionAt(last))) {
    segment.index.load(pointsAtItsBatch);
  }
  let position = Math.max(0, segment.index.lastBytePosition());
  let nextOffset = segment.baseOffset;
  let lastPosition = -1;
  while (position + BATCH_HEADER_SIZE_BYTES <= sizeBytes && !segment.isEndAt(position)) {
    const size = batchSizeBytesAt(view, position);
    if (size < BATCH_HEADER_SIZE_BYTES || position + size > sizeBytes) break;
    if (batchBaseOffset(view, position) >= limit) break;
    nextOffset = batchBaseOffset(view, position) + batchLastOffsetDelta(view, position) + 1;
    lastPosition = position;
    position += size;
  }
  segment.endPosition = position;
  segment.flushedPosition = position;
  segment.nextOffset = nextOffset;
  if (lastPosition >= 0) segment.largestTimestampMs = batchMaxTimestamp(view, lastPosition);
}

/** Cases 3 to 7: validating every batch from a segment's byte 0 to the end of the log. */
class Scan {
  segments: Segment[];
  tornTail: TornTail | undefined;
  readonly lostRanges: LostRange[] = [];

  constructor(
    private readonly storage: SegmentStorage,
    segments: Segment[],
    private readonly options: RecoveryOptions,
    private readonly producers: ProducerState,
    private readonly recoveryPoint: number,
    private readonly recoveryCursor: Cursor,
  ) {
    this.segments = segments.slice();
  }

  private scannedBatches = 0;

  /** The kept tail was left to the writer's next flush (`reopenInProcess`). */
  leftUnsynced = false;

  run(startIndex: number): void {
    let segmentIndex = startIndex;
    let expected = this.segments[segmentIndex].baseOffset;
    resetSegment(this.segments[segmentIndex]);
    for (;;) {
      const segment = this.segments[segmentIndex];
      const verdict = this.scanSegment(segment, expected);
      // A scanned segment that is not the last is done with: do not keep it resident.
      if (segmentIndex < this.segments.length - 1) segment.evict();
      expected = segment.nextOffset;
      const end: Cursor = { segmentIndex, position: segment.endPosition };
      const found = this.findValid(end, expected);
      const below = this.isBelowRecoveryPoint(end);
      if (found === undefined && !below) {
        this.clearTornTail(end, verdict);
        break;
      }
      const cleanNext = found !== undefined && verdict === 'zero' &&
        found.segmentIndex === segmentIndex + 1 && found.position === 0 &&
        found.baseOffset === expected;
      const missingBelow = below && end.segmentIndex === this.recoveryCursor.segmentIndex;
      if (cleanNext && !missingBelow) {
        segmentIndex += 1;
        resetSegment(this.segments[segmentIndex]);
        continue;
      }
      const detail = this.corruption(end, verdict, expected, found, below);
      if (!this.options.repair) throw corruptLog(detail);
      if (found === undefined) {
        this.clearTornTail(end, verdict);
        break;
      }
      segmentIndex = this.repairGap(end, expected, found, detail.reason);
      expected = this.segments[segmentIndex].nextOffset;
    }
    if (this.options.reopenInProcess === true && this.recoveryPoint >= 0 &&
      this.tornTail === undefined && this.lostRanges.length === 0) {
      this.leaveUnsynced(startIndex);
      return;
    }
    for (let i = startIndex; i < this.segments.length; i += 1) this.segments[i].syncAll();
  }

  /**
   * Leaves what the scan kept to the writer's next flush: each scanned segment counts as
   * flushed only up to the recovery position (all of a segment before it), so the log's next
   * flush syncs the rest, and its index entries are flushed with it.
   */
  private leaveUnsynced(startIndex: number): void {
    const recovery = this.recoveryCursor;
    for (let i = startIndex; i < this.segments.length; i += 1) {
      const segment = this.segments[i];
      segment.flushedPosition = i < recovery.segmentIndex ? segment.endPosition
        : i === recovery.segmentIndex ? Math.min(recovery.position, segment.endPosition) : 0;
    }
    this.leftUnsynced = true;
  }

  /** Takes valid batches from `segment.endPosition` on; returns why the run stopped. */
  private scanSegment(segment: Segment, expectedBaseOffset: number): BatchVerdict {
    const { bytes, view, sizeBytes } = segment;
    let expected = expectedBaseOffset;
    for (;;) {
      const position = segment.endPosition;
      let verdict = checkBatch(bytes, view, position, sizeBytes, expected, STORED_BATCH);
      if (verdict === 'offset') verdict = this.restampOffset(segment, position, expected);
      if (verdict !== 'valid') return verdict;
      const baseOffset = batchBaseOffset(view, position);
      segment.commitBatch(position, batchSizeBytesAt(view, position));
      if (++this.scannedBatches % progressEveryBatches === 0) this.options.onRecoveryProgress();
      if (baseOffset >= this.recoveryPoint) {
        this.producers.update(batchProducerId(view, position), batchProducerEpoch(view, position),
          batchBaseSequence(view, position), batchLastOffsetDelta(view, position), baseOffset);
      }
      expected = segment.nextOffset;
    }
  }

  /**
   * A batch that passes every check but its base offset, right after the valid batch before
   * it: offsets are dense and batches contiguous, so its offset can only be `expected`, and the
   * field (which the CRC does not cover) took a bit flip. Restamp it, and say so.
   */
  private restampOffset(segment: Segment, position: number, expected: number): BatchVerdict {
    const found = batchBaseOffset(segment.view, position);
    stampBatch(segment.view, position, expected);
    this.options.log(`restamped base offset ${found} -> ${expected} at byte ${position} of ` +
      `${segment.logPath} (the batch is otherwise valid)`);
    return 'valid';
  }

  private isBelowRecoveryPoint(cursor: Cursor): boolean {
    const recovery = this.recoveryCursor;
    if (this.recoveryPoint < 0) return false;
    if (cursor.segmentIndex !== recovery.segmentIndex) {
      return cursor.segmentIndex < recovery.segmentIndex;
    }
    return cursor.position < recovery.position;
  }

  /**
   * The next valid batch after `from` whose base offset is at least `minBaseOffset`: in the
   * rest of this segment, then in later ones. Zero bytes are skipped at native speed by
   * searching for the magic byte.
   */
  private findValid(from: Cursor, minBaseOffset: number): Found | undefined {
    let distanceBytes = 0;
    for (let i = from.segmentIndex; i < this.segments.length; i += 1) {
      const segment = this.segments[i];
      const { bytes, view, sizeBytes } = segment;
      const start = i === from.segmentIndex ? from.position + 1 : 0;
      let searchFrom = start + MAGIC_OFFSET;
      for (;;) {
        const magicAt = bytes.indexOf(MAGIC, searchFrom);
        if (magicAt < 0) break;
        searchFrom = magicAt + 1;
        const position = magicAt - MAGIC_OFFSET;
        if (checkBatch(bytes, view, position, sizeBytes, -1, STORED_BATCH) !== 'valid') continue;
        const baseOffset = batchBaseOffset(view, position);
        const skippedBytes = distanceBytes + position - start;
        const lostOffsetsMax = lostOffsetsBound(skippedBytes, batchCompression(view, position));
        if (baseOffset < minBaseOffset || baseOffset - minBaseOffset > lostOffsetsMax) continue;
        if (!chainsOn(segment, position)) continue;
        return { segmentIndex: i, position, baseOffset };
      }
      distanceBytes += sizeBytes - start;
    }
    return undefined;
  }

  private corruption(
    end: Cursor, verdict: BatchVerdict, expected: number, found: Found | undefined,
    below: boolean,
  ): { path: string; bytePosition: number; bytePositionEnd?: number; reason: string } {
    const segment = this.segments[end.segmentIndex];
    const where = below ? 'below the recovery point' : 'followed by valid batches';
    const problem = verdict === 'zero' ? 'missing data' : `invalid batch (${verdict})`;
    if (found === undefined) {
      return {
        path: segment.logPath, bytePosition: end.position,
        reason: `${problem} ${where}; offsets from ${expected} are lost`,
      };
    }
    const resume = this.segments[found.segmentIndex];
    return {
      path: segment.logPath,
      bytePosition: end.position,
      ...(found.segmentIndex === end.segmentIndex ? { bytePositionEnd: found.position } : {}),
      reason: `${problem} ${where}: offsets ${expected}..${found.baseOffset - 1} are lost, ` +
        `valid data resumes at byte ${found.position} of ${resume.logPath} ` +
        '(open with { repair: true } to keep it)',
    };
  }

  /** Cases 3 and 5: zero what follows the valid data here; unlink later segments. */
  private clearTornTail(end: Cursor, verdict: BatchVerdict): void {
    const segment = this.segments[end.segmentIndex];
    const garbageEnd = segment.nonZeroEnd(end.position);
    let bytesCleared = garbageEnd - end.position;
    segment.zeroRange(end.position, garbageEnd);
    const removed = this.segments.splice(end.segmentIndex + 1);
    for (const dead of removed) {
      bytesCleared += dead.nonZeroEnd(0);
      this.unlinkSegment(dead);
    }
    if (bytesCleared > 0 || removed.length > 0) {
      this.tornTail = {
        path: segment.logPath, bytePosition: end.position, bytesCleared,
        segmentsRemoved: removed.length,
      };
      this.options.log(`torn tail (${verdict}) at byte ${end.position} of ${segment.logPath}: ` +
        `${bytesCleared} bytes cleared, ${removed.length} later segments removed`);
    }
  }

  /** Case 6 with `repair`: keeps the valid suffix; returns the segment to scan next. */
  private repairGap(end: Cursor, expected: number, found: Found, reason: string): number {
    const segment = this.segments[end.segmentIndex];
    const lost: LostRange = {
      fromOffset: expected, toOffset: found.baseOffset, path: segment.logPath,
      bytePosition: end.position, resumePath: this.segments[found.segmentIndex].logPath,
      resumeBytePosition: found.position, reason,
    };
    let resumeIndex = end.segmentIndex;
    if (found.segmentIndex === end.segmentIndex) {
      fillGap(segment, end.position, found.position, expected, found.baseOffset, reason);
    } else {
      segment.zeroRange(end.position, segment.nonZeroEnd(end.position));
      const between = this.segments.splice(end.segmentIndex + 1,
        found.segmentIndex - end.segmentIndex - 1);
      for (const dead of between) this.unlinkSegment(dead);
      resumeIndex = end.segmentIndex + 1;
      const resume = this.segments[resumeIndex];
      resetSegment(resume);
      if (found.position > 0) {
        fillGap(resume, 0, found.position, resume.baseOffset, found.baseOffset, reason);
      }
    }
    this.lostRanges.push(lost);
    this.options.log(`repaired: lost offsets ${lost.fromOffset}..${lost.toOffset - 1} ` +
      `(${segment.logPath} byte ${lost.bytePosition} to ${lost.resumePath} byte ` +
      `${lost.resumeBytePosition}): ${reason}`);
    return resumeIndex;
  }

  private unlinkSegment(segment: Segment): void {
    this.storage.unlink(segment.logPath);
    this.storage.unlink(segment.indexPath);
  }
}

function resetSegment(segment: Segment): void {
  segment.index.resetTo(0);
  segment.endPosition = 0;
  segment.flushedPosition = 0;
  segment.nextOffset = segment.baseOffset;
  segment.largestTimestampMs = -1;
}

/** Writes a gap batch over `[start, end)` taking offsets `[fromOffset, toOffset)`. */
function fillGap(
  segment: Segment, start: number, end: number, fromOffset: number, toOffset: number,
  reason: string,
): void {
  if (end - start < BATCH_HEADER_SIZE_BYTES || toOffset <= fromOffset) {
    throw corruptLog({
      path: segment.logPath, bytePosition: start, bytePositionEnd: end,
      reason: `cannot repair (${end - start} bytes for offsets ${fromOffset}..${toOffset - 1}): ` +
        reason,
    });
  }
  writeGapBatch(segment.bytes, segment.view, start, end - start, fromOffset, toOffset - fromOffset);
}

/**
 * The most offsets `skippedBytes` of lost batches can have held. Uncompressed, a record takes
 * at least `RECORD_SIZE_BYTES_MIN` bytes. A compressed batch can hold up to
 * `batchRecordCountMax` records in little more than its header, so when the resume candidate is
 * compressed (a partition's producers usually share a codec) the bound is per lost header
 * instead; `chainsOn` still checks the candidate's offset against the batch after it.
 */
function lostOffsetsBound(skippedBytes: number, candidateCompression: number): number {
  if (candidateCompression === 0) return Math.ceil(skippedBytes / RECORD_SIZE_BYTES_MIN);
  return Math.ceil(skippedBytes / BATCH_HEADER_SIZE_BYTES) * batchRecordCountMax;
}

/**
 * Whether what follows the batch at `position` does not contradict its base offset: anything
 * but a valid batch whose offsets do not continue it. A resume point whose (unchecksummed)
 * offset took a bit flip fails this when an intact batch follows it.
 */
function chainsOn(segment: Segment, position: number): boolean {
  const { bytes, view, sizeBytes } = segment;
  const next = position + batchSizeBytesAt(view, position);
  const expected = batchLastOffset(view, position) + 1;
  const verdict = checkBatch(bytes, view, next, sizeBytes, expected, STORED_BATCH);
  return verdict !== 'offset';
}
