/**
 * ListOffsets (key 2): timestamp -2 is the log start, -1 the high-watermark, any other value
 * the first record whose timestamp is at or after it. The search skips whole batches by their
 * largest timestamp and opens only the batch that holds the answer; a compressed batch is not
 * opened, so for one the answer is its base offset (which may hold a few earlier records).
 * -3 (the largest timestamp, v7+) is answered like -1: an approximation. With isolation level
 * read_committed (v2+) the log ends at the last stable offset instead: latest is the LSO, and
 * the timestamp search stops there (Kafka's rule).
 */
import { MambaError } from '../../errors.js';
import {
  ATTRIBUTES_OFFSET, ATTRIBUTE_COMPRESSION_MASK, BASE_TIMESTAMP_OFFSET, LAST_OFFSET_DELTA_OFFSET,
  MAX_TIMESTAMP_OFFSET, batchSizeBytesAt, forEachRecord,
} from '../../records/index.js';
import {
  ApiKey, kafkaCodeOf, kafkaErrorCode, type ListOffsetsRequest, type ListOffsetsResponse,
} from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import type { TopicView } from '../topic-cache.js';
import { apiHandler } from './api-handler.js';

type PartitionResponse = ListOffsetsResponse['topics'][0]['partitions'][0];

const EARLIEST = -2n;
const LATEST = -1n;
const scanChunkBytes = 1024 * 1024;
/** The request's isolation_level: 1 is read_committed. */
const READ_COMMITTED = 1;

export const listOffsetsHandler = apiHandler<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: ApiKey.LIST_OFFSETS,
  versions: [0, 9],
  async handle(context, request, version) {
    const topics = await Promise.all(request.topics.map(async (t) => {
      const topic = await context.topics.lookup(t.name);
      const describable = context.allowsTopic('Describe', t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (!describable) {
            return answer(p.partitionIndex, kafkaErrorCode('TOPIC_AUTHORIZATION_FAILED'), -1, -1n);
          }
          if (topic === undefined || p.partitionIndex < 0 ||
            p.partitionIndex >= topic.partitionCount) {
            return answer(p.partitionIndex, kafkaErrorCode('UNKNOWN_TOPIC_OR_PARTITION'), -1, -1n);
          }
          const result = locate(context, topic, p.partitionIndex, p.timestamp,
            request.isolationLevel === READ_COMMITTED);
          const response = answer(p.partitionIndex, result.errorCode, result.offset,
            result.timestamp);
          if (version === 0 && result.offset >= 0) {
            response.oldStyleOffsets = [BigInt(result.offset)];
          }
          return response;
        }),
      };
    }));
    return { throttleTimeMs: 0, topics };
  },
});

function locate(context: DoorContext, topic: TopicView, partition: number, timestamp: bigint,
  committed: boolean): { errorCode: number; offset: number; timestamp: bigint } {
  const slot = topic.firstSlot + partition;
  const logStart = context.controlBlock.logStartOffset(slot);
  // The end a reader of this isolation level sees: the last stable offset, or the HW.
  const highWatermark = committed ? context.controlBlock.lastStableOffset(slot) :
    context.controlBlock.highWatermark(slot);
  if (timestamp === EARLIEST) return { errorCode: 0, offset: logStart, timestamp: -1n };
  if (timestamp < 0n || timestamp === LATEST) {
    return { errorCode: 0, offset: highWatermark, timestamp: -1n };
  }
  try {
    const reader = context.readers.get(topic.topic, topic.topicId, partition);
    let from = logStart;
    while (from < highWatermark) {
      const bytes = reader.read(from, scanChunkBytes, highWatermark, logStart);
      if (bytes.length === 0) break;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let at = 0; at < bytes.length; at += batchSizeBytesAt(view, at)) {
        const base = Number(view.getBigInt64(at));
        from = base + view.getInt32(at + LAST_OFFSET_DELTA_OFFSET) + 1;
        if (view.getBigInt64(at + MAX_TIMESTAMP_OFFSET) >= timestamp) {
          return { errorCode: 0, ...firstAtOrAfter(bytes, view, at, timestamp) };
        }
      }
    }
    return { errorCode: 0, offset: -1, timestamp: -1n };
  } catch (error) {
    if (!(error instanceof MambaError)) throw error;
    return { errorCode: kafkaCodeOf(error.code), offset: -1, timestamp: -1n };
  }
}

/**
 * The first record at or after `timestamp` in the batch at `at`, whose largest timestamp is at
 * or after it: exact for an uncompressed batch; a compressed one is not opened, and answers
 * with its base offset.
 */
function firstAtOrAfter(bytes: Uint8Array, view: DataView, at: number,
  timestamp: bigint): { offset: number; timestamp: bigint } {
  const base = Number(view.getBigInt64(at));
  const target = Number(timestamp);
  if ((view.getInt16(at + ATTRIBUTES_OFFSET) & ATTRIBUTE_COMPRESSION_MASK) === 0) {
    let found: { offset: number; timestamp: bigint } | undefined;
    forEachRecord(bytes, at, (record) => {
      if (found === undefined && record.timestamp >= target) {
        found = { offset: record.offset, timestamp: BigInt(record.timestamp) };
      }
    });
    if (found !== undefined) return found;
  }
  const first = view.getBigInt64(at + BASE_TIMESTAMP_OFFSET);
  return { offset: base, timestamp: first >= timestamp ? first : timestamp };
}

function answer(partitionIndex: number, errorCode: number, offset: number,
  timestamp: bigint): PartitionResponse {
  return {
    partitionIndex, errorCode, oldStyleOffsets: [], timestamp, offset: BigInt(offset),
    leaderEpoch: -1,
  };
}
