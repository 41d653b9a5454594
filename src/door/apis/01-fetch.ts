/**
 * Fetch (key 1). Records are served straight from the segment mappings (zero-copy views the
 * response writer passes to the socket as they are), bounded by the high-watermark the actors
 * publish, with Kafka's rules: the first batch whole even when it exceeds max_bytes, exact
 * high-watermark and log start, OFFSET_OUT_OF_RANGE below the log start or past the
 * high-watermark. While fewer than min_bytes are ready the request waits (up to max_wait) for
 * any of its partitions' change counters to move. Sessions are not kept (session id 0): every
 * fetch names its partitions, as kafkajs and librdkafka do. Topic IDs from v13. A topic the
 * principal may not Read answers TOPIC_AUTHORIZATION_FAILED for each partition.
 */
import { MambaError } from '../../errors.js';
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
      const { bytes, failed } = readAll(context, targets, maxBytes);
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
function readAll(context: DoorContext, targets: Target[],
  maxBytes: number): { bytes: number; failed: boolean } {
  let bytes = 0;
  let failed = false;
  for (const target of targets) {
    // Past max_bytes a partition still reports its offsets, without records.
    const room = maxBytes - bytes;
    readPartition(context, target, room <= 0 && bytes > 0 ? 0 : Math.max(room, 1));
    bytes += target.response.records?.length ?? 0;
    if (target.response.errorCode !== 0) failed = true;
  }
  return { bytes, failed };
}

/** Fills one partition's response: offsets always, records within `roomBytes` (0: none). */
function readPartition(context: DoorContext, target: Target, roomBytes: number): void {
  const block = context.controlBlock;
  const highWatermark = block.highWatermark(target.slot);
  const logStartOffset = block.logStartOffset(target.slot);
  const response = target.response;
  response.highWatermark = BigInt(highWatermark);
  response.lastStableOffset = BigInt(highWatermark);
  response.logStartOffset = BigInt(logStartOffset);
  response.records = emptyRecords;
  response.errorCode = 0;
  if (target.fetchOffset < logStartOffset || target.fetchOffset > highWatermark) {
    response.errorCode = kafkaErrorCode('OFFSET_OUT_OF_RANGE');
    return;
  }
  if (target.fetchOffset === highWatermark || roomBytes === 0) return;
  try {
    const reader = context.readers.get(target.topic.topic, target.topic.topicId,
      target.slot - target.topic.firstSlot);
    response.records = reader.read(target.fetchOffset,
      Math.min(target.partitionMaxBytes, roomBytes), highWatermark, logStartOffset);
  } catch (error) {
    if (!(error instanceof MambaError)) throw error;
    response.errorCode = kafkaCodeOf(error.code);
  }
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
