/**
 * OffsetCommit (key 8): a group's committed offsets, stored by the broker's offset store (the
 * one embedded consumers commit to). The coordinator checks member, generation and state
 * (coordinator/classic-group.ts); this handler checks each partition exists. Commit metadata is
 * stored with the offset (at most `offsetMetadataBytesMax`, 4096 bytes, Kafka's default: a
 * longer one fails its partition with OFFSET_METADATA_TOO_LARGE) and OffsetFetch answers it.
 * Leader epochs are not kept (OffsetFetch answers -1), nor retention times: offsets stay until
 * the group or the topic is deleted.
 *
 * Kafka stores any offset, and kafkajs's admin `resetOffsets` commits the sentinels -2
 * (earliest) and -1 (latest) for its consumers to resolve later. Mamba's offset store keeps
 * real offsets only, so the sentinels are resolved here, at commit time, to the partition's log
 * start and high-watermark; other negative offsets are refused.
 */
import { offsetMetadataBytesMax } from '../../constants.js';
import type { OffsetEntry } from '../../coordinator/index.js';
import {
  ApiKey, kafkaErrorCode, type OffsetCommitRequest, type OffsetCommitResponse,
} from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import { apiHandler } from './api-handler.js';
import { callGroups, errorCodeOf, isValidGroupId } from './group-call.js';
import { codeOf } from './topic-access.js';

type Topic = OffsetCommitRequest['topics'][0];

const EARLIEST = -2n;
const LATEST = -1n;
type TopicResult = OffsetCommitResponse['topics'][0];

export const offsetCommitHandler = apiHandler<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: ApiKey.OFFSET_COMMIT,
  versions: [0, 9],
  async handle(context, request) {
    const results: TopicResult[] = [];
    const entries: OffsetEntry[] = [];
    /** Where each valid entry's error goes once the coordinator has answered. */
    const pending: Array<{ errorCode: number }> = [];
    // Read on the group, then Read on each topic (Kafka's order and codes).
    const groupAllowed = context.allowsGroup('Read', request.groupId);
    for (const topic of request.topics) {
      results.push(groupAllowed && !context.allowsTopic('Read', topic.name) ?
        refuseTopic(topic, kafkaErrorCode('TOPIC_AUTHORIZATION_FAILED')) :
        await checkTopic(context, topic, entries, pending));
    }
    if (!groupAllowed) {
      for (const result of results) {
        for (const partition of result.partitions) {
          partition.errorCode = kafkaErrorCode('GROUP_AUTHORIZATION_FAILED');
        }
      }
    } else if (!isValidGroupId(request.groupId)) {
      for (const partition of pending) partition.errorCode = kafkaErrorCode('INVALID_GROUP_ID');
    } else if (entries.length > 0) {
      let errorCode: number;
      try {
        errorCode = errorCodeOf(await callGroups(context, {
          type: 'commit', groupId: request.groupId, entries, member: {
            memberId: request.memberId, instanceId: request.groupInstanceId,
            generation: request.generationIdOrMemberEpoch,
          },
        }));
      } catch (error) {
        // The offset store failed (full disk, I/O error): the commit is refused, the
        // connection stays.
        errorCode = codeOf(error);
      }
      for (const partition of pending) partition.errorCode = errorCode;
    }
    return { throttleTimeMs: 0, topics: results };
  },
});

function refuseTopic(topic: Topic, errorCode: number): TopicResult {
  return {
    name: topic.name,
    partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  };
}

async function checkTopic(context: DoorContext, topic: Topic, entries: OffsetEntry[],
  pending: Array<{ errorCode: number }>): Promise<TopicResult> {
  const found = await context.topics.lookup(topic.name);
  const result: TopicResult = { name: topic.name, partitions: [] };
  for (const partition of topic.partitions) {
    const answer = { partitionIndex: partition.partitionIndex, errorCode: 0 };
    result.partitions.push(answer);
    if (found === undefined || partition.partitionIndex < 0 ||
      partition.partitionIndex >= found.partitionCount) {
      answer.errorCode = kafkaErrorCode('UNKNOWN_TOPIC_OR_PARTITION');
      continue;
    }
    let offset = partition.committedOffset;
    if (offset === EARLIEST || offset === LATEST) {
      const slot = found.firstSlot + partition.partitionIndex;
      offset = BigInt(offset === EARLIEST ? context.controlBlock.logStartOffset(slot) :
        context.controlBlock.highWatermark(slot));
    }
    const metadata = partition.committedMetadata ?? '';
    if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) {
      answer.errorCode = kafkaErrorCode('OFFSET_OUT_OF_RANGE');
    } else if (Buffer.byteLength(metadata) > offsetMetadataBytesMax) {
      answer.errorCode = kafkaErrorCode('OFFSET_METADATA_TOO_LARGE');
    } else {
      entries.push({ topic: topic.name, partition: partition.partitionIndex,
        offset: Number(offset), ...(metadata === '' ? {} : { metadata }) });
      pending.push(answer);
    }
  }
  return result;
}
