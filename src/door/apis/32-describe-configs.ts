/**
 * DescribeConfigs (key 32), enough for kafkajs admin: a topic's settings under Kafka's names
 * (topic-configs.ts), and an empty set for the broker resource.
 */
import {
  ApiKey, kafkaErrorCode, type DescribeConfigsRequest, type DescribeConfigsResponse,
} from '../../protocol/index.js';
import { kafkaTopicConfigs } from '../topic-configs.js';
import { apiHandler } from './api-handler.js';

type Result = DescribeConfigsResponse['results'][0];

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
/** ConfigSource: DYNAMIC_TOPIC_CONFIG. */
const SOURCE_TOPIC = 1;
/** ConfigType: STRING. */
const TYPE_STRING = 2;

export const describeConfigsHandler = apiHandler<DescribeConfigsRequest,
  DescribeConfigsResponse>({
  apiKey: ApiKey.DESCRIBE_CONFIGS,
  versions: [0, 4],
  async handle(context, request) {
    const results: Result[] = [];
    for (const resource of request.resources) {
      const result: Result = {
        errorCode: 0, errorMessage: null, resourceType: resource.resourceType,
        resourceName: resource.resourceName, configs: [],
      };
      results.push(result);
      if (resource.resourceType === RESOURCE_BROKER) {
        if (!context.allowsCluster('DescribeConfigs')) {
          result.errorCode = kafkaErrorCode('CLUSTER_AUTHORIZATION_FAILED');
        }
        continue;
      }
      if (resource.resourceType === RESOURCE_TOPIC &&
        !context.allowsTopic('DescribeConfigs', resource.resourceName)) {
        result.errorCode = kafkaErrorCode('TOPIC_AUTHORIZATION_FAILED');
        continue;
      }
      const topic = resource.resourceType === RESOURCE_TOPIC ?
        await context.topics.lookup(resource.resourceName) : undefined;
      if (topic === undefined) {
        result.errorCode = kafkaErrorCode(resource.resourceType === RESOURCE_TOPIC ?
          'UNKNOWN_TOPIC_OR_PARTITION' : 'INVALID_REQUEST');
        continue;
      }
      const keys = resource.configurationKeys;
      result.configs = kafkaTopicConfigs(topic.info.config)
        .filter(([name]) => keys === null || keys.length === 0 || keys.includes(name))
        .map(([name, value]) => ({
          name, value, readOnly: false, isDefault: false, configSource: SOURCE_TOPIC,
          isSensitive: false, synonyms: [], configType: TYPE_STRING, documentation: null,
        }));
    }
    return { throttleTimeMs: 0, results };
  },
});
