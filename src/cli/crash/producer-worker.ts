/**
 * Worker entry: one crash-test producer. It attaches the producer handle it was given and runs
 * `lanesPerPartition` send loops per partition of every topic, each sending `recordsPerRound`
 * records in one `sendBatch` and awaiting it before the next. Several batches of a partition
 * are in flight at once, so an actor crash leaves several of them appended but unreleased: the
 * broker must recognise every replayed one (its idempotence window), which this workload tests.
 * Sequence numbers are taken synchronously when a batch is built, so the order of sends per
 * partition is the order of sequences.
 *
 * Acknowledged (slot, offset, sequence) triples go to the parent in batches: a report when
 * `reportAcksMax` acks have gathered, else every `reportIntervalMs`; never one per record.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../../assert.js';
import { MambaError } from '../../errors.js';
import { Producer, type Message, type SendResult } from '../../client/index.js';
import {
  ACK_FIELDS, ACK_OFFSET, ACK_SEQUENCE, ACK_SLOT, type AckReport, type ChildToWorker,
  type ProducerWorkerData, type WorkerToChild,
} from './messages.js';
import { encodeValue } from './record-value.js';

const reportAcksMax = 16_384;
const reportIntervalMs = 50;

const data = workerData as ProducerWorkerData;
const port = parentPort;
assert(port !== null, 'the crash-test producer runs in a worker thread');

let stopping = false;
const onMessage = (message: ChildToWorker): void => {
  if (message.kind === 'stop') stopping = true;
};
port.on('message', onMessage);

const producer = Producer.attach(data.handle);
let sequence = 0;
let sentCount = 0;
let failedCount = 0;
let errors: Record<string, number> = {};
let acks = new Float64Array(reportAcksMax * ACK_FIELDS);
let ackCount = 0;
let reportedSentCount = 0;

function report(): void {
  const message: AckReport = {
    kind: 'acks', producerId: data.producerId, sentCount, failedCount, errors,
    acks: acks.subarray(0, ackCount * ACK_FIELDS),
  };
  port!.postMessage(message satisfies WorkerToChild, [acks.buffer]);
  acks = new Float64Array(reportAcksMax * ACK_FIELDS);
  ackCount = 0;
  errors = {};
  reportedSentCount = sentCount;
}

function recordAcks(slot: number, sequences: number[], results: SendResult[]): void {
  for (let i = 0; i < results.length; i++) {
    if (ackCount === reportAcksMax) report();
    const at = ackCount * ACK_FIELDS;
    acks[at + ACK_SLOT] = slot;
    acks[at + ACK_OFFSET] = results[i].offset;
    acks[at + ACK_SEQUENCE] = sequences[i];
    ackCount++;
  }
}

async function sendPartition(topicIndex: number, partition: number): Promise<void> {
  const sequences: number[] = [];
  const messages: Message[] = [];
  for (let i = 0; i < data.recordsPerRound; i++) {
    const identity = { producerId: data.producerId, sequence: sequence++, topicIndex, partition };
    sequences.push(identity.sequence);
    messages.push({ value: encodeValue(data.runId, identity, data.valueBytes), partition });
  }
  sentCount += messages.length;
  try {
    const results = await producer.sendBatch(data.topicNames[topicIndex], messages);
    recordAcks(topicIndex * data.partitions + partition, sequences, results);
  } catch (error) {
    failedCount += messages.length;
    const code = MambaError.is(error) ? error.code : 'INTERNAL';
    errors[code] = (errors[code] ?? 0) + messages.length;
    if (code === 'BROKER_CLOSED' || code === 'PRODUCER_CLOSED') stopping = true;
  }
}

const lanesPerPartition = 4;

/** One lane of a partition: a partition whose actor is down holds up only its own lanes. */
async function sendLoop(topicIndex: number, partition: number): Promise<void> {
  while (!stopping) await sendPartition(topicIndex, partition);
}

async function run(): Promise<void> {
  const timer = setInterval(() => {
    if (ackCount > 0 || sentCount !== reportedSentCount) report();
  }, reportIntervalMs);
  const loops: Promise<void>[] = [];
  for (let topicIndex = 0; topicIndex < data.topicNames.length; topicIndex++) {
    for (let partition = 0; partition < data.partitions; partition++) {
      for (let lane = 0; lane < lanesPerPartition; lane++) {
        loops.push(sendLoop(topicIndex, partition));
      }
    }
  }
  await Promise.all(loops);
  clearInterval(timer);
  await producer.close();
  report();
  port!.postMessage({ kind: 'done', producerId: data.producerId } satisfies WorkerToChild);
  port!.off('message', onMessage); // nothing left to keep the thread alive: it exits
}

void run();
