/**
 * Finding the topic a request names, creating it first when auto-creation is on and the
 * request allows it (Metadata's allow_auto_topic_creation, Produce). Concurrent requests for
 * the same missing topic share one creation.
 */
import { MambaError } from '../../errors.js';
import { validateTopicName } from '../../options.js';
import { kafkaCodeOf, kafkaErrorCode } from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import type { TopicView } from '../topic-cache.js';

export type TopicResult = { topic: TopicView } | { errorCode: number; message: string };

const creations = new Map<string, Promise<void>>();

export async function findTopic(context: DoorContext, name: string,
  allowCreate: boolean): Promise<TopicResult> {
  const found = await context.topics.lookup(name);
  if (found !== undefined) return { topic: found };
  try {
    validateTopicName(name);
  } catch (error) {
    return { errorCode: kafkaErrorCode('INVALID_TOPIC_EXCEPTION'), message: messageOf(error) };
  }
  if (!allowCreate || !context.config.autoCreateTopics) {
    return {
      errorCode: kafkaErrorCode('UNKNOWN_TOPIC_OR_PARTITION'),
      message: `unknown topic ${JSON.stringify(name)}`,
    };
  }
  try {
    await createOnce(context, name);
  } catch (error) {
    if (!MambaError.is(error, 'TOPIC_EXISTS')) {
      return { errorCode: codeOf(error), message: messageOf(error) };
    }
  }
  const created = await context.topics.lookup(name);
  if (created !== undefined) return { topic: created };
  return { errorCode: kafkaErrorCode('LEADER_NOT_AVAILABLE'), message: 'topic being created' };
}

function createOnce(context: DoorContext, name: string): Promise<void> {
  let creation = creations.get(name);
  if (creation === undefined) {
    creation = context.broker.call({
      kind: 'create-topic', name, options: { partitions: context.config.defaultPartitions },
    }).then(() => undefined).finally(() => creations.delete(name));
    creations.set(name, creation);
  }
  return creation;
}

export function codeOf(error: unknown): number {
  return error instanceof MambaError ? kafkaCodeOf(error.code) :
    kafkaErrorCode('UNKNOWN_SERVER_ERROR');
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
