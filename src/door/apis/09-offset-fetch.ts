/**
 * OffsetFetch (key 9): a group's committed offsets, in any group state; -1 where none was
 * committed. v0–7 ask for one group (all of its topics when the list is null, v2+), v8+ for a
 * batch of groups. Leader epochs are always -1 (the door advertises none); the metadata is what
 * the commit stored ('' for none).
 */
import type { TopicPartition } from '../../coordinator/index.js';
import {
  ApiKey, kafkaErrorCode, type OffsetFetchRequest, type OffsetFetchResponse,
} from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import { apiHandler } from './api-handler.js';
import { callGroups, isValidGroupId } from './group-call.js';

type Group = OffsetFetchResponse['groups'][0];
type WantedTopics = Array<{ name: string; partitionIndexes: number[] }> | null;

export const offsetFetchHandler = apiHandler<OffsetFetchRequest, OffsetFetchResponse>({
  apiKey: ApiKey.OFFSET_FETCH,
  versions: [0, 9],
  async handle(context, request, version) {
    if (version >= 8) {
      const groups: Group[] = [];
      for (const group of request.groups) {
        groups.push(await fetchGroup(context, group.groupId, group.topics));
      }
      return { throttleTimeMs: 0, topics: [], errorCode: 0, groups };
    }
    const group = await fetchGroup(context, request.groupId, request.topics);
    return { throttleTimeMs: 0, topics: group.topics, errorCode: group.errorCode, groups: [] };
  },
});

async function fetchGroup(context: DoorContext, groupId: string,
  topics: WantedTopics): Promise<Group> {
  // Describe on the group; topics the principal may not Describe are left out of "all" and
  // answer TOPIC_AUTHORIZATION_FAILED when named (Kafka's rules).
  if (!context.allowsGroup('Describe', groupId)) {
    return { groupId, topics: [], errorCode: kafkaErrorCode('GROUP_AUTHORIZATION_FAILED') };
  }
  if (!isValidGroupId(groupId)) {
    return { groupId, topics: [], errorCode: kafkaErrorCode('INVALID_GROUP_ID') };
  }
  const partitions: TopicPartition[] | null = topics === null ? null : topics.flatMap(
    (t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
  const entries = await callGroups(context, { type: 'fetch-offsets', groupId, partitions });
  const byTopic = new Map<string, Group['topics'][0]>();
  for (const entry of entries) {
    if (!context.allowsTopic('Describe', entry.topic)) continue;
    let topic = byTopic.get(entry.topic);
    if (topic === undefined) {
      topic = { name: entry.topic, partitions: [] };
      byTopic.set(entry.topic, topic);
    }
    topic.partitions.push({
      partitionIndex: entry.partition, committedOffset: BigInt(entry.offset),
      committedLeaderEpoch: -1, metadata: entry.metadata ?? '', errorCode: 0,
    });
  }
  // Topics asked for with no partitions still get their (empty) entry back.
  for (const t of topics ?? []) {
    if (!context.allowsTopic('Describe', t.name)) {
      byTopic.set(t.name, { name: t.name, partitions: t.partitionIndexes.map((index) => ({
        partitionIndex: index, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '',
        errorCode: kafkaErrorCode('TOPIC_AUTHORIZATION_FAILED'),
      })) });
    } else if (!byTopic.has(t.name)) {
      byTopic.set(t.name, { name: t.name, partitions: [] });
    }
  }
  return { groupId, topics: [...byTopic.values()], errorCode: 0 };
}
