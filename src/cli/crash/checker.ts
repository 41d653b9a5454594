/**
 * The checker, in the style of Jepsen's queue checkers: it compares what the harness knows was
 * sent and acknowledged (ack-ledger.ts) with what a record source reads back, and classifies,
 * per topic-partition:
 *
 * | outcome            | meaning                                                   | verdict   |
 * | ------------------ | --------------------------------------------------------- | --------- |
 * | lost               | acknowledged, not stored, and its ack promised it durable | violation |
 * | lostUnflushed      | acknowledged with acks 1, not stored, above the durable   | allowed   |
 * |                    | offset known when its broker process lost power            |           |
 * | duplicated         | one (producer, sequence) stored more than once             | violation |
 * | reordered          | a producer's sequence goes backwards along the offsets     | violation |
 * | unexpected         | not a record the harness sent (checksum, run, producer,    | violation |
 * |                    | or sent to another partition)                              |           |
 * | misplaced          | stored at another offset than the one acknowledged         | violation |
 * | offsetGaps         | offsets not dense from the log start (invariant 1)          | violation |
 * | unacknowledgedFound| sent, no ack reached the harness, stored (indeterminate)   | fine      |
 */
import type { AckLedger } from './ack-ledger.js';
import { decodeIdentity, valueProblem } from './record-value.js';
import type { RecordSource, WorkloadLayout } from './record-source.js';
import { SequenceTable } from './sequence-table.js';

export interface PartitionVerdict {
  topic: string;
  partition: number;
  stored: number;
  acknowledged: number;
  lost: number;
  lostUnflushed: number;
  duplicated: number;
  reordered: number;
  unexpected: number;
  misplaced: number;
  offsetGaps: number;
  unacknowledgedFound: number;
}

export type ViolationKind = 'lost' | 'duplicated' | 'reordered' | 'unexpected' | 'misplaced' |
  'offsetGaps';
export const VIOLATION_KINDS: readonly ViolationKind[] =
  ['lost', 'duplicated', 'reordered', 'unexpected', 'misplaced', 'offsetGaps'];

export interface CheckResult {
  source: string;
  partitions: PartitionVerdict[];
  totals: Omit<PartitionVerdict, 'topic' | 'partition'>;
  violationCount: number;
  /** The first few violations, spelled out, for the report. */
  examples: string[];
}

const examplesMax = 20;

/** `runId`: the run whose records are expected (record-value.ts). */
export async function checkRecords(ledger: AckLedger, source: RecordSource,
  layout: WorkloadLayout, runId: number): Promise<CheckResult> {
  const verdicts = layout.topicNames.flatMap((topic) =>
    Array.from({ length: layout.partitions }, (_, partition) => emptyVerdict(topic, partition)));
  const examples: string[] = [];
  const note = (line: string) => {
    if (examples.length < examplesMax) examples.push(line);
  };
  const stored = new Map<number, SequenceTable>();
  for (const producerId of ledger.producers.keys()) stored.set(producerId, new SequenceTable());
  const lastSequence = new Map<number, number>(); // key: slot × 2^32 + producerId
  const nextOffset = new Float64Array(verdicts.length).fill(Number.NaN);
  await source.readAll(layout, (slot, offset, value) => {
    const verdict = verdicts[slot];
    verdict.stored++;
    if (!Number.isNaN(nextOffset[slot]) && offset !== nextOffset[slot]) {
      verdict.offsetGaps++;
      note(`${name(verdict)}: offset ${offset} follows ${nextOffset[slot] - 1}`);
    }
    nextOffset[slot] = offset + 1;
    const problem = valueProblem(value, runId);
    const identity = problem === undefined ? decodeIdentity(value!) : undefined;
    const table = identity === undefined ? undefined : stored.get(identity.producerId);
    const sentHere = identity !== undefined &&
      identity.topicIndex * layout.partitions + identity.partition === slot;
    if (identity === undefined || table === undefined || !sentHere) {
      verdict.unexpected++;
      note(`${name(verdict)}: unexpected record at offset ${offset} ` +
        `(${problem ?? (table === undefined ? 'unknown producer' : 'sent to another partition')})`);
      return;
    }
    if (table.record(identity.sequence, slot, offset) > 1) {
      verdict.duplicated++;
      note(`${name(verdict)}: producer ${identity.producerId} sequence ${identity.sequence} ` +
        `again at offset ${offset} (first at ${table.offsets[identity.sequence]})`);
    }
    const key = slot * 2 ** 32 + identity.producerId;
    const last = lastSequence.get(key) ?? -1;
    if (identity.sequence < last) {
      verdict.reordered++;
      note(`${name(verdict)}: producer ${identity.producerId} sequence ${identity.sequence} ` +
        `at offset ${offset} after sequence ${last}`);
    } else {
      lastSequence.set(key, identity.sequence);
    }
  });
  compareAcks(ledger, stored, verdicts, note);
  return summarize(source.name, verdicts, examples);
}

/** Every acknowledged record: stored at the acknowledged offset, or lost (allowed or not). */
function compareAcks(ledger: AckLedger, stored: Map<number, SequenceTable>,
  verdicts: PartitionVerdict[], note: (line: string) => void): void {
  for (const producer of ledger.producers.values()) {
    const found = stored.get(producer.producerId)!;
    const { acks } = producer;
    const end = Math.max(acks.length, found.length);
    for (let sequence = 0; sequence < end; sequence++) {
      if (sequence >= acks.length || acks.counts[sequence] === 0) {
        if (sequence < found.length && found.counts[sequence] > 0) {
          verdicts[found.slots[sequence]].unacknowledgedFound++;
        }
        continue;
      }
      const slot = acks.slots[sequence];
      const offset = acks.offsets[sequence];
      const verdict = verdicts[slot];
      verdict.acknowledged++;
      if (sequence >= found.length || found.counts[sequence] === 0) {
        if (ledger.mayBeLost(producer, slot, offset)) {
          verdict.lostUnflushed++;
        } else {
          verdict.lost++;
          note(`${name(verdict)}: producer ${producer.producerId} sequence ${sequence}, ` +
            `acknowledged at offset ${offset}, is lost`);
        }
      } else if (found.offsets[sequence] !== offset || found.slots[sequence] !== slot) {
        verdict.misplaced++;
        note(`${name(verdict)}: producer ${producer.producerId} sequence ${sequence} ` +
          `acknowledged at offset ${offset}, stored at ${found.offsets[sequence]}`);
      }
    }
  }
}

function summarize(source: string, verdicts: PartitionVerdict[],
  examples: string[]): CheckResult {
  const totals = emptyVerdict('', 0);
  for (const verdict of verdicts) {
    for (const key of Object.keys(totals) as Array<keyof PartitionVerdict>) {
      if (key !== 'topic' && key !== 'partition') totals[key] += verdict[key];
    }
  }
  const { topic: _topic, partition: _partition, ...sums } = totals;
  const violationCount = VIOLATION_KINDS.reduce((sum, kind) => sum + sums[kind], 0);
  return { source, partitions: verdicts, totals: sums, violationCount, examples };
}

function emptyVerdict(topic: string, partition: number): PartitionVerdict {
  return {
    topic, partition, stored: 0, acknowledged: 0, lost: 0, lostUnflushed: 0, duplicated: 0,
    reordered: 0, unexpected: 0, misplaced: 0, offsetGaps: 0, unacknowledgedFound: 0,
  };
}

function name(verdict: PartitionVerdict): string {
  return `${verdict.topic}-${verdict.partition}`;
}
