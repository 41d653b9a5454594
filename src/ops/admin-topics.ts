/**
 * `mamba topics alter` on a data directory no broker runs on: the topic's configuration is
 * rewritten in the manifest (the manifest's own atomic replace), and the next broker to open
 * the directory runs the topic with it. The caller holds the directory's lock.
 *
 * What can change: retention.ms, retention.bytes, segment.bytes, segment.ms (Kafka's names,
 * ../door/topic-configs.ts), and the partition count upwards when the slots after the topic's
 * last one are free (a topic's partitions are consecutive slots, supervisor/topic-registry.ts).
 */
import { MambaError, invalidConfig } from '../errors.js';
import { partitionsPerBrokerMax } from '../constants.js';
import { resolveTopicOptions, type TopicConfig } from '../options.js';
import { topicOptionsFrom } from '../door/index.js';
import { readManifest, writeManifest } from '../supervisor/index.js';

export interface TopicChanges {
  partitions?: number;
  configs: Array<{ name: string; value: string }>;
}

/** Applies `changes` to the topic in the manifest; returns the old and new configuration. */
export function alterTopicOffline(dataDir: string, topic: string, changes: TopicChanges):
  { before: TopicConfig; after: TopicConfig } {
  const manifest = readManifest(dataDir);
  const record = manifest.topics.find((t) => t.name === topic);
  if (record === undefined) {
    throw new MambaError('UNKNOWN_TOPIC', `unknown topic ${JSON.stringify(topic)}`,
      { detail: { topic } });
  }
  const before = record.config;
  const partitions = changes.partitions ?? before.partitions;
  const { partitions: _, ...changed } = topicOptionsFrom(partitions, changes.configs);
  const after = resolveTopicOptions({ ...before, ...changed, partitions },
    before.maxRecordBytes);
  if (after.partitions < before.partitions) {
    throw invalidConfig('--partitions', after.partitions,
      `at least the topic's ${before.partitions} partitions (partitions are never removed)`);
  }
  const end = record.firstSlot + after.partitions;
  const clash = manifest.topics.find((t) => t !== record && t.firstSlot < end &&
    t.firstSlot + t.config.partitions > record.firstSlot);
  if (clash !== undefined || end > partitionsPerBrokerMax) {
    throw invalidConfig('--partitions', after.partitions, 'a count whose partition slots are ' +
      `free (topic ${clash?.name ?? '(the limit)'} uses the slots after ${topic}'s)`);
  }
  writeManifest(dataDir, {
    ...manifest,
    topics: manifest.topics.map((t) => (t === record ? { ...t, config: after } : t)),
  });
  return { before, after };
}
