/**
 * Metadata (key 3): one broker (this node, at the advertised address), which leads every
 * partition with itself as the only replica. Leader epochs are -1, so clients skip leader-epoch
 * validation (Mamba serves no OffsetForLeaderEpoch). Topics a client names are auto-created
 * when the broker allows it and the request does (allow_auto_topic_creation, v4+).
 * In v0 an empty topic list means every topic; from v1 null does. From v10 topics carry their
 * UUID, and from v12 a request may name topics by UUID alone.
 *
 * With authorization on, a principal sees only the topics it may Describe: the others are left
 * out of "every topic", and a topic named in the request answers TOPIC_AUTHORIZATION_FAILED.
 * Auto-creation needs Create on the cluster or the topic (else UNKNOWN_TOPIC_OR_PARTITION).
 */
import {
  ApiKey, kafkaErrorCode, type MetadataRequest, type MetadataResponse,
} from '../../protocol/index.js';
import type { DoorContext } from '../door-context.js';
import { CLUSTER_ID, NODE_ID } from '../door-context.js';
import type { TopicView } from '../topic-cache.js';
import { apiHandler } from './api-handler.js';
import { findTopic } from './topic-access.js';

type TopicResponse = MetadataResponse['topics'][0];

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
/** Kafka's "authorized operations not asked for". */
const OPERATIONS_OMITTED = -2147483648;

export const metadataHandler = apiHandler<MetadataRequest, MetadataResponse>({
  apiKey: ApiKey.METADATA,
  versions: [0, 12],
  async handle(context, request, version) {
    const everything = request.topics === null || (version === 0 && request.topics.length === 0);
    const allowCreate = version < 4 || request.allowAutoTopicCreation;
    const topics = everything ? (await context.topics.all())
      .filter((t) => context.allowsTopic('Describe', t.topic)).map(describe) :
      await Promise.all(request.topics!.map((t) => describeRequested(context, t, allowCreate)));
    return {
      throttleTimeMs: 0,
      brokers: [{
        nodeId: NODE_ID, host: context.advertised.host, port: context.advertised.port, rack: null,
      }],
      clusterId: CLUSTER_ID, controllerId: NODE_ID, topics,
      clusterAuthorizedOperations: OPERATIONS_OMITTED,
    };
  },
});

async function describeRequested(context: DoorContext,
  requested: { name: string | null; topicId: string }, allowCreate: boolean):
  Promise<TopicResponse> {
  const unauthorized = kafkaErrorCode('TOPIC_AUTHORIZATION_FAILED');
  if (requested.name === null) {
    const topic = await context.topics.lookupByUuid(requested.topicId);
    if (topic === undefined) {
      return failed(null, requested.topicId, kafkaErrorCode('UNKNOWN_TOPIC_ID'));
    }
    if (!context.allowsTopic('Describe', topic.topic)) {
      return failed(null, requested.topicId, unauthorized);
    }
    return describe(topic);
  }
  if (!context.allowsTopic('Describe', requested.name)) {
    return failed(requested.name, ZERO_UUID, unauthorized);
  }
  const found = await findTopic(context, requested.name,
    allowCreate && context.allowsCreate(requested.name));
  if ('errorCode' in found) return failed(requested.name, ZERO_UUID, found.errorCode);
  return describe(found.topic);
}

function describe(topic: TopicView): TopicResponse {
  return {
    errorCode: 0, name: topic.topic, topicId: topic.uuid, isInternal: false,
    partitions: Array.from({ length: topic.partitionCount }, (_, partitionIndex) => ({
      errorCode: 0, partitionIndex, leaderId: NODE_ID, leaderEpoch: -1,
      replicaNodes: [NODE_ID], isrNodes: [NODE_ID], offlineReplicas: [],
    })),
    topicAuthorizedOperations: OPERATIONS_OMITTED,
  };
}

function failed(name: string | null, topicId: string, errorCode: number): TopicResponse {
  return {
    errorCode, name, topicId, isInternal: false, partitions: [],
    topicAuthorizedOperations: OPERATIONS_OMITTED,
  };
}
