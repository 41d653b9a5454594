/**
 * What the live consumer group reported it consumed, built from the reports that reached the
 * harness, and the checker of that stream against the acknowledgements (ack-ledger.ts).
 *
 * Delivery is at-least-once across crashes and rebalances: a record may be delivered again
 * (a redelivery, counted and allowed), but, once the group has drained after the last phase:
 *
 * | outcome             | meaning                                                  | verdict   |
 * | ------------------- | -------------------------------------------------------- | --------- |
 * | unconsumed          | acknowledged, never delivered to any member               | violation |
 * | lostUnflushed       | acknowledged with acks 1, lost by a power cut before any  | allowed   |
 * |                     | member read it (the log checker's allowance)              |           |
 * | skippedAfterPowerCut| acknowledged after a power cut at an offset below the      | violation |
 * |                     | group's commit from before the cut; never delivered       |           |
 * | unexpected          | delivered, not a record this run sent (or sent elsewhere) | violation |
 * | outOfOrder          | within one member's continuous hold of a partition, not   | violation |
 * |                     | the offset after the previous delivery                    |           |
 * | misplaced           | delivered at another offset than the one acknowledged     | violation |
 * | redelivered         | delivered more than once                                  | allowed   |
 *
 * Records are keyed by (producer, sequence), not by (partition, offset): after a power cut a
 * new broker process may write another record at an offset a member already consumed.
 */
import type { AckLedger } from './ack-ledger.js';
import {
  CONSUMED_EPOCH, CONSUMED_FIELDS, CONSUMED_OFFSET, CONSUMED_PRODUCER_ID, CONSUMED_SENT_SLOT,
  CONSUMED_SEQUENCE, CONSUMED_SLOT, type ConsumedReport,
} from './messages.js';
import { SequenceTable } from './sequence-table.js';

export interface ConsumptionCheck {
  /** Members run over the whole test (every broker process starts its own). */
  members: number;
  /** Deliveries, redeliveries included. */
  consumed: number;
  /** Distinct records of this run delivered. */
  unique: number;
  redelivered: number;
  acknowledged: number;
  unconsumed: number;
  lostUnflushed: number;
  skippedAfterPowerCut: number;
  unexpected: number;
  outOfOrder: number;
  misplaced: number;
  /** Delivered, sent, but no ack reached the harness (indeterminate sends): fine. */
  unacknowledgedConsumed: number;
  /** Broker processes × partitions that opened with the group's commit past the log end. */
  staleCommits: number;
  /** Partitions assigned to and revoked from members, as the members saw it. */
  assignments: number;
  revocations: number;
  violationCount: number;
  examples: string[];
}

export type ConsumptionViolation = 'unconsumed' | 'skippedAfterPowerCut' | 'unexpected' |
  'outOfOrder' | 'misplaced';
export const CONSUMPTION_VIOLATIONS: readonly ConsumptionViolation[] =
  ['unconsumed', 'skippedAfterPowerCut', 'unexpected', 'outOfOrder', 'misplaced'];

/**
 * After a power cut the group's committed offset of a slot may lie past the recovered log end:
 * records written again at offsets in [`fromOffset`, `toOffset`) by broker process
 * `incarnation` or a later one are passed over by a member that resumes from that commit.
 */
interface StaleCommit {
  incarnation: number;
  slot: number;
  fromOffset: number;
  toOffset: number;
}

const examplesMax = 20;

export class ConsumptionLedger {
  /** Per producer id: where each sequence was first delivered, and how many times. */
  readonly delivered = new Map<number, SequenceTable>();
  private readonly members = new Set<number>();
  /** Per (member, slot): the epoch and offset of the member's last delivery there. */
  private readonly lastDelivery = new Map<number, { epoch: number; offset: number }>();
  readonly staleCommits: StaleCommit[] = [];
  consumed = 0;
  unexpected = 0;
  outOfOrder = 0;
  assignments = 0;
  revocations = 0;
  readonly examples: string[] = [];

  constructor(private readonly acks: AckLedger, private readonly slotName: (slot: number) =>
    string) {}

  get memberCount(): number {
    return this.members.size;
  }

