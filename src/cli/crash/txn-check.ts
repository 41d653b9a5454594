/**
 * The checker of the crash test's transaction workload (`--transactions`). After the run, a
 * fresh read_committed consumer group reads the output topics to their ends (the final
 * reader); then the closed data directory's logs are walked read-only, markers included,
 * which gives the ground truth: a transactional record is committed or aborted by the next
 * marker of its producer on its partition, and open when none follows.
 *
 * | verdict              | what is counted                                                  |
 * | -------------------- | ---------------------------------------------------------------- |
 * | partial              | transactions with some but not all of their records committed    |
 * |                      | (each output names its transaction and how many records it wrote) |
 * | duplicated           | committed outputs of an input beyond one per output index        |
 * | missing              | outputs of a stored input record absent from the committed output |
 * | misplaced            | a committed output naming another input offset than the stored one |
 * | orphan               | a committed output of an input record that is not stored         |
 * | openAtEnd            | records of transactions neither committed nor aborted at the end |
 * | liveAbortedSeen      | records the live read_committed group was handed that are not    |
 * |                      | committed (aborted, open, or no record)                          |
 * | finalAbortedSeen     | the same for the final reader                                    |
 * | finalCommittedUnseen | committed records the final reader was not handed                |
 * | inputLost            | acknowledged input records not stored at their acknowledged place |
 * | inputDuplicated      | input records stored more than once                              |
 * | unexpected           | values that are not records of this run                          |
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Broker } from '../../broker.js';
import {
  CONTROL_TYPE_ABORT, CONTROL_TYPE_COMMIT, controlTypeAt, forEachRecord,
} from '../../records/index.js';
import { MmapStorage, type SegmentStorage } from '../../segments/index.js';
import { walkStoredBatches } from './log-file-source.js';
import { decodeIdentity, valueProblem } from './record-value.js';
import { SequenceTable } from './sequence-table.js';
import {
  OUTPUTS_PER_INPUT, TXN_PARTITIONS, type TxnCounters, type TxnTopics,
} from './txn-load.js';
import { decodeOutputValue, txnKeyOf, type OutputIdentity } from './txn-value.js';

export interface TxnCheck {
  /** Transactions whose records were all committed, or all aborted. */
  committedTransactions: number;
  abortedTransactions: number;
  committedRecords: number;
  abortedRecords: number;
  inputAcknowledged: number;
  inputStored: number;
  /** Records the live and the final read_committed readers were handed. */
  liveSeen: number;
  finalSeen: number;
  partial: number;
  duplicated: number;
  missing: number;
  misplaced: number;
  orphan: number;
  openAtEnd: number;
  liveAbortedSeen: number;
  finalAbortedSeen: number;
  finalCommittedUnseen: number;
  inputLost: number;
  inputDuplicated: number;
  unexpected: number;
  violationCount: number;
  examples: string[];
}

/** What the harness gathered during the run. */
export interface TxnEvidence {
  /** Acknowledged input records per input producer id: slot = input partition, offset. */
  inputAcks: Map<number, SequenceTable>;
  /** (output slot, offset) pairs the live group was handed. */
  liveSeen: Float64Array[];
  counters: TxnCounters;
}

const COMMITTED = 1;
const ABORTED = 2;
const OPEN = 3;
const examplesMax = 10;
const stallTimeoutMs = 30_000;

/** Output slots: `outputIndex × TXN_PARTITIONS + partition`. */
type Outcomes = Map<number, Uint8Array>;

interface TxnTally {
  declared: number;
  committed: number;
  aborted: number;
}

