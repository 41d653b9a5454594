/**
 * Kafka topic configuration names and Mamba's topic options: what CreateTopics accepts and
 * DescribeConfigs reports. Only settings Mamba has are accepted; any other name is an
 * INVALID_CONFIG error, so a client never believes a setting took effect when it did not.
 */
import { MambaError, invalidConfig } from '../errors.js';
import { batchSizeBytesMax } from '../constants.js';
import type { CleanupPolicy, TopicConfig, TopicOptions } from '../options.js';

type NumericOption =
  | 'retentionMs' | 'retentionBytes' | 'segmentBytes' | 'segmentMs' | 'deleteRetentionMs'
  | 'minCleanableDirtyRatio';

const numeric: Record<string, NumericOption> = {
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'segment.bytes': 'segmentBytes',
  'segment.ms': 'segmentMs',
  'delete.retention.ms': 'deleteRetentionMs',
  'min.cleanable.dirty.ratio': 'minCleanableDirtyRatio',
};

/** Kafka's `cleanup.policy` values (a list, in any order) and Mamba's policy for each. */
function cleanupPolicyFrom(value: string | null): CleanupPolicy {
  const parts = (value ?? '').split(',').map((part) => part.trim()).sort();
  const joined = parts.join(',');
  if (joined === 'delete') return 'delete';
  if (joined === 'compact') return 'compact';
  if (joined === 'compact,delete') return 'compact,delete';
  throw invalidConfig('cleanup.policy', value, "'delete', 'compact' or 'compact,delete'");
}

/** Topic options from CreateTopics' config entries (values checked later, by the broker). */
export function topicOptionsFrom(partitions: number,
  entries: ReadonlyArray<{ name: string; value: string | null }>): TopicOptions {
  const options: TopicOptions = { partitions };
  for (const { name, value } of entries) {
    if (name === 'cleanup.policy') {
      options.cleanupPolicy = cleanupPolicyFrom(value);
      continue;
    }
    const option = numeric[name];
    if (option === undefined) {
      throw new MambaError('INVALID_CONFIG', `topic config ${name} is not supported by Mamba`,
        { detail: { option: name, value } });
    }
    const number = Number(value);
    if (option === 'minCleanableDirtyRatio') {
      if (value === null || !Number.isFinite(number)) throw invalidConfig(name, value, 'a number');
    } else if (value === null || !Number.isSafeInteger(number)) {
      throw invalidConfig(name, value, 'an integer');
    }
    options[option] = number;
  }
  return options;
}

/** A topic's configuration under Kafka's names, as strings. */
export function kafkaTopicConfigs(config: TopicConfig): Array<[string, string]> {
  return [
    ['cleanup.policy', config.cleanupPolicy],
    ['compression.type', 'producer'],
    ['delete.retention.ms', String(config.deleteRetentionMs)],
    ['max.message.bytes', String(batchSizeBytesMax)],
    ['min.cleanable.dirty.ratio', String(config.minCleanableDirtyRatio)],
    ['retention.bytes', String(config.retentionBytes)],
    ['retention.ms', String(config.retentionMs)],
    ['segment.bytes', String(config.segmentBytes)],
    ['segment.ms', String(config.segmentMs)],
  ];
}
