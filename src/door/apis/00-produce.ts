/**
 * Produce (key 0). Each partition's record set is split into its RecordBatch v2 batches, and
 * each batch goes to the partition's actor through this door's producer session — the rings
 * embedded producers use — as the client sent it: compressed stays compressed, and the actor
 * rewrites only baseOffset and the leader epoch. The actor checks the CRC and the idempotent
 * producer's sequence (the same producer table embedded producers use, rebuilt from the log
 * after a restart). acks 0 / 1 / -1 are Mamba's 0 / 1 / 'all'; acks 0 gets no response.
 * A topic the principal may not Write answers TOPIC_AUTHORIZATION_FAILED for each partition.
 *
 * Transactional batches (the transactional attribute bit): the request must name a
 * transactional id the principal may Write, else every partition answers
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED (Kafka's rule); and each partition must have been added
 * to the producer's open transaction (AddPartitionsToTxn), else INVALID_TXN_STATE — or
 * INVALID_PRODUCER_EPOCH when the transactional id has moved on to a newer epoch (fenced).
 */
import { ACKS_ALL, ACKS_LEADER, ACKS_NONE } from '../../shm/index.js';
import { batchSizeBytesMax } from '../../constants.js';
import {
  BATCH_HEADER_SIZE_BYTES, BATCH_LENGTH_EXCLUDED_BYTES, BATCH_LENGTH_OFFSET, MAGIC, MAGIC_OFFSET,
  batchIsTransactional,
} from '../../records/index.js';
import {
  ApiKey, kafkaErrorCode, type ProduceRequest, type ProduceResponse,
} from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import { apiHandler } from './api-handler.js';
import { codeOf, findTopic } from './topic-access.js';
import { TxnCheck } from './txn-check.js';

type PartitionResponse = ProduceResponse['responses'][0]['partitionResponses'][0];

const timeoutMsMin = 1_000;
const timeoutMsMax = 300_000;

