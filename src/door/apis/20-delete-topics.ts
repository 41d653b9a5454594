/** DeleteTopics (key 20): by name (v0–5) or by name or UUID (v6+). */
import {
  ApiKey, kafkaErrorCode, type DeleteTopicsRequest, type DeleteTopicsResponse,
} from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import { apiHandler } from './api-handler.js';
import { codeOf, messageOf } from './topic-access.js';

type Result = DeleteTopicsResponse['responses'][0];

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const deleteTopicsHandler = apiHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  apiKey: ApiKey.DELETE_TOPICS,
  versions: [0, 6],
  async handle(context, request, version) {
    const wanted = version >= 6 ? request.topics :
      request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: Result[] = [];
    for (const topic of wanted) responses.push(await remove(context, topic));
    return { throttleTimeMs: 0, responses };
  },
});

async function remove(context: DoorContext,
  wanted: { name: string | null; topicId: string }): Promise<Result> {
  const topic = wanted.name !== null ? await context.topics.lookup(wanted.name) :
    await context.topics.lookupByUuid(wanted.topicId);
  const result = (errorCode: number, errorMessage: string | null): Result => ({
    name: wanted.name ?? topic?.topic ?? null, topicId: topic?.uuid ?? wanted.topicId,
    errorCode, errorMessage,
  });
  if (topic === undefined) {
    return result(kafkaErrorCode(wanted.name !== null ? 'UNKNOWN_TOPIC_OR_PARTITION' :
      'UNKNOWN_TOPIC_ID'), 'unknown topic');
  }
  if (!context.allowsTopic('Delete', topic.topic)) {
    return result(kafkaErrorCode('TOPIC_AUTHORIZATION_FAILED'), 'Delete on the topic is needed');
  }
  try {
    await context.broker.call({ kind: 'delete-topic', name: topic.topic });
    return result(0, null);
  } catch (error) {
    return result(codeOf(error), messageOf(error));
  }
}
