/** Mamba's public API. */
export { Broker } from './broker.js';
export type { PartitionDescription, TopicDescription } from './broker.js';
export type {
  ActorReadyEvent, BrokerEvent, BrokerEventMap, PartitionFailedEvent,
} from './broker-events.js';
export { Producer } from './client/producer.js';
export type {
  Message, ProducerHandle, ProducerHandleOptions, SendResult,
} from './client/producer.js';
export { MambaError, ERROR_CODES } from './errors.js';
export type { MambaErrorCode, CorruptionDetail } from './errors.js';
export type {
  Acks, BrokerConfig, BrokerOptions, FlushPolicy, Partitioner, PartitionerFunction,
  PartitionerName, ProducerConfig, ProducerOptions, RestartConfig, TopicConfig, TopicOptions,
} from './options.js';
export type {
  ActorExitEvent, ActorFailedEvent, ActorRestartEvent, PartitionRecoveredEvent,
} from './supervisor/supervisor.js';
export type { ActorStats, CrashMode, PartitionStats } from './actors/protocol.js';
export { Consumer } from './client/consumer.js';
export type {
  ConsumerContext, ConsumerEventMap, PartitionLag, PauseEntry, SeekTarget,
} from './client/consumer.js';
export type { ConsumerHandle } from './client/consumer-handle.js';
export type { ConsumedBatch, ConsumedMessage } from './client/consumer-message.js';
export type {
  AutoCommit, CallbackRunOptions, ConsumerConfig, ConsumerOptions, HandlerRunOptions,
  RunOptions,
} from './client/consumer-options.js';
export type {
  HandlerContext, HandlerFunction, HandlerMessage, HandlerRecord,
} from './client/handler-task.js';
export type { OffsetEntry } from './client/offset-store.js';
export type { AssignorName, RevocationReason, TopicPartition } from './client/groups/index.js';
