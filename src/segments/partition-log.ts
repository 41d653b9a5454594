/**
 * The log of one partition: its segments in base-offset order, the last one active. Only the
 * partition's actor writes it (one writer, DESIGN.md §1); readers in other threads use
 * `LogReader` on the same files.
 *
 * Invariants (asserted where they can break):
 * - offsets are dense and increasing: `append` stamps `baseOffset = logEndOffset` into the
 *   batch, and a batch is never split (the log rolls first when it does not fit);
 * - `durableOffset <= logEndOffset`; every batch below `durableOffset` was made durable (msync
 *   by `flush`, fdatasync on the I/O pool by `flushAsync`), and so was the directory entry of
 *   its segment;
 * - a checkpoint's recovery point is durable: `checkpoint()` records `durableOffset` as it
 *   stands (flushing first only under flush policy 'batch' or when asked for a full one);
 * - segment files are never made shorter (invariant 5); retention only unlinks.
 */
import nodePath from 'node:path';
import { randomUUID } from 'node:crypto';
import { assert } from '../assert.js';
import { MambaError, offsetOutOfRange } from '../errors.js';
import {
  BATCH_VERDICT_REASONS, INCOMING_BATCH, batchBaseSequence, batchLastOffsetDelta,
  batchProducerEpoch, batchProducerId, checkBatch, corruptBatch, incomingBatchSizeBytes,
  batchIsControl, batchIsTransactional, encodeMarkerBatch, type TxnMarker,
} from '../records/index.js';
import { stampBatch } from './stored-batch.js';
import { TEMP_SUFFIX } from './atomic-file.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { AbortedIndex } from './aborted-index.js';
import { TransactionState } from './transaction-state.js';
import { recoverTransactions } from './transaction-recovery.js';
import { validateLogOptions, type LogConfig, type PartitionLogOptions } from './log-options.js';
import { ProducerState } from './producer-state.js';
import { adoptSegment, recoverLog, type LostRange, type TornTail } from './recovery.js';
import { completeSwap, finishInterruptedClean, writeSwapMarker } from './clean-swap.js';
import {
  cleanedFileChains, removeCleanedFiles, type CleanSegmentSpec,
} from './segment-cleaner.js';
import { PREPARED_SUFFIX, Segment, listSegmentBaseOffsets } from './segment.js';
import type { PreparedFile } from './storage.js';
import type { AbortedTransaction } from './transaction-state.js';

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The segment the batch went to, and where in its `.log` file. */
  segmentBaseOffset: number;
  bytePosition: number;
}

/** What `open` found and did. */
export interface RecoveryReport {
  checkpointProblem: string | undefined;
  tornTail: TornTail | undefined;
  lostRanges: LostRange[];
}

export interface LogStats {
  segmentCount: number;
  sizeBytes: number;
  rollCount: number;
  /** Rolls that used a segment prepared in the background. */
  preparedRollCount: number;
}

/** Rounds `preparationSettled` waits for; each is one preparation finishing. */
const preparationSettleRoundsMax = 3;
const emptyView = new Uint8Array(0);

export class PartitionLog {
  private segments: Segment[];
  private durable: number;
  /** The flush in progress (or a settled promise): flushes run one at a time. */
  private flushing: Promise<void> = Promise.resolve();
  private lastFlushMs: number;
  private directoryDirty = false;
  private preparation: PreparedFile | undefined;
  private preparationCount = 0;
  private readonly preparationPrefix = randomUUID().slice(0, 8);
  private rollCount = 0;
  private preparedRollCount = 0;
  private closed = false;
  /** The recovery point of the last checkpoint this log wrote (-1: none since it opened). */
  private checkpointedRecoveryPoint = -1;
  /** Offsets below this were cleaned since the log opened; the rest of the log is dirty. */
  private cleanedUpToOffset = 0;
  /** Open transactions and producer epochs (transaction-state.ts); set by `open`. */
  private txns = new TransactionState();
  private aborted: AbortedIndex | undefined;

  private constructor(
    readonly dir: string,
    readonly config: LogConfig,
    segments: Segment[],
    readonly producers: ProducerState,
    readonly recovery: RecoveryReport,
  ) {
    assert(segments.length > 0, 'a log has an active segment');
    this.segments = segments;
    this.durable = this.logEndOffset;
    this.lastFlushMs = config.clockMs();
  }

