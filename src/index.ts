/** Mamba's public API. */
export { Broker } from './broker.js';
export type {
  BrokerEvent, ListenOptions, PartitionDescription, TopicDescription,
} from './broker.js';
export type { Door } from './door/index.js';
export { Producer } from './client/producer.js';
export type { Message, ProducerHandle, SendResult } from './client/producer.js';
export { MambaError, ERROR_CODES } from './errors.js';
export type { MambaErrorCode, CorruptionDetail } from './errors.js';
export type {
  Acks, BrokerOptions, FlushPolicy, Partitioner, ProducerOptions, TopicOptions,
} from './options.js';
export type {
  ActorExitEvent, ActorFailedEvent, ActorRestartEvent, PartitionRecoveredEvent,
} from './supervisor/supervisor.js';
export { Consumer } from './client/consumer.js';
export type {
  ConsumerContext, PartitionLag, PauseEntry, SeekTarget,
} from './client/consumer.js';
export type { ConsumerHandle } from './client/consumer-handle.js';
export type { ConsumedBatch, ConsumedMessage } from './client/consumer-message.js';
export type {
  CallbackRunOptions, ConsumerOptions, HandlerRunOptions, RunOptions,
} from './client/consumer-options.js';
export type { OffsetEntry } from './client/offset-store.js';
export type { TopicPartition } from './client/groups/index.js';
