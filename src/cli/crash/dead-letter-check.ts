/**
 * The checker of the crash test's dead letters (`--dead-letters`): once the run is over, a
 * fresh consumer group reads every `<topic>.DLQ` and the letters are compared with what the
 * harness knows was acknowledged (ack-ledger.ts) and which records fail always
 * (dead-letter-load.ts). A letter names its record twice: by its value (the record's own
 * value, with producer id and sequence) and by its `mamba.dlq.original.*` headers. Per letter
 * or acknowledged failing record:
 *
 * | outcome     | meaning                                                          | verdict   |
 * | ----------- | ---------------------------------------------------------------- | --------- |
 * | missing     | acknowledged, fails always, no letter (and not a record a power  | violation |
 * |             | cut was allowed to lose)                                         |           |
 * | twice       | one record dead-lettered more than once                          | violation |
 * | wrong       | a letter for a record whose handler does not fail                | violation |
 * | misplaced   | the original headers name another topic, partition or offset     | violation |
 * |             | than the one the record was sent to and acknowledged at          |           |
 * | unexpected  | a letter whose value is not a record of this run                 | violation |
 * | lostUnflushed | acknowledged with acks 1, lost by a power cut, no letter       | allowed   |
 * | unacknowledgedFound | a letter for a record sent with no ack reaching the harness | fine   |
 *
 * The read drops repeats of an offset within the group (readGroup), so `twice` counts copies
 * in the dead-letter log, which is what "exactly once" promises.
 */
import { randomUUID } from 'node:crypto';
import { Broker } from '../../broker.js';
import { DLQ_HEADERS, type ConsumedMessage } from '../../client/index.js';
import type { AckLedger } from './ack-ledger.js';
import { deadLetterTopic, failsAlways } from './dead-letter-load.js';
import { readGroup } from './delayed-check.js';
import { decodeIdentity, valueProblem } from './record-value.js';
import type { WorkloadLayout } from './record-source.js';
import { SequenceTable } from './sequence-table.js';

export interface DeadLetterCheck {
  /** Acknowledged records the handler fails on. */
  acknowledgedFailing: number;
  /** Letters read from the dead-letter topics. */
  letters: number;
  missing: number;
  twice: number;
  wrong: number;
  misplaced: number;
  unexpected: number;
  lostUnflushed: number;
  unacknowledgedFound: number;
  violationCount: number;
  examples: string[];
}

const examplesMax = 10;

export async function checkDeadLetters(dataDir: string, ledger: AckLedger,
  layout: WorkloadLayout, runId: number): Promise<DeadLetterCheck> {
  const examples: string[] = [];
  const note = (line: string) => { if (examples.length < examplesMax) examples.push(line); };
  const check: DeadLetterCheck = {
    acknowledgedFailing: 0, letters: 0, missing: 0, twice: 0, wrong: 0, misplaced: 0,
    unexpected: 0, lostUnflushed: 0, unacknowledgedFound: 0, violationCount: 0, examples,
  };
  const letters = new Map<number, SequenceTable>();
  // A checker's broker never restarts an actor: no warm standbys to load.
  const broker = await Broker.open({ dataDir, restart: { standby: false } });
  try {
    const existing = new Set(broker.listTopics());
    for (const topic of layout.topicNames.map(deadLetterTopic)) {
      if (!existing.has(topic)) continue;
      await readGroup(broker, topic, (batch) => {
        for (const message of batch.messages) {
          check.letters++;
          readLetter(message, layout, runId, letters, check, note);
        }
      }, `crash-dlq-check-${randomUUID()}`);
    }
  } finally {
    await broker.close();
  }
  compareAcks(ledger, letters, layout, runId, check, note);
  check.violationCount = check.missing + check.twice + check.wrong + check.misplaced +
    check.unexpected;
  return check;
}

function readLetter(message: ConsumedMessage, layout: WorkloadLayout, runId: number,
  letters: Map<number, SequenceTable>, check: DeadLetterCheck, note: (line: string) => void):
  void {
  const where = `${message.topic}-${message.partition}/${message.offset}`;
  const problem = valueProblem(message.value, runId);
  if (problem !== undefined) {
    check.unexpected++;
    note(`letter ${where}: ${problem}`);
    return;
  }
  const identity = decodeIdentity(message.value!);
  const name = `producer ${identity.producerId} sequence ${identity.sequence}`;
  if (!failsAlways(identity, runId)) {
    check.wrong++;
    note(`letter ${where}: ${name}, whose handler does not fail`);
  }
  const header = (key: string) => message.headers[key]?.toString('utf8');
  const slot = identity.topicIndex * layout.partitions + identity.partition;
  const offset = Number(header(DLQ_HEADERS.originalOffset));
  if (header(DLQ_HEADERS.originalTopic) !== layout.topicNames[identity.topicIndex] ||
    header(DLQ_HEADERS.originalPartition) !== String(identity.partition) ||
    !Number.isSafeInteger(offset)) {
    check.misplaced++;
    note(`letter ${where}: ${name} names ${header(DLQ_HEADERS.originalTopic)}-` +
      `${header(DLQ_HEADERS.originalPartition)}/${header(DLQ_HEADERS.originalOffset)}`);
  }
  let table = letters.get(identity.producerId);
  if (table === undefined) letters.set(identity.producerId, table = new SequenceTable());
  if (table.record(identity.sequence, slot, offset) > 1) {
    check.twice++;
    note(`letter ${where}: ${name} dead-lettered again (first from offset ` +
      `${table.offsets[identity.sequence]})`);
  }
}

/** Every acknowledged failing record: one letter, naming the offset it was acknowledged at. */
function compareAcks(ledger: AckLedger, letters: Map<number, SequenceTable>,
  layout: WorkloadLayout, runId: number, check: DeadLetterCheck,
  note: (line: string) => void): void {
  for (const producer of ledger.producers.values()) {
    const { acks } = producer;
    const found = letters.get(producer.producerId) ?? new SequenceTable();
    for (let sequence = 0; sequence < found.length; sequence++) {
      const acked = sequence < acks.length && acks.counts[sequence] > 0;
      if (found.counts[sequence] > 0 && !acked) check.unacknowledgedFound++;
    }
    for (let sequence = 0; sequence < acks.length; sequence++) {
      if (acks.counts[sequence] === 0) continue;
      const slot = acks.slots[sequence];
      const identity = {
        producerId: producer.producerId, sequence,
        topicIndex: Math.floor(slot / layout.partitions), partition: slot % layout.partitions,
      };
      if (!failsAlways(identity, runId)) continue;
      check.acknowledgedFailing++;
      const offset = acks.offsets[sequence];
      const name = `producer ${producer.producerId} sequence ${sequence}`;
      if (sequence >= found.length || found.counts[sequence] === 0) {
        if (ledger.mayBeLost(producer, slot, offset)) {
          check.lostUnflushed++;
        } else {
          check.missing++;
          note(`${name}, acknowledged at offset ${offset}, fails always and has no letter`);
        }
      } else if (found.offsets[sequence] !== offset) {
        check.misplaced++;
        note(`${name}, acknowledged at offset ${offset}, dead-lettered from offset ` +
          `${found.offsets[sequence]}`);
      }
    }
  }
}