export async function checkTransactions(dataDir: string, topics: TxnTopics, runId: number,
  evidence: TxnEvidence): Promise<TxnCheck> {
  const examples: string[] = [];
  const note = (line: string) => { if (examples.length < examplesMax) examples.push(line); };
  const check: TxnCheck = {
    committedTransactions: 0, abortedTransactions: 0, committedRecords: 0, abortedRecords: 0,
    inputAcknowledged: 0, inputStored: 0, liveSeen: 0, finalSeen: 0, partial: 0,
    duplicated: 0, missing: 0, misplaced: 0, orphan: 0, openAtEnd: 0, liveAbortedSeen: 0,
    finalAbortedSeen: 0, finalCommittedUnseen: 0, inputLost: 0, inputDuplicated: 0,
    unexpected: 0, violationCount: 0, examples,
  };
  const finalSeen = await readCommitted(dataDir, topics);
  const storage = new MmapStorage();
  const inputs = scanInput(storage, dataDir, topics.input, runId, check, note);
  const outcomes: Outcomes = new Map();
  const txns = new Map<string, TxnTally>();
  /** Committed outputs per input: `producerId:sequence` → count per output index. */
  const outputs = new Map<string, number[]>();
  topics.outputs.forEach((topic, outputIndex) => {
    for (let partition = 0; partition < TXN_PARTITIONS; partition++) {
      const slot = outputIndex * TXN_PARTITIONS + partition;
      outcomes.set(slot, scanOutput(storage, path.join(dataDir, `${topic}-${partition}`),
        runId, check, note, (id, outcome) => {
          const tally = txns.get(txnKeyOf(id)) ??
            { declared: id.txnRecords, committed: 0, aborted: 0 };
          txns.set(txnKeyOf(id), tally);
          if (outcome === ABORTED) tally.aborted++;
          if (outcome !== COMMITTED) return;
          tally.committed++;
          judgeOutput(id, inputs, outputs, check, note);
        }));
    }
  });
  judgeTransactions(txns, check, note);
  judgeInputs(inputs, outputs, evidence.inputAcks, check, note);
  check.liveSeen = evidence.liveSeen.reduce((sum, pairs) => sum + pairs.length / 2, 0);
  for (const pairs of evidence.liveSeen) {
    for (let i = 0; i < pairs.length; i += 2) {
      if (outcomeOf(outcomes, pairs[i], pairs[i + 1]) === COMMITTED) continue;
      check.liveAbortedSeen++;
      note(`the live reader was handed ${slotName(topics, pairs[i])}/${pairs[i + 1]}, ` +
        `not committed`);
    }
  }
  judgeFinalReader(finalSeen, outcomes, topics, check, note);
  check.violationCount = check.partial + check.duplicated + check.missing + check.misplaced +
    check.orphan + check.openAtEnd + check.liveAbortedSeen + check.finalAbortedSeen +
    check.finalCommittedUnseen + check.inputLost + check.inputDuplicated + check.unexpected;
  return check;
}