  /** Opens (creating if needed) the log in `dir` and recovers it (recovery.ts). */
  static open(dir: string, options: PartitionLogOptions = {}): PartitionLog {
    const config = validateLogOptions(options);
    const { storage } = config;
    storage.mkdir(dir);
    const interruptedClean = finishInterruptedClean(storage, dir);
    if (interruptedClean !== 'none') {
      config.log(`a log cleaning interrupted by a crash was ${interruptedClean}`);
    }
    for (const name of storage.list(dir)) {
      if (name.endsWith(PREPARED_SUFFIX) || name.endsWith(TEMP_SUFFIX)) {
        storage.unlink(nodePath.join(dir, name));
      }
    }
    const nowMs = config.clockMs();
    const baseOffsets = listSegmentBaseOffsets(storage, dir);
    if (baseOffsets.length === 0) {
      const first = Segment.create(storage, dir, 0, config, nowMs);
      storage.syncDirectory(dir);
      const empty = { checkpointProblem: undefined, tornTail: undefined, lostRanges: [] };
      const log = new PartitionLog(dir, config, [first], new ProducerState(), empty);
      log.openTransactions(false);
      // A first checkpoint at once, so that a log never opens without one (no warning, and a
      // recovery that knows where to start even if the writer dies within its first second).
      log.checkpoint(true);
      return log;
    }
    const opened = baseOffsets.map((baseOffset) =>
      Segment.open(storage, dir, baseOffset, config.indexIntervalBytes, nowMs));
    const result = recoverLog(storage, dir, opened, config);
    const report = {
      checkpointProblem: result.checkpointProblem,
      tornTail: result.tornTail,
      lostRanges: result.lostRanges,
    };
    const log = new PartitionLog(dir, config, result.segments, result.producers, report);
    log.openTransactions(true);
    // Recovery left the tail after the recovery point to the next flush (reopenInProcess).
    if (result.durableOffset !== undefined) log.durable = result.durableOffset;
    if (result.tornTail !== undefined || result.lostRanges.length > 0) {
      storage.syncDirectory(dir);
      log.checkpointAfterRecovery();
    }
    return log;
  }

