/**
 * What a Kafka error code in a response is as a `MambaError`: the same codes the embedded broker
 * raises where one exists (UNKNOWN_TOPIC, TOPIC_EXISTS, OFFSET_OUT_OF_RANGE, …), so a program
 * handles one set of codes whichever way it reaches the broker. `retriable` follows Kafka's
 * own classification (Errors.java marks these as RetriableException subclasses).
 */
import { MambaError, type MambaErrorCode } from '../errors.js';
import { KafkaErrors, type KafkaErrorName } from '../protocol/index.js';

const toMamba: Partial<Record<KafkaErrorName, MambaErrorCode>> = {
  UNKNOWN_TOPIC_OR_PARTITION: 'UNKNOWN_TOPIC',
  TOPIC_ALREADY_EXISTS: 'TOPIC_EXISTS',
  INVALID_PARTITIONS: 'INVALID_CONFIG',
  INVALID_CONFIG: 'INVALID_CONFIG',
  INVALID_REPLICATION_FACTOR: 'INVALID_CONFIG',
  INVALID_TOPIC_EXCEPTION: 'INVALID_CONFIG',
  MESSAGE_TOO_LARGE: 'RECORD_TOO_LARGE',
  RECORD_LIST_TOO_LARGE: 'RECORD_TOO_LARGE',
  INVALID_RECORD: 'INVALID_RECORD',
  CORRUPT_MESSAGE: 'CORRUPT_BATCH',
  REQUEST_TIMED_OUT: 'TIMEOUT',
  KAFKA_STORAGE_ERROR: 'IO_ERROR',
  OFFSET_OUT_OF_RANGE: 'OFFSET_OUT_OF_RANGE',
  OFFSET_METADATA_TOO_LARGE: 'OFFSET_METADATA_TOO_LARGE',
  OUT_OF_ORDER_SEQUENCE_NUMBER: 'OUT_OF_ORDER_SEQUENCE',
  INVALID_PRODUCER_EPOCH: 'PRODUCER_FENCED',
  PRODUCER_FENCED: 'PRODUCER_FENCED',
  INVALID_REQUEST: 'INVALID_REQUEST',
  NOT_LEADER_OR_FOLLOWER: 'NOT_LEADER',
  LEADER_NOT_AVAILABLE: 'NOT_LEADER',
  FENCED_LEADER_EPOCH: 'NOT_LEADER',
  UNKNOWN_LEADER_EPOCH: 'NOT_LEADER',
  BROKER_NOT_AVAILABLE: 'CONNECTION_FAILED',
  NOT_COORDINATOR: 'NOT_LEADER',
  COORDINATOR_NOT_AVAILABLE: 'NOT_LEADER',
  COORDINATOR_LOAD_IN_PROGRESS: 'NOT_LEADER',
  ILLEGAL_GENERATION: 'ILLEGAL_GENERATION',
  UNKNOWN_MEMBER_ID: 'UNKNOWN_MEMBER',
  FENCED_INSTANCE_ID: 'UNKNOWN_MEMBER',
  INCONSISTENT_GROUP_PROTOCOL: 'INCONSISTENT_GROUP_PROTOCOL',
  GROUP_MAX_SIZE_REACHED: 'GROUP_MAX_SIZE_REACHED',
  INVALID_SESSION_TIMEOUT: 'INVALID_CONFIG',
  INVALID_GROUP_ID: 'INVALID_CONFIG',
  SASL_AUTHENTICATION_FAILED: 'AUTHENTICATION_FAILED',
  UNSUPPORTED_SASL_MECHANISM: 'AUTHENTICATION_FAILED',
  ILLEGAL_SASL_STATE: 'AUTHENTICATION_FAILED',
  TOPIC_AUTHORIZATION_FAILED: 'AUTHORIZATION_FAILED',
  GROUP_AUTHORIZATION_FAILED: 'AUTHORIZATION_FAILED',
  CLUSTER_AUTHORIZATION_FAILED: 'AUTHORIZATION_FAILED',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'AUTHORIZATION_FAILED',
};

/** Kafka's retriable errors (RetriableException subclasses) among those a client meets. */
const retriableNames = new Set<KafkaErrorName>([
  'CORRUPT_MESSAGE', 'UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER', 'REQUEST_TIMED_OUT', 'BROKER_NOT_AVAILABLE', 'NETWORK_EXCEPTION',
  'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR',
  'NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'KAFKA_STORAGE_ERROR',
  'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH', 'OFFSET_NOT_AVAILABLE',
  'REBALANCE_IN_PROGRESS', 'CONCURRENT_TRANSACTIONS', 'THROTTLING_QUOTA_EXCEEDED',
  'UNSTABLE_OFFSET_COMMIT',
]);

const nameByCode = new Map<number, KafkaErrorName>(
  (Object.keys(KafkaErrors) as KafkaErrorName[]).map((name) => [KafkaErrors[name].code, name]));

export function kafkaErrorName(code: number): KafkaErrorName | undefined {
  return nameByCode.get(code);
}

/**
 * The error for a non-zero Kafka error code, `what` naming what it was about (a topic, a
 * partition, a group) and `serverMessage` the broker's own words when it sent some.
 */
export function fromKafkaCode(code: number, what: string, serverMessage?: string | null,
  detail: Record<string, unknown> = {}): MambaError {
  const name = kafkaErrorName(code);
  const mamba = name === undefined ? undefined : toMamba[name];
  const words = serverMessage ?? (name === undefined ? 'unknown error' : KafkaErrors[name].message);
  const retriable = name !== undefined && retriableNames.has(name);
  return new MambaError(mamba ?? 'KAFKA_ERROR', `${what}: ${name ?? code}: ${words}`, {
    retriable: mamba === 'UNKNOWN_TOPIC' ? false : retriable,
    detail: { ...detail, kafkaCode: code, kafkaName: name },
  });
}

/** Whether an error means the client's view of where partitions lead is stale. */
export function needsMetadataRefresh(error: unknown): boolean {
  return MambaError.is(error) && (error.code === 'NOT_LEADER' || error.code === 'UNKNOWN_TOPIC' ||
    error.code === 'CONNECTION_FAILED');
}
