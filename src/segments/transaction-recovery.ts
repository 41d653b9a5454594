/**
 * Rebuilds a partition's transaction state (transaction-state.ts) and completes its aborted
 * index (aborted-index.ts) when its log opens, after recovery.ts settled which batches exist.
 * A header hop over the batches after the point the saved state describes: no CRC (recovery
 * checked them), one look at the record of each control batch.
 *
 * | # | what the checkpoint holds                           | the hop starts at, with state  |
 * | - | --------------------------------------------------- | ------------------------------ |
 * | 1 | transactions as of `transactionsEndOffset` ≤ the    | that offset, the saved state   |
 * |   | recovered log end (the usual case: ~one interval)   |                                |
 * | 2 | no transaction state (written before transactions)  | the recovery point, empty      |
 * | 3 | no usable checkpoint, or state past the recovered   | the log start, empty (the tail |
 * |   | log end (a tail lost in a power cut)                | it described is gone)          |
 *
 * Case 3 scans every segment's headers. A transaction whose first batches retention removed
 * before the scan reopens at its first batch still in the log (Kafka does the same).
 */
import {
  CONTROL_TYPE_ABORT, CONTROL_TYPE_COMMIT, batchBaseOffset, batchIsControl,
  batchIsTransactional, batchProducerEpoch, batchProducerId, batchSizeBytesAt, controlTypeAt,
} from '../records/index.js';
import type { AbortedIndex } from './aborted-index.js';
import type { CheckpointData } from './checkpoint.js';
import type { Segment } from './segment.js';
import { TransactionState } from './transaction-state.js';

export interface TransactionRecovery {
  state: TransactionState;
  /** Where the hop started, and how many batches it looked at. */
  fromOffset: number;
  batchesScanned: number;
}

/** The saved state recovery may start from, and where (the table's cases). */
function startingPoint(checkpoint: CheckpointData | undefined, logStartOffset: number,
  logEndOffset: number): { state: TransactionState; fromOffset: number } {
  if (checkpoint === undefined) return { state: new TransactionState(), fromOffset: 0 };
  const end = checkpoint.transactionsEndOffset ?? -1;
  if (end < 0) {
    const fromOffset = Math.min(checkpoint.recoveryPoint, logEndOffset);
    return { state: new TransactionState(), fromOffset: Math.max(fromOffset, logStartOffset) };
  }
  if (end > logEndOffset || end < logStartOffset) {
    return { state: new TransactionState(), fromOffset: logStartOffset };
  }
  return { state: TransactionState.fromEntries(checkpoint.transactions ?? []), fromOffset: end };
}

export function recoverTransactions(segments: readonly Segment[],
  checkpoint: CheckpointData | undefined, aborted: AbortedIndex): TransactionRecovery {
  const logStartOffset = segments[0].baseOffset;
  const logEndOffset = segments[segments.length - 1].nextOffset;
  const { state, fromOffset } = startingPoint(checkpoint, logStartOffset, logEndOffset);
  let batchesScanned = 0;
  for (const segment of segments) {
    if (segment.nextOffset <= fromOffset) continue;
    let position = segment.baseOffset >= fromOffset ? 0 : segment.positionOf(fromOffset);
    if (position < 0) continue;
    const { bytes, view } = segment;
    while (position < segment.endPosition) {
      const baseOffset = batchBaseOffset(view, position);
      if (baseOffset >= fromOffset && batchIsTransactional(view, position)) {
        applyBatch(state, aborted, bytes, view, position, baseOffset);
      }
      batchesScanned++;
      position += batchSizeBytesAt(view, position);
    }
  }
  return { state, fromOffset, batchesScanned };
}

function applyBatch(state: TransactionState, aborted: AbortedIndex, bytes: Uint8Array,
  view: DataView, position: number, baseOffset: number): void {
  const producerId = batchProducerId(view, position);
  const producerEpoch = batchProducerEpoch(view, position);
  if (producerId < 0) return;
  if (!batchIsControl(view, position)) {
    state.onBatch(producerId, producerEpoch, baseOffset);
    return;
  }
  const type = controlTypeAt(bytes, position);
  if (type !== CONTROL_TYPE_ABORT && type !== CONTROL_TYPE_COMMIT) return;
  const abort = state.onMarker(producerId, producerEpoch, type === CONTROL_TYPE_COMMIT,
    baseOffset);
  if (abort !== undefined) aborted.add(abort);
}