  get logStartOffset(): number {
    return this.segments[0].baseOffset;
  }

  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  /** Every offset below this is on disk (see the invariants above). */
  get durableOffset(): number {
    return this.durable;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /**
   * Appends one RecordBatch v2 (the caller's bytes, copied once into the mapping) and assigns
   * its offsets. Throws `CORRUPT_BATCH` or `RECORD_TOO_LARGE` for bad input (the log is left
   * as it was), `DISK_FULL` when a new segment cannot be created.
   */
  append(batch: Uint8Array): AppendResult {
    this.assertOpen();
    const sizeBytes = incomingBatchSizeBytes(batch);
    if (sizeBytes > this.config.segmentSizeBytes) {
      throw new MambaError('RECORD_TOO_LARGE', `a batch of ${sizeBytes} bytes exceeds ` +
        `options.segmentSizeBytes (${this.config.segmentSizeBytes})`, { detail: { sizeBytes } });
    }
    let segment = this.active;
    if (!segment.fits(sizeBytes) || this.isTooOld(segment)) segment = this.roll();
    const position = segment.copyIn(batch);
    const { bytes, view } = segment;
    // Checked after the copy, so the check also covers the copy. A compressed batch is
    // checked as it is (CRC over the compressed bytes, count from the header): never inflated.
    const verdict = checkBatch(bytes, view, position, position + sizeBytes, -1, INCOMING_BATCH);
    if (verdict !== 'valid') {
      bytes.fill(0, position, position + sizeBytes);
      throw corruptBatch(BATCH_VERDICT_REASONS[verdict], sizeBytes);
    }
    const baseOffset = segment.nextOffset;
    stampBatch(view, position, baseOffset);
    segment.commitBatch(position, sizeBytes);
    const producerId = batchProducerId(view, position);
    if (producerId >= 0) {
      this.producers.update(producerId, batchProducerEpoch(view, position),
        batchBaseSequence(view, position), batchLastOffsetDelta(view, position), baseOffset);
      if (batchIsTransactional(view, position)) this.trackTransaction(view, position, baseOffset);
    }
    if (this.preparation === undefined && this.config.prepareNextSegment &&
      segment.endPosition >= segment.sizeBytes * this.config.prepareAtFraction) {
      this.startPreparation();
    }
    return {
      baseOffset, lastOffset: segment.nextOffset - 1,
      segmentBaseOffset: segment.baseOffset, bytePosition: position,
    };
  }

  /**
   * Whole batches starting with the one that holds `fromOffset`, from one segment, within
   * `maxBytes` (but at least one batch): a zero-copy view of the mapping. Empty at the log end.
   */
  read(fromOffset: number, maxBytes: number): Uint8Array {
    this.assertOpen();
    if (fromOffset === this.logEndOffset) return emptyView;
    if (fromOffset < this.logStartOffset || fromOffset > this.logEndOffset) {
      throw offsetOutOfRange(fromOffset, this.logStartOffset, this.logEndOffset, this.dir);
    }
    for (let i = this.segmentIndexOf(fromOffset); i < this.segments.length; i += 1) {
      const position = this.segments[i].positionOf(fromOffset);
      if (position >= 0) return this.segments[i].batchesFrom(position, maxBytes);
    }
    return emptyView;
  }

  /** The index of the last segment whose base offset is at most `logOffset`. */
  private segmentIndexOf(logOffset: number): number {
    let low = 0;
    let high = this.segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.segments[middle].baseOffset <= logOffset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** Msyncs everything appended since the last flush; returns the durable offset. */
  flush(): number {
    this.assertOpen();
    const pending: Segment[] = [];
    for (let i = this.segments.length - 1; i >= 0; i -= 1) {
      const segment = this.segments[i];
      if (segment.nextOffset <= this.durable && segment.endPosition > 0) break;
      pending.push(segment);
    }
    for (let i = pending.length - 1; i >= 0; i -= 1) pending[i].flush();
    if (this.directoryDirty) {
      this.config.storage.syncDirectory(this.dir);
      this.directoryDirty = false;
    }
    this.durable = this.logEndOffset;
    this.lastFlushMs = this.config.clockMs();
    return this.durable;
  }

  /**
   * Makes the log durable up to its current end without blocking the writer's thread: the
   * writer may keep appending while it runs (those appends are not claimed durable by it).
   * Flushes run one at a time per log; a call while one runs waits for it, then flushes.
   * Resolves with the durable offset.
   */
  flushAsync(): Promise<number> {
    this.assertOpen();
    const next = this.flushing.then(() => this.flushUpToNow());
    this.flushing = next.then(() => undefined, () => undefined);
    return next;
  }

  private async flushUpToNow(): Promise<number> {
    const target = this.logEndOffset;
    if (this.closed || target <= this.durable) return this.durable;
    const marks = this.segments
      .filter((segment) => segment.flushedPosition < segment.endPosition)
      .map((segment) => ({ segment, position: segment.endPosition }));
    await Promise.all(marks.map(({ segment, position }) => segment.flushAsync(position)));
    if (this.directoryDirty && !this.closed) {
      this.config.storage.syncDirectory(this.dir);
      this.directoryDirty = false;
    }
    this.durable = Math.max(this.durable, target);
    return this.durable;
  }

  /** Whether the flush policy wants a flush now. */
  flushDue(nowMs: number): boolean {
    if (this.durable === this.logEndOffset && !this.directoryDirty) return false;
    const policy = this.config.flushPolicy;
    if (policy === 'none') return false;
    if (policy === 'batch') return true;
    return nowMs - this.lastFlushMs >= policy.intervalMs;
  }

  /**
   * Deletes whole oldest segments (never the active one) while the log holds more than
   * `retentionBytes`, or while the oldest one's newest batch is older than `retentionMs`.
   * Unlink only: mappings elsewhere stay valid. Returns how many segments went.
   */
  applyRetention(nowMs: number = this.config.clockMs()): number {
    this.assertOpen();
    let sizeBytes = this.sizeBytes();
    let deleted = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0];
      const tooBig = sizeBytes > this.config.retentionBytes;
      const tooOld = oldest.largestTimestampMs >= 0 &&
        nowMs - oldest.largestTimestampMs > this.config.retentionMs;
      if (!tooBig && !tooOld) break;
      this.segments.shift();
      oldest.close();
      this.config.storage.unlink(oldest.logPath);
      this.config.storage.unlink(oldest.indexPath);
      sizeBytes -= oldest.endPosition;
      deleted += 1;
    }
    if (deleted > 0) {
      this.directoryDirty = true;
      this.aborted?.dropBelow(this.logStartOffset);
    }
    return deleted;
  }

