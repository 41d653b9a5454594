/**
 * OffsetCommit (key 8): a group's committed offsets, stored by the broker's offset store (the
 * one embedded consumers commit to). The coordinator checks member, generation and state
 * (coordinator/classic-group.ts); this handler checks each partition exists. Leader epochs and
 * commit metadata are not kept (OffsetFetch answers -1 and ""), nor retention times: offsets
 * stay until the group or the topic is deleted.
 */
import type { OffsetEntry } from '../../coordinator/index.js';
import {
  ApiKey, kafkaErrorCode, type OffsetCommitRequest, type OffsetCommitResponse,
} from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import { apiHandler } from './api-handler.js';
import { callGroups, errorCodeOf, isValidGroupId } from './group-call.js';

type Topic = OffsetCommitRequest['topics'][0];
type TopicResult = OffsetCommitResponse['topics'][0];

export const offsetCommitHandler = apiHandler<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: ApiKey.OFFSET_COMMIT,
  versions: [0, 9],
  async handle(context, request) {
    const results: TopicResult[] = [];
    const entries: OffsetEntry[] = [];
    /** Where each valid entry's error goes once the coordinator has answered. */
    const pending: Array<{ errorCode: number }> = [];
    for (const topic of request.topics) {
      results.push(await checkTopic(context, topic, entries, pending));
    }
    if (!isValidGroupId(request.groupId)) {
      for (const partition of pending) partition.errorCode = kafkaErrorCode('INVALID_GROUP_ID');
    } else if (entries.length > 0) {
      const error = await callGroups(context, {
        type: 'commit', groupId: request.groupId, entries, member: {
          memberId: request.memberId, instanceId: request.groupInstanceId,
          generation: request.generationIdOrMemberEpoch,
        },
      });
      for (const partition of pending) partition.errorCode = errorCodeOf(error);
    }
    return { throttleTimeMs: 0, topics: results };
  },
});

async function checkTopic(context: DoorContext, topic: Topic, entries: OffsetEntry[],
  pending: Array<{ errorCode: number }>): Promise<TopicResult> {
  const found = await context.topics.lookup(topic.name);
  const result: TopicResult = { name: topic.name, partitions: [] };
  for (const partition of topic.partitions) {
    const answer = { partitionIndex: partition.partitionIndex, errorCode: 0 };
    result.partitions.push(answer);
    const offset = partition.committedOffset;
    if (found === undefined || partition.partitionIndex < 0 ||
      partition.partitionIndex >= found.partitionCount) {
      answer.errorCode = kafkaErrorCode('UNKNOWN_TOPIC_OR_PARTITION');
    } else if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) {
      answer.errorCode = kafkaErrorCode('OFFSET_OUT_OF_RANGE');
    } else {
      entries.push({ topic: topic.name, partition: partition.partitionIndex,
        offset: Number(offset) });
      pending.push(answer);
    }
  }
  return result;
}