export const produceHandler = apiHandler<ProduceRequest, ProduceResponse>({
  apiKey: ApiKey.PRODUCE,
  // From v0: librdkafka sends gzip, snappy and lz4 only to a broker whose Produce range
  // includes v0. Versions 0-2 carry message formats 0 and 1, which are refused per partition
  // (UNSUPPORTED_FOR_MESSAGE_FORMAT: magic byte at the same place).
  versions: [0, 11],
  async handle(context, request) {
    const acks = request.acks === 0 ? ACKS_NONE : request.acks === 1 ? ACKS_LEADER : ACKS_ALL;
    const timeoutMs = Math.min(Math.max(request.timeoutMs, timeoutMsMin), timeoutMsMax);
    const transactional = request.topicData.some((t) => t.partitionData.some((p) =>
      isTransactional(p.records)));
    if (transactional && (request.transactionalId === null ||
      !context.allowsTransactionalId('Write', request.transactionalId))) {
      return refuseAll(request, kafkaErrorCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'));
    }
    const txn = transactional ? new TxnCheck(context, request.transactionalId!) : undefined;
    const responses = await Promise.all(request.topicData.map(async (topicData) => {
      // Write on the topic, checked before anything else (no auto-creation for a principal
      // that may not write); auto-creation also needs Create.
      const found = context.allowsTopic('Write', topicData.name) ?
        await findTopic(context, topicData.name, context.allowsCreate(topicData.name)) :
        { errorCode: kafkaErrorCode('TOPIC_AUTHORIZATION_FAILED'), message: 'not authorized' };
      const partitionResponses = await Promise.all(topicData.partitionData.map((data) => {
        if ('errorCode' in found) return Promise.resolve(failed(data.index, found.errorCode));
        if (data.index < 0 || data.index >= found.topic.partitionCount) {
          return Promise.resolve(failed(data.index, kafkaErrorCode('UNKNOWN_TOPIC_OR_PARTITION')));
        }
        const produce = () => producePartition(context, topicData.name,
          found.topic.firstSlot + data.index, data.index, data.records, acks, timeoutMs);
        if (txn === undefined || !isTransactional(data.records)) return produce();
        return txn.check(topicData.name, data.index, data.records!).then((errorCode) =>
          errorCode === 0 ? produce() : failed(data.index, errorCode));
      }));
      return { name: topicData.name, partitionResponses };
    }));
    if (request.acks === 0) return null;
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
  },
});

async function producePartition(context: DoorContext, topic: string, slot: number,
  index: number, records: Uint8Array | null, acks: number, timeoutMs: number,
): Promise<PartitionResponse> {
  const batches = splitBatches(records);
  if (typeof batches === 'number') return failed(index, batches);
  const results = await Promise.all(batches.map((batch) =>
    new Promise<{ error: Error | undefined; baseOffset: number }>((resolve) => {
      context.session.submit({
        topic, partition: index, slot, acks, records: [], encoded: batch, timeoutMs,
        meta: () => { throw new Error('an encoded batch has its own metadata'); },
        settle: (error, baseOffset) => resolve({ error, baseOffset }),
      });
    })));
  const error = results.find((result) => result.error !== undefined)?.error;
  if (error !== undefined) return failed(index, codeOf(error));
  return {
    ...failed(index, 0),
    baseOffset: BigInt(results[0].baseOffset),
    logStartOffset: BigInt(context.controlBlock.logStartOffset(slot)),
  };
}

/**
 * The batches of a record set, as views of the request; or the Kafka error code for a set
 * that is not a sequence of whole RecordBatch v2 batches.
 */
function splitBatches(records: Uint8Array | null): Uint8Array[] | number {
  if (records === null || records.length === 0) return kafkaErrorCode('CORRUPT_MESSAGE');
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const batches: Uint8Array[] = [];
  let position = 0;
  while (position < records.length) {
    if (records.length - position < BATCH_HEADER_SIZE_BYTES) {
      return kafkaErrorCode('CORRUPT_MESSAGE');
    }
    if (records[position + MAGIC_OFFSET] !== MAGIC) {
      return kafkaErrorCode('UNSUPPORTED_FOR_MESSAGE_FORMAT');
    }
    const size = view.getInt32(position + BATCH_LENGTH_OFFSET) + BATCH_LENGTH_EXCLUDED_BYTES;
    if (size < BATCH_HEADER_SIZE_BYTES || size > records.length - position) {
      return kafkaErrorCode('CORRUPT_MESSAGE');
    }
    if (size > batchSizeBytesMax) return kafkaErrorCode('MESSAGE_TOO_LARGE');
    batches.push(records.subarray(position, position + size));
    position += size;
  }
  return batches;
}

/** Whether any batch of a partition's record set is transactional. */
function isTransactional(records: Uint8Array | null): boolean {
  if (records === null) return false;
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  for (let at = 0; records.length - at >= BATCH_HEADER_SIZE_BYTES;) {
    if (records[at + MAGIC_OFFSET] !== MAGIC) return false;
    if (batchIsTransactional(view, at)) return true;
    at += Math.max(view.getInt32(at + BATCH_LENGTH_OFFSET) + BATCH_LENGTH_EXCLUDED_BYTES,
      BATCH_HEADER_SIZE_BYTES);
  }
  return false;
}

function refuseAll(request: ProduceRequest, errorCode: number): Promise<ProduceResponse | null> {
  if (request.acks === 0) return Promise.resolve(null);
  return Promise.resolve({
    throttleTimeMs: 0, nodeEndpoints: [],
    responses: request.topicData.map((t) => ({
      name: t.name, partitionResponses: t.partitionData.map((p) => failed(p.index, errorCode)),
    })),
  });
}

function failed(index: number, errorCode: number): PartitionResponse {
  return {
    index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n,
    recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 },
  };
}