  /**
   * Atomically writes the checkpoint. With flush policy `'batch'` (or when `full`), the log is
   * flushed first and the recovery point is the log end. Otherwise the checkpoint records the
   * durable offset as it stands and flushes nothing: a blocking msync of everything appended
   * since the last checkpoint would stall the writer (with flush `'none'`, a second of traffic
   * is ~100 ms of disk here). The writer makes the log durable off its thread (`flushAsync`) in
   * step with its checkpoints, so the recovery point trails the log end by about one interval,
   * and recovery validates about that much log.
   */
  checkpoint(full = this.config.flushPolicy === 'batch'): void {
    this.assertOpen();
    if (full) this.flush();
    const recovery = this.recoverySegmentAt(this.durable);
    // Recovery adopts the segments below the recovery segment by their index entries, which
    // the asynchronous flushes leave unsynced (Segment.flushAsync): each such segment is sealed,
    // so this msyncs its index once, at the first checkpoint past it.
    for (const segment of this.segments) {
      if (segment === recovery.segment) break;
      segment.flushIndex();
    }
    writeCheckpoint(this.config.storage, this.dir, {
      recoveryPoint: this.durable,
      recoverySegmentBaseOffset: recovery.segment.baseOffset,
      recoveryBytePosition: recovery.bytePosition,
      logStartOffset: this.logStartOffset,
      logEndOffset: this.logEndOffset,
      activeSegmentBaseOffset: this.active.baseOffset,
      activeBytePosition: this.active.endPosition,
      producers: this.producers.snapshot(),
      transactions: this.txns.snapshot(),
      transactionsEndOffset: this.logEndOffset,
    });
    this.checkpointedRecoveryPoint = this.durable;
  }

  /**
   * The sealed segments the cleaner may rewrite now (segment-cleaner.ts), and the dirty ratio:
   * bytes of those not cleaned since the log opened over bytes of all of them. Only segments
   * wholly below the last checkpoint's recovery point qualify: recovery then adopts them without
   * a scan, and the checkpoint never names a byte position inside one (a swap moves bytes).
   * Nor does any segment at or above the last stable offset: an open transaction's records are
   * neither aborted nor committed yet, so no key's latest value is known there.
   * `rollActive` seals the active segment first (if it holds data) and writes a full checkpoint,
   * so that every record so far can be cleaned: `broker.compact(topic)`.
   */
  cleanPlan(rollActive: boolean): { segments: CleanSegmentSpec[]; dirtyRatio: number } {
    this.assertOpen();
    if (rollActive && this.active.endPosition > 0) {
      this.roll();
      this.checkpoint(true);
    }
    const segments: CleanSegmentSpec[] = [];
    let dirtyBytes = 0;
    let totalBytes = 0;
    for (let i = 0; i < this.segments.length - 1; i += 1) {
      const segment = this.segments[i];
      if (segment.nextOffset > this.checkpointedRecoveryPoint) break;
      // Data of an open transaction is not cleaned: its fate (and so its keys') is open.
      if (segment.nextOffset > this.lastStableOffset) break;
      segments.push({ baseOffset: segment.baseOffset, endPosition: segment.endPosition,
        nextOffset: segment.nextOffset });
      totalBytes += segment.endPosition;
      if (segment.nextOffset > this.cleanedUpToOffset) dirtyBytes += segment.endPosition;
    }
    return { segments, dirtyRatio: totalBytes === 0 ? 0 : dirtyBytes / totalBytes };
  }

