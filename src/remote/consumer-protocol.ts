/**
 * Kafka's ConsumerProtocol: the bytes consumer-group members exchange through the
 * coordinator, which never reads them. Classic (non-flexible) encoding:
 *
 * ```
 * Subscription v0: [version i16][topics: i32 count, string16 each][userData: bytes32]
 * Assignment   v0: [version i16][topics: i32 count, {string16 topic, i32 count, i32 each}]
 *                  [userData: bytes32]
 * ```
 * Later versions append fields (owned partitions, generation, rack); readers of any version
 * read the fields above and ignore the rest, so this client writes v0 and reads any.
 */
import type { TopicPartition } from '../coordinator/index.js';
import { KafkaReader, KafkaWriter } from '../protocol/index.js';

const VERSION = 0;

export function encodeSubscription(topics: readonly string[]): Uint8Array {
  const writer = new KafkaWriter();
  writer.int16(VERSION);
  writer.int32(topics.length);
  for (const topic of topics) writer.string(topic, false);
  writer.bytes(null, false);
  return writer.toBytes();
}

export function decodeSubscription(bytes: Uint8Array): string[] {
  const reader = new KafkaReader(bytes);
  reader.int16();
  const count = reader.arrayCount(false);
  const topics: string[] = [];
  for (let i = 0; i < count; i++) topics.push(reader.string(false) ?? '');
  return topics;
}

export function encodeAssignment(partitions: readonly TopicPartition[]): Uint8Array {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  }
  const writer = new KafkaWriter();
  writer.int16(VERSION);
  writer.int32(byTopic.size);
  for (const [topic, list] of byTopic) {
    writer.string(topic, false);
    writer.int32(list.length);
    for (const partition of list) writer.int32(partition);
  }
  writer.bytes(null, false);
  return writer.toBytes();
}

/** An empty assignment (a member given nothing may get zero bytes) is no partitions. */
export function decodeAssignment(bytes: Uint8Array): TopicPartition[] {
  if (bytes.length === 0) return [];
  const reader = new KafkaReader(bytes);
  reader.int16();
  const topicCount = reader.arrayCount(false);
  const partitions: TopicPartition[] = [];
  for (let t = 0; t < topicCount; t++) {
    const topic = reader.string(false) ?? '';
    const count = reader.arrayCount(false);
    for (let i = 0; i < count; i++) partitions.push({ topic, partition: reader.int32() });
  }
  return partitions;
}
