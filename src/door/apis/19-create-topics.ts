/**
 * CreateTopics (key 19). -1 partitions means the broker's `defaultPartitions`; the replication
 * factor must be -1 or 1 (one host); manual assignments are refused. TOPIC_ALREADY_EXISTS for a
 * topic that exists (kafkajs admin then returns false). validate_only checks without creating.
 */
import { MambaError } from '../../errors.js';
import { resolveTopicOptions, validateTopicName } from '../../options.js';
import {
  ApiKey, kafkaErrorCode, type CreateTopicsRequest, type CreateTopicsResponse,
} from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import { topicOptionsFrom } from '../topic-configs.js';
import { apiHandler } from './api-handler.js';
import { codeOf, messageOf } from './topic-access.js';

type Topic = CreateTopicsRequest['topics'][0];
type Result = CreateTopicsResponse['topics'][0];

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const createTopicsHandler = apiHandler<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: ApiKey.CREATE_TOPICS,
  versions: [0, 7],
  async handle(context, request) {
    const topics: Result[] = [];
    for (const topic of request.topics) topics.push(await create(context, topic, request));
    return { throttleTimeMs: 0, topics };
  },
});

async function create(context: DoorContext, topic: Topic,
  request: CreateTopicsRequest): Promise<Result> {
  const partitions = topic.numPartitions === -1 ? context.config.defaultPartitions :
    topic.numPartitions;
  const result = (errorCode: number, errorMessage: string | null): Result => ({
    name: topic.name, topicId: ZERO_UUID, errorCode, errorMessage, topicConfigErrorCode: 0,
    numPartitions: partitions, replicationFactor: 1, configs: null,
  });
  if (!context.allowsCreate(topic.name)) {
    return result(kafkaErrorCode('TOPIC_AUTHORIZATION_FAILED'),
      'Create on the cluster or the topic is needed');
  }
  if (topic.replicationFactor !== -1 && topic.replicationFactor !== 1) {
    return result(kafkaErrorCode('INVALID_REPLICATION_FACTOR'),
      'a single-host broker keeps one replica');
  }
  if (topic.assignments.length > 0) {
    return result(kafkaErrorCode('INVALID_REQUEST'), 'manual replica assignment is not supported');
  }
  try {
    validateTopicName(topic.name);
  } catch (error) {
    return result(kafkaErrorCode('INVALID_TOPIC_EXCEPTION'), messageOf(error));
  }
  try {
    const options = topicOptionsFrom(partitions, topic.configs);
    resolveTopicOptions(options);
    if (await context.topics.lookup(topic.name) !== undefined) {
      return result(kafkaErrorCode('TOPIC_ALREADY_EXISTS'), `topic ${topic.name} exists`);
    }
    if (!request.validateOnly) {
      await context.broker.call({ kind: 'create-topic', name: topic.name, options });
    }
  } catch (error) {
    const invalidPartitions = MambaError.is(error, 'INVALID_CONFIG') &&
      error.detail?.option === 'options.partitions';
    return result(invalidPartitions ? kafkaErrorCode('INVALID_PARTITIONS') : codeOf(error),
      messageOf(error));
  }
  const created = await context.topics.lookup(topic.name);
  return { ...result(0, null), topicId: created?.uuid ?? ZERO_UUID };
}
