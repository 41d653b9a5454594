/**
 * What the harness knows was sent and acknowledged, built only from the reports that reached
 * it: a broker process that is SIGKILLed takes its unreported acks with it, and those records
 * count as sent-but-unknown (they may or may not be stored; neither is a violation).
 *
 * Durability: a record acknowledged with `acks: 1` is in the page cache, which survives a
 * worker or process crash but not a power cut; only offsets below the partition's published
 * durable offset are on disk. The ledger keeps the highest durable offset reported per slot,
 * and when a power cut ends a broker process (`torn`), freezes it for that process's producers:
 * their records at or above it may be lost without a violation.
 */
import { assert } from '../../assert.js';
import { ACK_FIELDS, ACK_OFFSET, ACK_SEQUENCE, ACK_SLOT, type AckReport } from './messages.js';
import { SequenceTable } from './sequence-table.js';

export interface ProducerLedger {
  producerId: number;
  /** Which broker process (from 0) ran this producer. */
  incarnation: number;
  sentCount: number;
  failedCount: number;
  ackedCount: number;
  acks: SequenceTable;
}

export class AckLedger {
  readonly producers = new Map<number, ProducerLedger>();
  /** Highest durable offset reported per slot, over the whole run. */
  readonly durableOffsets: Float64Array;
  /** For each broker process ended by a power cut: the durable offsets known at the cut. */
  private readonly powerCutDurable = new Map<number, Float64Array>();
  readonly errors: Record<string, number> = {};
  ackedCount = 0;
  /** Acks reported twice for the same record (a broker fault, reported by the checker). */
  duplicateAckCount = 0;

  constructor(readonly slotCount: number, readonly acks: 1 | 'all') {
    this.durableOffsets = new Float64Array(slotCount);
  }

  registerProducers(producerIdBase: number, count: number, incarnation: number): void {
    for (let i = 0; i < count; i++) {
      const producerId = producerIdBase + i;
      assert(!this.producers.has(producerId), `producer id ${producerId} is new`);
      this.producers.set(producerId, {
        producerId, incarnation, sentCount: 0, failedCount: 0, ackedCount: 0,
        acks: new SequenceTable(),
      });
    }
  }

  addReport(report: AckReport): void {
    const producer = this.producers.get(report.producerId);
    assert(producer !== undefined, `report from registered producer ${report.producerId}`);
    producer.sentCount = Math.max(producer.sentCount, report.sentCount);
    producer.failedCount = Math.max(producer.failedCount, report.failedCount);
    for (const [code, count] of Object.entries(report.errors)) {
      this.errors[code] = (this.errors[code] ?? 0) + count;
    }
    const { acks } = report;
    for (let at = 0; at < acks.length; at += ACK_FIELDS) {
      const seen = producer.acks.record(acks[at + ACK_SEQUENCE], acks[at + ACK_SLOT],
        acks[at + ACK_OFFSET]);
      if (seen === 1) {
        this.ackedCount++;
        producer.ackedCount++;
      } else {
        this.duplicateAckCount++;
      }
    }
  }

  observeDurable(durableOffsets: readonly number[]): void {
    assert(durableOffsets.length === this.slotCount, 'one durable offset per slot');
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (durableOffsets[slot] > this.durableOffsets[slot]) {
        this.durableOffsets[slot] = durableOffsets[slot];
      }
    }
  }

  /** Broker process `incarnation` lost power: freeze what was known durable at that moment. */
  powerCut(incarnation: number): void {
    this.powerCutDurable.set(incarnation, this.durableOffsets.slice());
  }

  /**
   * Whether an acknowledged record may be missing without breaking a promise: only with
   * `acks: 1`, after a power cut of its broker process, at or above the durable offset then.
   */
  mayBeLost(producer: ProducerLedger, slot: number, offset: number): boolean {
    if (this.acks === 'all') return false;
    const durable = this.powerCutDurable.get(producer.incarnation);
    return durable !== undefined && offset >= durable[slot];
  }

  /** Records the producers of broker process `incarnation` sent and are still waiting on. */
  lag(incarnation: number): number {
    let total = 0;
    for (const p of this.producers.values()) {
      if (p.incarnation === incarnation) total += p.sentCount - p.failedCount - p.ackedCount;
    }
    return Math.max(0, total);
  }

  get sentCount(): number {
    let total = 0;
    for (const producer of this.producers.values()) total += producer.sentCount;
    return total;
  }

  get failedCount(): number {
    let total = 0;
    for (const producer of this.producers.values()) total += producer.failedCount;
    return total;
  }
}
