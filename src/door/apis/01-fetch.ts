/**
 * Fetch (key 1). Records are served straight from the segment mappings (zero-copy views the
 * response writer passes to the socket as they are), bounded by the high-watermark the actors
 * publish, with Kafka's rules: the first batch whole even when it exceeds max_bytes, exact
 * high-watermark and log start, OFFSET_OUT_OF_RANGE below the log start or past the
 * high-watermark. While fewer than min_bytes are ready the request waits (up to max_wait) for
 * any of its partitions' change counters to move. Sessions are not kept (session id 0): every
 * fetch names its partitions, as kafkajs and librdkafka do. Topic IDs from v13. A topic the
 * principal may not Read answers TOPIC_AUTHORIZATION_FAILED for each partition.
 *
 * Isolation (the request's isolation_level): read_uncommitted reads up to the high-watermark;
 * read_committed up to the last stable offset (the first offset of the earliest open
 * transaction, published by the actor in the control block), and gets the aborted
 * transactions that overlap the records returned (the partition's aborted index), from which
 * the client drops aborted batches (Kafka's consumer algorithm). Every answer carries the last
 * stable offset. Control batches (transaction markers) are sent as stored, as Kafka does:
 * clients skip them.
 */
import { MambaError } from '../../errors.js';
import { LAST_OFFSET_DELTA_OFFSET, batchSizeBytesAt } from '../../records/index.js';
import { readAbortedTransactions } from '../../segments/index.js';
import {
  ApiKey, kafkaCodeOf, kafkaErrorCode, type FetchRequest, type FetchResponse,
} from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import type { TopicView } from '../topic-cache.js';
import { apiHandler } from './api-handler.js';

type PartitionData = FetchResponse['responses'][0]['partitions'][0];
type TopicResponse = FetchResponse['responses'][0];

interface Target {
  topic: TopicView;
  slot: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  response: PartitionData;
}

/** The request's isolation_level: 1 is read_committed. */
const READ_COMMITTED = 1;

const maxWaitMsCap = 30_000;
const emptyRecords = new Uint8Array(0);

export const fetchHandler = apiHandler<FetchRequest, FetchResponse>({
  apiKey: ApiKey.FETCH,
  versions: [4, 17],
  async handle(context, request, version) {
    const responses: TopicResponse[] = [];
    const targets: Target[] = [];
    for (const fetchTopic of request.topics) {
      const topic = version >= 13 ? await context.topics.lookupByUuid(fetchTopic.topicId) :
        await context.topics.lookup(fetchTopic.topic);
      const unknown = kafkaErrorCode(version >= 13 ? 'UNKNOWN_TOPIC_ID' :
        'UNKNOWN_TOPIC_OR_PARTITION');
      // Read on the topic, by the name asked for (so an unknown name is not revealed), or
      // by the name a known topic ID has.
      const name = version >= 13 ? topic?.topic : fetchTopic.topic;
      const readable = name === undefined || context.allowsTopic('Read', name);
      const partitions = fetchTopic.partitions.map((p) => {
        const response = partitionData(p.partition, 0);
        if (!readable) {
          response.errorCode = kafkaErrorCode('TOPIC_AUTHORIZATION_FAILED');
        } else if (topic === undefined || p.partition < 0 || p.partition >= topic.partitionCount) {
          response.errorCode = unknown;
        } else {
          targets.push({
            topic, slot: topic.firstSlot + p.partition, fetchOffset: Number(p.fetchOffset),
            partitionMaxBytes: p.partitionMaxBytes, response,
          });
        }
        return response;
      });
      responses.push({ topic: fetchTopic.topic, topicId: fetchTopic.topicId, partitions });
    }
    const deadline = Date.now() + Math.min(Math.max(request.maxWaitMs, 0), maxWaitMsCap);
    const maxBytes = version >= 3 ? request.maxBytes : 0x7fff_ffff;
    for (;;) {
      const seen = targets.map((t) => context.controlBlock.changeCount(t.slot));
      const { bytes, failed } = readAll(context, targets, maxBytes,
        request.isolationLevel === READ_COMMITTED);
      const remainingMs = deadline - Date.now();
      if (bytes >= request.minBytes || failed || remainingMs <= 0 || targets.length === 0 ||
        context.isClosed) {
        break;
      }
      await context.waitForChange(targets.map((t) => t.slot), seen, remainingMs);
    }
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses, nodeEndpoints: [] };
  },
});

/** Fills every target's response; returns the record bytes and whether any partition failed. */
function readAll(context: DoorContext, targets: Target[], maxBytes: number,
  committed: boolean): { bytes: number; failed: boolean } {
  let bytes = 0;
  let failed = false;
  for (const target of targets) {
    // Past max_bytes a partition still reports its offsets, without records.
    const room = maxBytes - bytes;
    readPartition(context, target, room <= 0 && bytes > 0 ? 0 : Math.max(room, 1), committed);
    bytes += target.response.records?.length ?? 0;
    if (target.response.errorCode !== 0) failed = true;
  }
  return { bytes, failed };
}

/**
 * Fills one partition's response: offsets always, records within `roomBytes` (0: none), up to
 * the last stable offset when `committed` (read_committed) with the aborted transactions they
 * overlap.
 */
function readPartition(context: DoorContext, target: Target, roomBytes: number,
  committed: boolean): void {
  const block = context.controlBlock;
  // The LSO first: loaded before the high-watermark it never exceeds (control-block.ts).
  const lastStableOffset = block.lastStableOffset(target.slot);
  const highWatermark = block.highWatermark(target.slot);
  const logStartOffset = block.logStartOffset(target.slot);
  const upTo = committed ? lastStableOffset : highWatermark;
  const response = target.response;
  response.highWatermark = BigInt(highWatermark);
  response.lastStableOffset = BigInt(lastStableOffset);
  response.logStartOffset = BigInt(logStartOffset);
  response.records = emptyRecords;
  response.abortedTransactions = committed ? [] : null;
  response.errorCode = 0;
  if (target.fetchOffset < logStartOffset || target.fetchOffset > highWatermark) {
    response.errorCode = kafkaErrorCode('OFFSET_OUT_OF_RANGE');
    return;
  }
  if (target.fetchOffset >= upTo || roomBytes === 0) return;
  try {
    const partition = target.slot - target.topic.firstSlot;
    const reader = context.readers.get(target.topic.topic, target.topic.topicId, partition);
    const records = reader.read(target.fetchOffset,
      Math.min(target.partitionMaxBytes, roomBytes), upTo, logStartOffset);
    response.records = records;
    if (committed && records.length > 0) {
      response.abortedTransactions = readAbortedTransactions(
        context.readers.directoryOf(target.topic.topic, partition), target.fetchOffset,
        endOffsetOf(records)).map((aborted) => ({
        producerId: BigInt(aborted.producerId), firstOffset: BigInt(aborted.firstOffset),
      }));
    }
  } catch (error) {
    if (!(error instanceof MambaError)) throw error;
    response.errorCode = kafkaCodeOf(error.code);
  }
}

/** The offset after the last batch of a read. */
function endOffsetOf(records: Uint8Array): number {
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let end = 0;
  for (let at = 0; at < records.length; at += batchSizeBytesAt(view, at)) {
    end = Number(view.getBigInt64(at)) + view.getInt32(at + LAST_OFFSET_DELTA_OFFSET) + 1;
  }
  return end;
}

function partitionData(partitionIndex: number, errorCode: number): PartitionData {
  return {
    partitionIndex, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: null, preferredReadReplica: -1, records: emptyRecords,
  };
}