  addReport(report: ConsumedReport): void {
    this.members.add(report.memberId);
    this.assignments += report.assignedCount;
    this.revocations += report.revokedCount;
    const { records } = report;
    for (let at = 0; at < records.length; at += CONSUMED_FIELDS) {
      this.consumed++;
      const slot = records[at + CONSUMED_SLOT];
      const offset = records[at + CONSUMED_OFFSET];
      this.checkOrder(report.memberId, slot, offset, records[at + CONSUMED_EPOCH]);
      const producerId = records[at + CONSUMED_PRODUCER_ID];
      const sentSlot = records[at + CONSUMED_SENT_SLOT];
      if (producerId < 0 || !this.acks.producers.has(producerId) || sentSlot !== slot) {
        this.unexpected++;
        this.note(`${this.slotName(slot)}: unexpected record consumed at offset ${offset} ` +
          `(${producerId < 0 ? 'not a record of this run' : sentSlot !== slot
            ? 'sent to another partition' : `unknown producer ${producerId}`})`);
        continue;
      }
      let table = this.delivered.get(producerId);
      if (table === undefined) this.delivered.set(producerId, table = new SequenceTable());
      table.record(records[at + CONSUMED_SEQUENCE], slot, offset);
    }
  }

  /** A broker process opened with the group's commit of `slot` past the recovered log end. */
  addStaleCommit(incarnation: number, slot: number, highWatermark: number, committed: number):
    void {
    if (committed > highWatermark) {
      this.staleCommits.push({ incarnation, slot, fromOffset: highWatermark, toOffset: committed });
    }
  }

  note(line: string): void {
    if (this.examples.length < examplesMax) this.examples.push(line);
  }

  private checkOrder(memberId: number, slot: number, offset: number, epoch: number): void {
    const key = memberId * this.acks.slotCount + slot;
    const last = this.lastDelivery.get(key);
    if (last !== undefined && last.epoch === epoch && offset !== last.offset + 1) {
      this.outOfOrder++;
      this.note(`${this.slotName(slot)}: member ${memberId} consumed offset ${offset} ` +
        `right after ${last.offset}`);
    }
    if (last === undefined) this.lastDelivery.set(key, { epoch, offset });
    else {
      last.epoch = epoch;
      last.offset = offset;
    }
  }

  private staleCommitCovers(incarnation: number, slot: number, offset: number): boolean {
    return this.staleCommits.some((s) => s.slot === slot && s.incarnation <= incarnation &&
      offset >= s.fromOffset && offset < s.toOffset);
  }

  /** The verdict over everything reported; call once the group has drained. */
  check(): ConsumptionCheck {
    const result: ConsumptionCheck = {
      members: this.members.size, consumed: this.consumed, unique: 0, redelivered: 0,
      acknowledged: 0, unconsumed: 0, lostUnflushed: 0, skippedAfterPowerCut: 0,
      unexpected: this.unexpected, outOfOrder: this.outOfOrder, misplaced: 0,
      unacknowledgedConsumed: 0, staleCommits: this.staleCommits.length,
      assignments: this.assignments, revocations: this.revocations,
      violationCount: 0, examples: this.examples,
    };
    for (const producer of this.acks.producers.values()) {
      const found = this.delivered.get(producer.producerId) ?? new SequenceTable();
      const { acks } = producer;
      const end = Math.max(acks.length, found.length);
      for (let sequence = 0; sequence < end; sequence++) {
        const deliveries = sequence < found.length ? found.counts[sequence] : 0;
        if (deliveries > 0) result.unique++;
        const acked = sequence < acks.length && acks.counts[sequence] > 0;
        if (!acked) {
          if (deliveries > 0) result.unacknowledgedConsumed++;
          continue;
        }
        result.acknowledged++;
        const slot = acks.slots[sequence];
        const offset = acks.offsets[sequence];
        if (deliveries > 0) {
          if (found.slots[sequence] !== slot || found.offsets[sequence] !== offset) {
            result.misplaced++;
            this.note(`${this.slotName(slot)}: producer ${producer.producerId} sequence ` +
              `${sequence} acknowledged at offset ${offset}, consumed at ` +
              `${this.slotName(found.slots[sequence])} offset ${found.offsets[sequence]}`);
          }
        } else if (this.acks.mayBeLost(producer, slot, offset)) {
          result.lostUnflushed++;
        } else if (this.staleCommitCovers(producer.incarnation, slot, offset)) {
          result.skippedAfterPowerCut++;
          this.note(`${this.slotName(slot)}: producer ${producer.producerId} sequence ` +
            `${sequence} at offset ${offset} written after a power cut below the group's ` +
            'earlier commit, never consumed');
        } else {
          result.unconsumed++;
          this.note(`${this.slotName(slot)}: producer ${producer.producerId} sequence ` +
            `${sequence}, acknowledged at offset ${offset}, never consumed`);
        }
      }
    }
    result.redelivered = this.consumed - this.unexpected - result.unique;
    result.violationCount = CONSUMPTION_VIOLATIONS.reduce((sum, kind) => sum + result[kind], 0);
    return result;
  }
}