  /**
   * Swaps in the cleaner's `.cleaned` files for `cleaned` (clean-swap.ts, steps 2 to 6).
   * Returns false, changing nothing, when the log moved on meanwhile (retention removed a
   * segment, the segments differ) or a cleaned file does not chain: the files are removed and
   * a later round cleans again.
   */
  swapCleaned(cleaned: readonly CleanSegmentSpec[]): boolean {
    this.assertOpen();
    const { storage } = this.config;
    const indexes = cleaned.map((spec) => this.segments.findIndex((segment, i) =>
      i < this.segments.length - 1 && segment.baseOffset === spec.baseOffset &&
      segment.nextOffset === spec.nextOffset && spec.nextOffset <= this.checkpointedRecoveryPoint));
    if (cleaned.length === 0 || indexes.some((index) => index < 0) ||
      !cleaned.every((spec) => cleanedFileChains(storage, this.dir, spec))) {
      removeCleanedFiles(storage, this.dir, cleaned);
      return false;
    }
    const baseOffsets = cleaned.map((spec) => spec.baseOffset);
    writeSwapMarker(storage, this.dir, baseOffsets);
    completeSwap(storage, this.dir, baseOffsets);
    const nowMs = this.config.clockMs();
    for (const index of indexes) {
      const old = this.segments[index];
      const fresh = Segment.open(storage, this.dir, old.baseOffset,
        this.config.indexIntervalBytes, nowMs);
      adoptSegment(fresh, this.segments[index + 1]);
      assert(fresh.nextOffset === old.nextOffset, 'a cleaned segment ends where the old one did');
      this.segments[index] = fresh;
      old.close();
    }
    this.cleanedUpToOffset = Math.max(this.cleanedUpToOffset,
      cleaned[cleaned.length - 1].nextOffset);
    return true;
  }

  /**
   * Records what recovery found (a cleared tail, a repair) in a checkpoint. On a full disk the
   * last checkpoint stays instead: its recovery point lies below what recovery changed, so the
   * next recovery validates from there again and finds the same log. The partition opens.
   */
  private checkpointAfterRecovery(): void {
    try {
      this.checkpoint();
    } catch (error) {
      if (!MambaError.is(error, 'DISK_FULL')) throw error;
      this.config.log(`checkpoint after recovery not written (${error.message}); ` +
        'the previous one stays');
    }
  }

  /** The segment holding `logOffset` and the byte position where that offset's batch starts. */
  private recoverySegmentAt(logOffset: number): { segment: Segment; bytePosition: number } {
    if (logOffset >= this.logEndOffset) {
      return { segment: this.active, bytePosition: this.active.endPosition };
    }
    if (logOffset <= this.logStartOffset) return { segment: this.segments[0], bytePosition: 0 };
    const segment = this.segments[this.segmentIndexOf(logOffset)];
    const position = segment.positionOf(logOffset);
    return { segment, bytePosition: position < 0 ? 0 : position };
  }

  /**
   * Resolves once no next segment is being prepared in the background (at most a few rounds, as
   * appends meanwhile may start another). A log about to be deleted waits for this: a preparation
   * still running would create its file in the directory being removed (ENOTEMPTY).
   */
  async preparationSettled(): Promise<void> {
    for (let round = 0; round < preparationSettleRoundsMax; round++) {
      const preparation = this.preparation;
      if (preparation === undefined || preparation.state() !== 'pending') return;
      await preparation.settled;
    }
  }

  /** Flushes, writes the checkpoint and lets go of the mappings. */
  close(): void {
    if (this.closed) return;
    try {
      this.checkpoint(true);
    } finally {
      // Released even when the checkpoint failed (a full disk): the log is flushed, the last
      // good checkpoint stays, and the caller hears why.
      const preparation = this.preparation;
      if (preparation !== undefined && preparation.state() === 'ready') {
        this.config.storage.unlink(preparation.path);
      }
      this.preparation = undefined;
      this.closed = true;
      for (const segment of this.segments) segment.close();
      this.segments = [];
    }
  }

  /**
   * The last stable offset: the first offset of the earliest open transaction, or the log end
   * (the high watermark) when none is open. Read committed readers stop here.
   */
  get lastStableOffset(): number {
    return this.txns.lastStableOffset(this.logEndOffset);
  }

  /** The partition's transaction state (open transactions, producer epochs). */
  get transactions(): TransactionState {
    return this.txns;
  }

  /** Whether a transactional batch (or a marker) of this producer epoch is fenced. */
  isTransactionFenced(producerId: number, producerEpoch: number): boolean {
    if (this.txns.isFenced(producerId, producerEpoch)) return true;
    const known = this.producers.get(producerId);
    return known !== undefined && producerEpoch < known.producerEpoch;
  }

