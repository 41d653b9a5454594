/**
 * Kafka's error codes (generated from Errors.java's list), and what each Mamba error code is
 * on the wire.
 */
import type { MambaErrorCode } from '../errors.js';
import { KafkaErrors, type KafkaErrorName } from './generated/error-codes.js';

export { KafkaErrors, type KafkaErrorName };

export function kafkaErrorCode(name: KafkaErrorName): number {
  return KafkaErrors[name].code;
}

const fromMamba: Partial<Record<MambaErrorCode | 'INTERNAL', KafkaErrorName>> = {
  UNKNOWN_TOPIC: 'UNKNOWN_TOPIC_OR_PARTITION',
  TOPIC_EXISTS: 'TOPIC_ALREADY_EXISTS',
  INVALID_PARTITION: 'UNKNOWN_TOPIC_OR_PARTITION',
  RECORD_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  FRAME_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  INVALID_CONFIG: 'INVALID_CONFIG',
  INVALID_RECORD: 'INVALID_RECORD',
  CORRUPT_BATCH: 'CORRUPT_MESSAGE',
  BROKER_CLOSED: 'NOT_LEADER_OR_FOLLOWER',
  RING_CLOSED: 'NOT_LEADER_OR_FOLLOWER',
  TIMEOUT: 'REQUEST_TIMED_OUT',
  DISK_FULL: 'KAFKA_STORAGE_ERROR',
  IO_ERROR: 'KAFKA_STORAGE_ERROR',
  CORRUPT_LOG: 'KAFKA_STORAGE_ERROR',
  OFFSET_OUT_OF_RANGE: 'OFFSET_OUT_OF_RANGE',
  OFFSET_METADATA_TOO_LARGE: 'OFFSET_METADATA_TOO_LARGE',
  PARTITION_FAILED: 'KAFKA_STORAGE_ERROR',
  ACTOR_UNAVAILABLE: 'NOT_LEADER_OR_FOLLOWER',
  OUT_OF_ORDER_SEQUENCE: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
  PRODUCER_FENCED: 'INVALID_PRODUCER_EPOCH',
  INVALID_REQUEST: 'INVALID_REQUEST',
  ILLEGAL_GENERATION: 'ILLEGAL_GENERATION',
  UNKNOWN_MEMBER: 'UNKNOWN_MEMBER_ID',
  INCONSISTENT_GROUP_PROTOCOL: 'INCONSISTENT_GROUP_PROTOCOL',
  GROUP_MAX_SIZE_REACHED: 'GROUP_MAX_SIZE_REACHED',
  REBALANCE_IN_PROGRESS: 'REBALANCE_IN_PROGRESS',
};

/** The Kafka error code for a Mamba error code (UNKNOWN_SERVER_ERROR when there is none). */
export function kafkaCodeOf(code: MambaErrorCode | 'INTERNAL'): number {
  return KafkaErrors[fromMamba[code] ?? 'UNKNOWN_SERVER_ERROR'].code;
}