/** The final reader: a fresh read_committed group over the outputs, to their ends. */
async function readCommitted(dataDir: string, topics: TxnTopics): Promise<Map<number, number[]>> {
  const seen = new Map<number, number[]>();
  // A checker's broker never restarts an actor: no warm standbys to load.
  const broker = await Broker.open({ dataDir, restart: { standby: false } });
  try {
    const groupId = `crash-txn-check-${randomUUID()}`;
    const ends: Array<{ topic: string; partition: number; end: number }> = [];
    for (const topic of topics.outputs) {
      const description = await broker.describeTopic(topic);
      for (const p of description.partitions) {
        ends.push({ topic, partition: p.partition, end: p.highWatermark });
      }
    }
    const reader = broker.consumer({ groupId, fromBeginning: true, isolation: 'read_committed' });
    await reader.subscribe(topics.outputs);
    const run = reader.run({
      eachBatch: (batch) => {
        const slot = topics.outputs.indexOf(batch.topic) * TXN_PARTITIONS + batch.partition;
        let list = seen.get(slot);
        if (list === undefined) seen.set(slot, list = []);
        for (const message of batch.messages) list.push(message.offset);
      },
    });
    const committed = () => ends.reduce((sum, { topic, partition }) =>
      sum + (broker.committedOffset(groupId, topic, partition) ?? 0), 0);
    let progress = -1;
    let progressMs = Date.now();
    while (ends.some(({ topic, partition, end }) =>
      (broker.committedOffset(groupId, topic, partition) ?? 0) < end)) {
      const now = committed();
      if (now !== progress) {
        progress = now;
        progressMs = Date.now();
      } else if (Date.now() - progressMs > stallTimeoutMs) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await reader.close();
    await run;
  } finally {
    await broker.close();
  }
  return seen;
}

/** Stored input records: per producer id, where each sequence is (slot = partition). */
function scanInput(storage: SegmentStorage, dataDir: string, topic: string, runId: number,
  check: TxnCheck, note: (line: string) => void): Map<number, SequenceTable> {
  const inputs = new Map<number, SequenceTable>();
  for (let partition = 0; partition < TXN_PARTITIONS; partition++) {
    const dir = path.join(dataDir, `${topic}-${partition}`);
    walkStoredBatches(storage, dir, (header, bytes, position) => {
      if (header.control) return;
      forEachRecord(bytes, position, (record) => {
        const problem = valueProblem(record.value, runId);
        if (problem !== undefined) {
          check.unexpected++;
          note(`input ${topic}-${partition}/${record.offset}: ${problem}`);
          return;
        }
        const identity = decodeIdentity(record.value!);
        let table = inputs.get(identity.producerId);
        if (table === undefined) inputs.set(identity.producerId, table = new SequenceTable());
        check.inputStored++;
        if (table.record(identity.sequence, partition, record.offset) > 1) {
          check.inputDuplicated++;
          note(`input producer ${identity.producerId} sequence ${identity.sequence} stored ` +
            `again at ${topic}-${partition}/${record.offset}`);
        }
      });
    });
  }
  return inputs;
}

/**
 * Walks one output partition, deciding each transactional record by the next marker of its
 * producer; returns the outcome per offset and tells `visit` each record's.
 */
function scanOutput(storage: SegmentStorage, dir: string, runId: number, check: TxnCheck,
  note: (line: string) => void, visit: (id: OutputIdentity, outcome: number) => void):
  Uint8Array {
  const pending = new Map<bigint, Array<{ id: OutputIdentity; offset: number }>>();
  const decided: Array<{ id: OutputIdentity; offset: number; outcome: number }> = [];
  let end = 0;
  walkStoredBatches(storage, dir, (header, bytes, position) => {
    end = header.baseOffset + header.lastOffsetDelta + 1;
    const list = pending.get(header.producerId) ?? [];
    if (header.control) {
      const type = controlTypeAt(bytes, position);
      if (type !== CONTROL_TYPE_COMMIT && type !== CONTROL_TYPE_ABORT) return;
      const outcome = type === CONTROL_TYPE_COMMIT ? COMMITTED : ABORTED;
      for (const entry of list) decided.push({ ...entry, outcome });
      pending.delete(header.producerId);
      return;
    }
    forEachRecord(bytes, position, (record) => {
      const id = decodeOutputValue(record.value, runId);
      if (typeof id === 'string') {
        check.unexpected++;
        note(`output ${path.basename(dir)}/${record.offset}: ${id}`);
        return;
      }
      if (!header.transactional) {
        check.unexpected++;
        note(`output ${path.basename(dir)}/${record.offset}: not in a transaction`);
        return;
      }
      list.push({ id, offset: record.offset });
    });
    pending.set(header.producerId, list);
  });
  for (const list of pending.values()) {
    for (const entry of list) {
      decided.push({ ...entry, outcome: OPEN });
      check.openAtEnd++;
      note(`output ${path.basename(dir)}/${entry.offset} is in a transaction still open`);
    }
  }
  const outcomes = new Uint8Array(end);
  for (const { id, offset, outcome } of decided) {
    outcomes[offset] = outcome;
    if (outcome === COMMITTED) check.committedRecords++;
    if (outcome === ABORTED) check.abortedRecords++;
    visit(id, outcome);
  }
  return outcomes;
}

/** One committed output: counted against its input, whose stored place it must name. */
function judgeOutput(id: OutputIdentity, inputs: Map<number, SequenceTable>,
  outputs: Map<string, number[]>, check: TxnCheck, note: (line: string) => void): void {
  const key = `${id.inputProducerId}:${id.inputSequence}`;
  const counts = outputs.get(key) ?? new Array<number>(OUTPUTS_PER_INPUT).fill(0);
  outputs.set(key, counts);
  const name = `input producer ${id.inputProducerId} sequence ${id.inputSequence}`;
  if (++counts[id.outputIndex] === 2) {
    check.duplicated++;
    note(`${name}: output ${id.outputIndex} committed again (transaction ${txnKeyOf(id)})`);
  }
  const table = inputs.get(id.inputProducerId);
  if (table === undefined || id.inputSequence >= table.length ||
    table.counts[id.inputSequence] === 0) {
    check.orphan++;
    note(`${name}: committed output of an input that is not stored`);
  } else if (table.slots[id.inputSequence] !== id.inputPartition ||
    table.offsets[id.inputSequence] !== id.inputOffset) {
    check.misplaced++;
    note(`${name}: output names input ${id.inputPartition}/${id.inputOffset}, stored at ` +
      `${table.slots[id.inputSequence]}/${table.offsets[id.inputSequence]}`);
  }
}

function judgeTransactions(txns: Map<string, TxnTally>, check: TxnCheck,
  note: (line: string) => void): void {
  for (const [key, tally] of txns) {
    if (tally.committed === 0) {
      if (tally.aborted > 0) check.abortedTransactions++;
      continue;
    }
    if (tally.committed === tally.declared && tally.aborted === 0) {
      check.committedTransactions++;
      continue;
    }
    check.partial++;
    note(`transaction ${key}: ${tally.committed} of ${tally.declared} records committed, ` +
      `${tally.aborted} aborted`);
  }
}

/** Every acknowledged input stored where acknowledged; every stored input output once. */
function judgeInputs(inputs: Map<number, SequenceTable>, outputs: Map<string, number[]>,
  acks: Map<number, SequenceTable>, check: TxnCheck, note: (line: string) => void): void {
  for (const [producerId, acked] of acks) {
    const stored = inputs.get(producerId);
    for (let sequence = 0; sequence < acked.length; sequence++) {
      if (acked.counts[sequence] === 0) continue;
      check.inputAcknowledged++;
      if (stored === undefined || sequence >= stored.length || stored.counts[sequence] === 0 ||
        stored.offsets[sequence] !== acked.offsets[sequence]) {
        check.inputLost++;
        note(`input producer ${producerId} sequence ${sequence}, acknowledged at ` +
          `${acked.slots[sequence]}/${acked.offsets[sequence]}, is not stored there`);
      }
    }
  }
  for (const [producerId, stored] of inputs) {
    for (let sequence = 0; sequence < stored.length; sequence++) {
      if (stored.counts[sequence] === 0) continue;
      const counts = outputs.get(`${producerId}:${sequence}`);
      const absent = counts === undefined ? OUTPUTS_PER_INPUT
        : counts.filter((count) => count === 0).length;
      if (absent === 0) continue;
      check.missing += absent;
      note(`input producer ${producerId} sequence ${sequence} at ` +
        `${stored.slots[sequence]}/${stored.offsets[sequence]}: ${absent} outputs missing`);
    }
  }
}

function judgeFinalReader(seen: Map<number, number[]>, outcomes: Outcomes, topics: TxnTopics,
  check: TxnCheck, note: (line: string) => void): void {
  for (const [slot, kinds] of outcomes) {
    const handed = new Set(seen.get(slot) ?? []);
    check.finalSeen += handed.size;
    for (const offset of handed) {
      if (outcomeOf(outcomes, slot, offset) === COMMITTED) continue;
      check.finalAbortedSeen++;
      note(`the final reader was handed ${slotName(topics, slot)}/${offset}, not committed`);
    }
    kinds.forEach((outcome, offset) => {
      if (outcome !== COMMITTED || handed.has(offset)) return;
      check.finalCommittedUnseen++;
      note(`the final reader was not handed committed ${slotName(topics, slot)}/${offset}`);
    });
  }
}

function outcomeOf(outcomes: Outcomes, slot: number, offset: number): number {
  const kinds = outcomes.get(slot);
  return kinds === undefined || offset >= kinds.length ? 0 : kinds[offset];
}

function slotName(topics: TxnTopics, slot: number): string {
  return `${topics.outputs[Math.floor(slot / TXN_PARTITIONS)]}-${slot % TXN_PARTITIONS}`;
}
