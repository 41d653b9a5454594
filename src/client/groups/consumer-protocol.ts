/**
 * Kafka's ConsumerProtocol: the bytes consumers of protocol type `consumer` put in JoinGroup
 * (a subscription: the topics, per assignor) and SyncGroup (an assignment: topic → partitions).
 * The coordinator passes them through unread; members decode each other's, which is what lets
 * an embedded member and a kafkajs or librdkafka member share a group, whichever is the leader.
 *
 * Layout: `int16 version`, then the message at that version (schema/kafka/ConsumerProtocol*.json;
 * versions 0–3, never flexible). Later versions only append fields, and Mamba needs only the
 * version 0 ones (topics; assigned partitions), so whatever the version, the bytes are read as
 * version 0 and the rest is ignored. That is also what copes with kafkajs, which labels its
 * subscriptions version 1 but writes only the version 0 fields. Mamba writes version 0.
 */
import type { TopicPartition } from '../../coordinator/index.js';
import {
  ConsumerProtocolAssignmentSchema, ConsumerProtocolSubscriptionSchema, KafkaReader,
  KafkaWriter, readMessage, writeMessage, type ConsumerProtocolAssignment,
  type ConsumerProtocolSubscription, type MessageSchema,
} from '../../protocol/index.js';

const WRITTEN_VERSION = 0;

export function encodeSubscription(topics: readonly string[]): Uint8Array {
  return encode(ConsumerProtocolSubscriptionSchema, {
    topics: [...topics], userData: null, ownedPartitions: [], generationId: -1, rackId: null,
  } satisfies ConsumerProtocolSubscription);
}

/** The topics a member subscribes to. */
export function decodeSubscription(bytes: Uint8Array): string[] {
  return decode<ConsumerProtocolSubscription>(ConsumerProtocolSubscriptionSchema, bytes).topics;
}

export function encodeAssignment(partitions: readonly TopicPartition[]): Uint8Array {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions) {
    let list = byTopic.get(tp.topic);
    if (list === undefined) byTopic.set(tp.topic, list = []);
    list.push(tp.partition);
  }
  return encode(ConsumerProtocolAssignmentSchema, {
    assignedPartitions: [...byTopic].map(([topic, list]) => ({ topic, partitions: list })),
    userData: null,
  } satisfies ConsumerProtocolAssignment);
}

/** The partitions assigned; empty bytes (a member the leader left out) assign none. */
export function decodeAssignment(bytes: Uint8Array): TopicPartition[] {
  if (bytes.length === 0) return [];
  const assignment = decode<ConsumerProtocolAssignment>(ConsumerProtocolAssignmentSchema, bytes);
  return assignment.assignedPartitions.flatMap((t) =>
    t.partitions.map((partition) => ({ topic: t.topic, partition })));
}

function encode(schema: MessageSchema, value: object): Uint8Array {
  const writer = new KafkaWriter();
  writer.int16(WRITTEN_VERSION);
  writeMessage(schema, WRITTEN_VERSION, value, writer);
  return writer.toBytes();
}

function decode<T>(schema: MessageSchema, bytes: Uint8Array): T {
  const reader = new KafkaReader(bytes);
  reader.int16();
  return readMessage<T>(schema, WRITTEN_VERSION, reader);
}
