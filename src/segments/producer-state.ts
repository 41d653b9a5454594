/**
 * The idempotent-producer table of one partition (Kafka's idempotent producer, invariant 6):
 * per producer id, its epoch and its last appended batch. A batch retried after a crash or a
 * lost ack arrives with the same (producerId, epoch, baseSequence) and is answered as a
 * duplicate with its original offsets instead of being appended twice.
 *
 * Rules for a batch (producerId, epoch, baseSequence, recordCount) — `check` decides, `update`
 * records an appended batch:
 *
 * | known producer? | epoch vs known | sequence                          | answer               |
 * | --------------- | -------------- | --------------------------------- | -------------------- |
 * | no              | any            | any                               | append (first batch) |
 * | yes             | older          | any                               | PRODUCER_FENCED      |
 * | yes             | newer          | 0                                 | append (new epoch)   |
 * | yes             | newer          | not 0                             | OUT_OF_ORDER_SEQUENCE|
 * | yes             | same           | last sequence + 1                 | append               |
 * | yes             | same           | equals the last batch's sequences | duplicate            |
 * | yes             | same           | anything else                     | OUT_OF_ORDER_SEQUENCE|
 *
 * "Equals the last batch's sequences" means: equals one of the producer's last
 * `producerBatchWindow` batches (Kafka keeps five). A producer may have that many batches in
 * flight per partition (the client caps it), and after an actor crash all of them can be
 * replayed from the ring; each is recognised and answered with its original offsets.
 *
 * Sequences are int32 and wrap from 2^31 - 1 to 0, as in Kafka. The checkpoint holds only each
 * producer's last batch; the window is rebuilt by recovery from the batches after the recovery
 * point, and the actor writes checkpoints only when no frame it read is still unreleased, so a
 * replayed batch is always within what recovery rebuilds. A producer unknown to the table (for
 * example after retention removed all its batches) may start at any sequence.
 */
import { assert } from '../assert.js';
import { inFlightBatchesPerPartitionMax } from '../constants.js';

/** How many recent batches per producer are remembered for recognising replays. */
export const producerBatchWindow = inFlightBatchesPerPartitionMax;

export interface ProducerEntry {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastBaseOffset: number;
  lastOffsetDelta: number;
}

export type ProducerCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly baseOffset: number; readonly lastOffset: number }
  | { readonly kind: 'error'; readonly code: 'OUT_OF_ORDER_SEQUENCE' | 'PRODUCER_FENCED' };

const APPEND: ProducerCheck = Object.freeze({ kind: 'append' });
const OUT_OF_ORDER: ProducerCheck = Object.freeze({
  kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE',
});
const FENCED: ProducerCheck = Object.freeze({ kind: 'error', code: 'PRODUCER_FENCED' });

const sequenceMax = 0x7fff_ffff;

function nextSequence(sequence: number, count: number): number {
  return (sequence + count) % (sequenceMax + 1);
}

interface RecentBatch {
  baseSequence: number;
  lastOffsetDelta: number;
  baseOffset: number;
}

interface ProducerHistory {
  producerEpoch: number;
  /** Oldest first; at most `producerBatchWindow`. */
  batches: RecentBatch[];
}

export class ProducerState {
  private readonly histories = new Map<number, ProducerHistory>();

  get size(): number {
    return this.histories.size;
  }

  /** The producer's last appended batch, in checkpoint form. */
  get(producerId: number): ProducerEntry | undefined {
    const history = this.histories.get(producerId);
    return history === undefined ? undefined : toEntry(producerId, history);
  }

  /** Decides what to do with a batch; allocates only for a duplicate. */
  check(
    producerId: number, producerEpoch: number, baseSequence: number, recordCount: number,
  ): ProducerCheck {
    if (producerId < 0) return APPEND;
    const history = this.histories.get(producerId);
    if (history === undefined) return APPEND;
    if (producerEpoch < history.producerEpoch) return FENCED;
    if (producerEpoch > history.producerEpoch) return baseSequence === 0 ? APPEND : OUT_OF_ORDER;
    const last = history.batches[history.batches.length - 1];
    const lastSequence = nextSequence(last.baseSequence, last.lastOffsetDelta);
    if (baseSequence === nextSequence(lastSequence, 1)) return APPEND;
    for (let i = history.batches.length - 1; i >= 0; i -= 1) {
      const batch = history.batches[i];
      if (batch.baseSequence === baseSequence && batch.lastOffsetDelta === recordCount - 1) {
        return {
          kind: 'duplicate',
          baseOffset: batch.baseOffset,
          lastOffset: batch.baseOffset + batch.lastOffsetDelta,
        };
      }
    }
    return OUT_OF_ORDER;
  }

  /** Records an appended batch. Idempotent for a batch already recorded (recovery replays). */
  update(
    producerId: number, producerEpoch: number, baseSequence: number, lastOffsetDelta: number,
    baseOffset: number,
  ): void {
    // A control batch (a transaction marker, base sequence -1) is no step in the producer's
    // sequence: the producer's next batch continues from its last data batch.
    if (producerId < 0 || baseSequence < 0) return;
    assert(lastOffsetDelta >= 0, 'a batch takes at least one offset');
    let history = this.histories.get(producerId);
    if (history === undefined || producerEpoch > history.producerEpoch) {
      history = { producerEpoch, batches: [] };
      this.histories.set(producerId, history);
    }
    const last = history.batches[history.batches.length - 1];
    if (last !== undefined && last.baseOffset >= baseOffset) return;
    history.batches.push({ baseSequence, lastOffsetDelta, baseOffset });
    if (history.batches.length > producerBatchWindow) history.batches.shift();
  }

  /** Each producer's last batch, ordered by producer id (for the checkpoint). */
  snapshot(): ProducerEntry[] {
    return [...this.histories]
      .map(([producerId, history]) => toEntry(producerId, history))
      .sort((a, b) => a.producerId - b.producerId);
  }

  static fromEntries(entries: readonly ProducerEntry[]): ProducerState {
    const state = new ProducerState();
    for (const entry of entries) {
      state.update(entry.producerId, entry.producerEpoch,
        nextSequence(entry.lastSequence, sequenceMax + 1 - entry.lastOffsetDelta),
        entry.lastOffsetDelta, entry.lastBaseOffset);
    }
    return state;
  }
}

function toEntry(producerId: number, history: ProducerHistory): ProducerEntry {
  const last = history.batches[history.batches.length - 1];
  return {
    producerId,
    producerEpoch: history.producerEpoch,
    lastSequence: nextSequence(last.baseSequence, last.lastOffsetDelta),
    lastBaseOffset: last.baseOffset,
    lastOffsetDelta: last.lastOffsetDelta,
  };
}
