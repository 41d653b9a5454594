/** Mamba's public API. */
export { Broker } from './broker.js';
export type { BrokerEvent, PartitionDescription, TopicDescription } from './broker.js';
export { Producer } from './client/index.js';
export type { Message, ProducerHandle, SendResult } from './client/index.js';
export { MambaError, ERROR_CODES } from './errors.js';
export type { MambaErrorCode, CorruptionDetail } from './errors.js';
export type {
  Acks, BrokerOptions, FlushPolicy, Partitioner, ProducerOptions, TopicOptions,
} from './options.js';
export type {
  ActorExitEvent, ActorFailedEvent, ActorRestartEvent, PartitionRecoveredEvent,
} from './supervisor/index.js';
export { Consumer } from './client/index.js';
export type {
  ConsumerContext, PartitionLag, PauseEntry, SeekTarget,
} from './client/index.js';
export type { ConsumerHandle } from './client/index.js';
export type { ConsumedBatch, ConsumedMessage } from './client/index.js';
export type {
  CallbackRunOptions, ConsumerOptions, HandlerRunOptions, RunOptions,
} from './client/index.js';
export type { OffsetEntry } from './coordinator/index.js';
export type { TopicPartition } from './coordinator/index.js';
