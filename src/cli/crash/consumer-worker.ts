/**
 * Worker entry: one member of the crash test's live consumer group. It attaches the consumer
 * handle it was given, subscribes to every topic of the workload and consumes with `eachBatch`
 * while the producers write and the chaos loop kills.
 *
 * What "processed" means here: a batch counts as processed once the harness has its records.
 * Each delivery is appended to a report (slot, offset, producer id, sequence, sent slot,
 * epoch); a report goes to the broker process when `reportRecordsMax` deliveries have gathered,
 * else once the batches delivered in the current turn of the event loop are in it
 * (`setImmediate`: no timer to wait for, since every commit waits for its report), never one
 * message per record. The broker process forwards it
 * to the harness and confirms it back; only then do the batches in it resolve, so the consumer
 * commits (autoCommit, after processing) only offsets the harness already knows were consumed.
 * A SIGKILL of the broker process therefore never leaves a committed record the harness did not
 * hear of: what was consumed but not confirmed is delivered again by the next process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../../assert.js';
import { Consumer } from '../../client/index.js';
import type { ConsumedBatch } from '../../client/index.js';
import type { TopicPartition } from '../../coordinator/index.js';
import {
  CONSUMED_EPOCH, CONSUMED_FIELDS, CONSUMED_OFFSET, CONSUMED_PRODUCER_ID, CONSUMED_SENT_SLOT,
  CONSUMED_SEQUENCE, CONSUMED_SLOT, type ChildToConsumer, type ConsumedReport,
  type ConsumerToChild, type ConsumerWorkerData,
} from './messages.js';
import { decodeIdentity, valueProblem } from './record-value.js';

const reportRecordsMax = 16_384;

const data = workerData as ConsumerWorkerData;
const port = parentPort;
assert(port !== null, 'the crash-test consumer runs in a worker thread');

const topicIndexOf = new Map(data.topicNames.map((topic, index) => [topic, index]));
const slotOf = (topic: string, partition: number): number =>
  topicIndexOf.get(topic)! * data.partitions + partition;

const consumer = Consumer.attach(data.handle);
/** Per slot, the epoch of the member's current hold of it. */
const epochs = new Map<number, number>();
let epochCounter = 0;
let assignedCount = 0;
let revokedCount = 0;

consumer.on('assigned', (partitions: TopicPartition[]) => {
  assignedCount += partitions.length;
  for (const tp of partitions) epochs.set(slotOf(tp.topic, tp.partition), ++epochCounter);
  scheduleFlush();
});
consumer.on('revoked', (partitions: TopicPartition[]) => {
  revokedCount += partitions.length;
  scheduleFlush();
});

let records = new Float64Array(reportRecordsMax * CONSUMED_FIELDS);
let recordCount = 0;
let nextReportId = 0;
let flushScheduled = false;
/** Batches waiting for the report being filled, then for its confirmation. */
let waiting: Array<() => void> = [];
const unconfirmed = new Map<number, Array<() => void>>();

function post(message: ConsumerToChild, transfer?: ArrayBuffer[]): void {
  port!.postMessage(message, transfer);
}

function flush(): void {
  flushScheduled = false;
  if (recordCount === 0 && assignedCount === 0 && revokedCount === 0 && waiting.length === 0) {
    return;
  }
  const reportId = nextReportId++;
  const report: ConsumedReport = {
    kind: 'consumed', memberId: data.memberId, reportId,
    records: records.subarray(0, recordCount * CONSUMED_FIELDS), assignedCount, revokedCount,
  };
  post(report, [records.buffer as ArrayBuffer]);
  unconfirmed.set(reportId, waiting);
  waiting = [];
  records = new Float64Array(reportRecordsMax * CONSUMED_FIELDS);
  recordCount = 0;
  assignedCount = 0;
  revokedCount = 0;
}

function append(slot: number, offset: number, value: Uint8Array | null, epoch: number): void {
  if (recordCount === reportRecordsMax) flush();
  const at = recordCount * CONSUMED_FIELDS;
  records[at + CONSUMED_SLOT] = slot;
  records[at + CONSUMED_OFFSET] = offset;
  records[at + CONSUMED_EPOCH] = epoch;
  if (value === null || valueProblem(value, data.runId) !== undefined) {
    records[at + CONSUMED_PRODUCER_ID] = -1;
    records[at + CONSUMED_SEQUENCE] = -1;
    records[at + CONSUMED_SENT_SLOT] = -1;
  } else {
    const identity = decodeIdentity(value);
    records[at + CONSUMED_PRODUCER_ID] = identity.producerId;
    records[at + CONSUMED_SEQUENCE] = identity.sequence;
    records[at + CONSUMED_SENT_SLOT] = identity.topicIndex * data.partitions + identity.partition;
  }
  recordCount++;
}

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flush);
}

/** Resolves once the harness has every record of the batch. */
function eachBatch(batch: ConsumedBatch): Promise<void> {
  const slot = slotOf(batch.topic, batch.partition);
  const epoch = epochs.get(slot) ?? 0;
  for (const message of batch.messages) append(slot, message.offset, message.value, epoch);
  scheduleFlush();
  return new Promise((resolve) => waiting.push(resolve));
}

port.on('message', (message: ChildToConsumer) => {
  switch (message.kind) {
    case 'confirmed': {
      const resolvers = unconfirmed.get(message.reportId) ?? [];
      unconfirmed.delete(message.reportId);
      for (const resolve of resolvers) resolve();
      break;
    }
    case 'stop':
      void stop();
      break;
  }
});

/** Close: the batches in flight finish (their reports are still flushed and confirmed). */
async function stop(): Promise<void> {
  await consumer.close();
  flush(); // the last assignment counts
  const error = consumer.lastAutoCommitError;
  post({
    kind: 'closed', memberId: data.memberId,
    ...(error === undefined ? {} : { lastCommitError: String(error) }),
  });
  port!.close(); // the thread exits (messages posted before are still delivered)
}

async function main(): Promise<void> {
  await consumer.subscribe(data.topicNames);
  post({ kind: 'subscribed', memberId: data.memberId });
  await consumer.run({ eachBatch, partitionsConsumedConcurrently: data.topicNames.length *
    data.partitions });
}

main().catch((error: unknown) => {
  post({ kind: 'failed', memberId: data.memberId, message: String(error) });
});
