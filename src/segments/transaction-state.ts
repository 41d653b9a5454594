/**
 * The transactions of one partition as its log sees them (Kafka's transactional producer
 * state): per producer id, the newest epoch the partition knows from a transactional batch or
 * a marker (for fencing), and the first offset of its open transaction, if one is open.
 *
 * | event                                   | what changes                                     |
 * | --------------------------------------- | ------------------------------------------------ |
 * | transactional batch, no open txn        | a transaction opens at the batch's base offset   |
 * | transactional batch, txn open           | nothing (the first offset stays)                 |
 * | marker (commit or abort)                | the open transaction (if any) closes; the epoch  |
 * |                                         | becomes the marker's; an abort of an open one    |
 * |                                         | yields (producerId, firstOffset, markerOffset)   |
 * | marker with an older epoch than known   | refused: PRODUCER_FENCED (the caller checks)     |
 *
 * The last stable offset is the smallest first offset of the open transactions, or the high
 * watermark when none is open. It never moves back: a transaction opens at an offset at or
 * above the high watermark, which is at or above the last stable offset.
 *
 * Every method is idempotent for an event already applied (recovery may replay batches the
 * checkpoint already counted): an open transaction is never reopened at a later offset, and
 * `validUpTo` tells the replay where the saved state ends.
 */
import { assert } from '../assert.js';

export interface TransactionEntry {
  producerId: number;
  producerEpoch: number;
  /** The first offset of the producer's open transaction, or -1 when none is open. */
  firstOffset: number;
}

/** An aborted transaction: a read_committed reader skips the producer's batches in it. */
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
  /** The offset of the abort marker. */
  lastOffset: number;
}

export class TransactionState {
  private readonly entries = new Map<number, TransactionEntry>();
  private openCount = 0;

  /** Open transactions right now. */
  get open(): number {
    return this.openCount;
  }

  /** The newest epoch known for `producerId` from transactions, or -1. */
  epochOf(producerId: number): number {
    return this.entries.get(producerId)?.producerEpoch ?? -1;
  }

  /** Whether a batch or marker of this epoch is fenced by a newer one. */
  isFenced(producerId: number, producerEpoch: number): boolean {
    return producerEpoch < this.epochOf(producerId);
  }

  /** A transactional batch at `baseOffset` was appended. */
  onBatch(producerId: number, producerEpoch: number, baseOffset: number): void {
    assert(producerId >= 0, 'a transactional batch has a producer id');
    const entry = this.entries.get(producerId);
    if (entry === undefined) {
      this.entries.set(producerId, { producerId, producerEpoch, firstOffset: baseOffset });
      this.openCount++;
      return;
    }
    entry.producerEpoch = Math.max(entry.producerEpoch, producerEpoch);
    if (entry.firstOffset < 0) {
      entry.firstOffset = baseOffset;
      this.openCount++;
    }
  }

  /**
   * A marker at `markerOffset` was appended; returns the aborted transaction it closes, if it
   * is an abort of an open one.
   */
  onMarker(producerId: number, producerEpoch: number, commit: boolean, markerOffset: number):
    AbortedTransaction | undefined {
    const entry = this.entries.get(producerId);
    if (entry === undefined) {
      this.entries.set(producerId, { producerId, producerEpoch, firstOffset: -1 });
      return undefined;
    }
    entry.producerEpoch = Math.max(entry.producerEpoch, producerEpoch);
    if (entry.firstOffset < 0 || entry.firstOffset > markerOffset) return undefined;
    const firstOffset = entry.firstOffset;
    entry.firstOffset = -1;
    this.openCount--;
    return commit ? undefined : { producerId, firstOffset, lastOffset: markerOffset };
  }

  /** The first offset of the earliest open transaction, or `highWatermark` when none is open. */
  lastStableOffset(highWatermark: number): number {
    if (this.openCount === 0) return highWatermark;
    let lso = highWatermark;
    for (const entry of this.entries.values()) {
      if (entry.firstOffset >= 0 && entry.firstOffset < lso) lso = entry.firstOffset;
    }
    return lso;
  }

  /** The first offset of `producerId`'s open transaction, or -1. */
  openFirstOffset(producerId: number): number {
    return this.entries.get(producerId)?.firstOffset ?? -1;
  }

  /** Every entry, ordered by producer id (for the checkpoint). */
  snapshot(): TransactionEntry[] {
    return [...this.entries.values()].map((entry) => ({ ...entry }))
      .sort((a, b) => a.producerId - b.producerId);
  }

  static fromEntries(entries: readonly TransactionEntry[]): TransactionState {
    const state = new TransactionState();
    for (const entry of entries) {
      state.entries.set(entry.producerId, { ...entry });
      if (entry.firstOffset >= 0) state.openCount++;
    }
    return state;
  }
}
