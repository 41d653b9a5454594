/** Mamba's public API. */
export { Broker } from './broker.js';
export type { PartitionDescription, TopicDescription } from './broker.js';
export type {
  ActorReadyEvent, BrokerEvent, BrokerEventMap, PartitionFailedEvent,
} from './broker-events.js';
export type { StandbyReadyEvent } from './broker-events.js';
export { Producer } from './client/index.js';
export type {
  Message, ProducerHandle, ProducerHandleOptions, SendResult,
} from './client/index.js';
export type { ListenOptions } from './broker.js';
export type { Door, DoorRestartEvent } from './door/index.js';
export { MambaError, ERROR_CODES } from './errors.js';
export type { MambaErrorCode, CorruptionDetail } from './errors.js';
export type { CleanupPolicy } from './options.js';
export type { CompactionResult } from './supervisor/index.js';
export type {
  Acks, BrokerConfig, BrokerOptions, FlushPolicy, Partitioner, PartitionerFunction,
  PartitionerName, ProducerConfig, ProducerOptions, RestartConfig, TopicConfig, TopicOptions,
} from './options.js';
export type {
  ActorExitEvent, ActorFailedEvent, ActorRestartEvent, PartitionRecoveredEvent,
  RestartPhases,
} from './supervisor/index.js';
export type { ActorStats, CrashMode, PartitionStats } from './actors/index.js';
export { Consumer } from './client/index.js';
export type {
  ConsumerContext, ConsumerEventMap, PartitionLag, PauseEntry, SeekTarget, TopicRecreatedEvent,
} from './client/index.js';
export type { OffsetReset } from './client/index.js';
export type { ConsumerHandle } from './client/index.js';
export type { ConsumedBatch, ConsumedMessage } from './client/index.js';
export type {
  ConsumedMessageJson, JsonBytes,
} from './client/index.js';
export type { CompressionName } from './records/index.js';
export type {
  AutoCommit, CallbackRunOptions, ConsumerConfig, ConsumerOptions, HandlerRunOptions,
  RunOptions,
} from './client/index.js';
export type {
  HandlerContext, HandlerFunction, HandlerMessage, HandlerRecord,
} from './client/index.js';
export type { OffsetEntry } from './coordinator/index.js';
export type { SendOffsetsOptions, Transaction } from './client/index.js';
export type {
  TransactionDescription, TransactionStateName, TopicPartitionRef,
} from './transactions/index.js';
export type { RevocationReason } from './client/index.js';
export type { AssignorName, TopicPartition } from './coordinator/index.js';
// Delivery features (issue 13): retries, dead letters, retry topics, filters, routing.
export { DLQ_HEADERS, RETRY_HEADERS, REPLAYED_FROM_HEADER } from './client/index.js';
export type {
  BackoffOptions, ConsumerRetryOptions, DeadLetterOptions, DeadLetterQuery, DeadLetterSend,
  FilterConditions, RecordFilterSpec, ReplayOptions, ReplayResult, RoutingMatch, RoutingRule,
  SubscribeOptions, TopicRetryOptions,
} from './client/index.js';
export { restoreBackup, verifyBackup } from './ops/index.js';
export type {
  BackupManifest, BackupOptions, BackupReport, RestoreReport,
} from './ops/index.js';
export { RemoteBroker, RemoteConsumer, RemoteProducer } from './remote/index.js';
export type {
  ConnectOptions, RemotePartitionDescription, RemoteTopicDescription, SaslMechanism, SaslOptions,
} from './remote/index.js';
// Operations: metrics, the HTTP port and its dashboard, alert rules (src/ops/).
export { exportPrometheusRules, parseAlertConfig } from './ops/index.js';
export type {
  AlertConfig, AlertConfigInput, AlertEngine, AlertKind, AlertRule, DashboardSnapshot,
  HttpListenOptions, OpsHttpServer, WebhookMessage,
} from './ops/index.js';
export type { IdleOption, IdleStrategyName } from './ringbuffer/index.js';