  /**
   * Appends a transaction marker (a control batch, records/control-record.ts) and closes the
   * producer's open transaction; an abort of an open one is recorded in the aborted index
   * first, durably, so the marker is never on disk without its entry. Not durable on return:
   * the caller flushes. A marker for a producer with no open transaction is appended all the
   * same (a coordinator re-sending after a crash) and records nothing. Throws PRODUCER_FENCED
   * for an older epoch than the partition knows.
   */
  appendMarker(marker: TxnMarker): AppendResult {
    this.assertOpen();
    const { producerId, producerEpoch } = marker;
    if (this.isTransactionFenced(producerId, producerEpoch)) {
      throw new MambaError('PRODUCER_FENCED', `a marker of producer ${producerId} epoch ` +
        `${producerEpoch} is older than epoch ${this.txns.epochOf(producerId)} known here`);
    }
    const firstOffset = this.txns.openFirstOffset(producerId);
    if (!marker.commit && firstOffset >= 0) {
      // The marker takes the next offset unless the append fails, which leaves an entry past
      // the log end: harmless (it names only this producer's aborted batches) and dropped by
      // the next recovery; a retried marker then records its own.
      this.aborted!.add({ producerId, firstOffset, lastOffset: this.logEndOffset });
    }
    const result = this.append(encodeMarkerBatch(marker, this.config.clockMs()));
    this.txns.onMarker(producerId, producerEpoch, marker.commit, result.baseOffset);
    return result;
  }

  /** The aborted transactions overlapping [fromOffset, toOffset), from the writer's memory. */
  abortedTransactions(fromOffset: number, toOffset: number): AbortedTransaction[] {
    return this.aborted?.collect(fromOffset, toOffset) ?? [];
  }

  /** A transactional data batch opens its producer's transaction (markers: `appendMarker`). */
  private trackTransaction(view: DataView, position: number, baseOffset: number): void {
    if (batchIsControl(view, position)) return;
    this.txns.onBatch(batchProducerId(view, position), batchProducerEpoch(view, position),
      baseOffset);
  }

  /**
   * Loads the aborted index and rebuilds the transaction state (transaction-recovery.ts);
   * `recovered`: the log existed (a new one has neither).
   */
  private openTransactions(recovered: boolean): void {
    const { storage } = this.config;
    this.aborted = AbortedIndex.open(storage, this.dir, this.logStartOffset, this.logEndOffset,
      this.config.log);
    if (!recovered) return;
    const read = readCheckpoint(storage, this.dir);
    const checkpoint = 'checkpoint' in read ? read.checkpoint : undefined;
    this.txns = recoverTransactions(this.segments, checkpoint, this.aborted).state;
  }

  sizeBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.endPosition;
    return total;
  }

  stats(): LogStats {
    return {
      segmentCount: this.segments.length, sizeBytes: this.sizeBytes(),
      rollCount: this.rollCount, preparedRollCount: this.preparedRollCount,
    };
  }

  private isTooOld(segment: Segment): boolean {
    return segment.endPosition > 0 &&
      this.config.clockMs() - segment.openedAtMs >= this.config.segmentAgeMs;
  }

  /** Starts a new active segment at the log end, from a prepared file when one is ready. */
  private roll(): Segment {
    const { storage } = this.config;
    let preparedPath: string | undefined;
    const state = this.preparation?.state();
    if (state === 'ready') preparedPath = this.preparation!.path;
    if (state === 'failed' || state === 'ready') this.preparation = undefined;
    const segment = Segment.create(storage, this.dir, this.logEndOffset, this.config,
      this.config.clockMs(), preparedPath);
    // The sealed segment's pages leave this thread's write mapping (madvise DONTNEED on a shared
    // file mapping: dirty pages stay dirty in the page cache and in the file), so the process's
    // resident set does not grow with the log; a read faults them back in from the page cache.
    this.segments.at(-1)?.evict();
    this.segments.push(segment);
    this.directoryDirty = true;
    this.rollCount += 1;
    if (preparedPath !== undefined) this.preparedRollCount += 1;
    return segment;
  }

  private startPreparation(): void {
    this.preparationCount += 1;
    const name = `${this.preparationPrefix}-${this.preparationCount}${PREPARED_SUFFIX}`;
    this.preparation = this.config.storage.prepareFile(nodePath.join(this.dir, name),
      this.config.segmentSizeBytes);
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new MambaError('ILLEGAL_STATE', `partition log ${this.dir} is closed`);
    }
  }
}
