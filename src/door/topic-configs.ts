/**
 * Kafka topic configuration names and Mamba's topic options: what CreateTopics accepts and
 * DescribeConfigs reports. Only settings Mamba has are accepted; any other name is an
 * INVALID_CONFIG error, so a client never believes a setting took effect when it did not.
 */
import { MambaError, invalidConfig } from '../errors.js';
import { batchSizeBytesMax } from '../constants.js';
import type { TopicConfig, TopicOptions } from '../options.js';

type NumericOption = 'retentionMs' | 'retentionBytes' | 'segmentBytes' | 'segmentMs';

const numeric: Record<string, NumericOption> = {
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'segment.bytes': 'segmentBytes',
  'segment.ms': 'segmentMs',
};

/** Topic options from CreateTopics' config entries (values checked later, by the broker). */
export function topicOptionsFrom(partitions: number,
  entries: ReadonlyArray<{ name: string; value: string | null }>): TopicOptions {
  const options: TopicOptions = { partitions };
  for (const { name, value } of entries) {
    if (name === 'cleanup.policy' && value === 'delete') continue;
    const option = numeric[name];
    if (option === undefined) {
      throw new MambaError('INVALID_CONFIG', `topic config ${name} is not supported by Mamba`,
        { detail: { option: name, value } });
    }
    const number = Number(value);
    if (value === null || !Number.isSafeInteger(number)) {
      throw invalidConfig(name, value, 'an integer');
    }
    options[option] = number;
  }
  return options;
}

/** A topic's configuration under Kafka's names, as strings. */
export function kafkaTopicConfigs(config: TopicConfig): Array<[string, string]> {
  return [
    ['cleanup.policy', 'delete'],
    ['compression.type', 'producer'],
    ['max.message.bytes', String(batchSizeBytesMax)],
    ['retention.bytes', String(config.retentionBytes)],
    ['retention.ms', String(config.retentionMs)],
    ['segment.bytes', String(config.segmentBytes)],
    ['segment.ms', String(config.segmentMs)],
  ];
}
