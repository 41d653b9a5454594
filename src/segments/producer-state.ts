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
 * Sequences are int32 and wrap from 2^31 - 1 to 0, as in Kafka. Only the last batch is kept per
 * producer (Kafka keeps five), so a producer has at most one batch in flight per partition
 * whose retry can be recognised; the client enforces that. A producer unknown to the table (for
 * example after retention removed all its batches) may start at any sequence.
 */
import { assert } from '../assert.js';

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

export class ProducerState {
  private readonly entries = new Map<number, ProducerEntry>();

  get size(): number {
    return this.entries.size;
  }

  get(producerId: number): ProducerEntry | undefined {
    return this.entries.get(producerId);
  }

  /** Decides what to do with a batch; allocates only for a duplicate. */
  check(
    producerId: number, producerEpoch: number, baseSequence: number, recordCount: number,
  ): ProducerCheck {
    if (producerId < 0) return APPEND;
    const entry = this.entries.get(producerId);
    if (entry === undefined) return APPEND;
    if (producerEpoch < entry.producerEpoch) return FENCED;
    if (producerEpoch > entry.producerEpoch) return baseSequence === 0 ? APPEND : OUT_OF_ORDER;
    if (baseSequence === nextSequence(entry.lastSequence, 1)) return APPEND;
    const lastBaseSequence =
      nextSequence(entry.lastSequence, sequenceMax + 1 - entry.lastOffsetDelta);
    if (baseSequence === lastBaseSequence && recordCount - 1 === entry.lastOffsetDelta) {
      return {
        kind: 'duplicate',
        baseOffset: entry.lastBaseOffset,
        lastOffset: entry.lastBaseOffset + entry.lastOffsetDelta,
      };
    }
    return OUT_OF_ORDER;
  }

  /** Records an appended batch. Idempotent for a batch already recorded (recovery replays). */
  update(
    producerId: number, producerEpoch: number, baseSequence: number, lastOffsetDelta: number,
    baseOffset: number,
  ): void {
    if (producerId < 0) return;
    assert(lastOffsetDelta >= 0, 'a batch takes at least one offset');
    const entry = this.entries.get(producerId);
    if (entry !== undefined && entry.lastBaseOffset >= baseOffset) return;
    this.entries.set(producerId, {
      producerId,
      producerEpoch,
      lastSequence: nextSequence(baseSequence, lastOffsetDelta),
      lastBaseOffset: baseOffset,
      lastOffsetDelta,
    });
  }

  /** A copy of every entry, ordered by producer id (for the checkpoint). */
  snapshot(): ProducerEntry[] {
    return [...this.entries.values()]
      .map((entry) => ({ ...entry }))
      .sort((a, b) => a.producerId - b.producerId);
  }

  static fromEntries(entries: readonly ProducerEntry[]): ProducerState {
    const state = new ProducerState();
    for (const entry of entries) state.entries.set(entry.producerId, { ...entry });
    return state;
  }
}
