/**
 * The Kafka wire protocol: message tables generated from Kafka's JSON schemas, one reader and
 * one writer for every message in both directions, frames and headers, error codes.
 */
export * from './api-table.js';
export * from './error-code.js';
export * from './frames.js';
export { KafkaReader, malformed } from './kafka-reader.js';
export { KafkaWriter } from './kafka-writer.js';
export { defaultsOf, readMessage, writeMessage } from './message-codec.js';
export { inRange, type FieldSchema, type MessageSchema } from './message-schema.js';
export type * from './generated/messages.js';
export {
  ConsumerProtocolAssignmentSchema, ConsumerProtocolSubscriptionSchema,
} from './generated/messages.js';
