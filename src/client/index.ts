/**
 * What a program uses to produce and consume: producers and their sessions over the rings,
 * consumers (iterator, callbacks, handler pools) and the member side of consumer groups.
 */
export * from './consumer.js';
export * from './consumer-handle.js';
export * from './consumer-message.js';
export * from './consumer-options.js';
export * from './producer.js';
export * from './producer-session.js';
export * from './groups/index.js';
export * from './handler-task.js';
export type { OffsetReset } from './consumer-fetcher.js';
export { partitionDirectory } from './consumer-fetcher.js';
export { CommitRetry } from './commit-retry.js';
export {
  backoffDelayMs, type BackoffOptions, type BackoffPolicy, type ConsumerRetryOptions,
  type TopicRetryOptions,
} from './retry-policy.js';
export {
  DLQ_HEADERS, FORWARD_SOURCE_HEADER, type DeadLetterOptions, type DeadLetterSend,
} from './dead-letter.js';
export { RETRY_HEADERS } from './failure-router.js';
export type { DeliveryServices } from './record-forwarder.js';
/** @internal Crash tests (`mamba crash-test --dead-letters`) kill inside a forward's step. */
export { setForwardStepHook, type ForwardStepPoint } from './record-forwarder.js';
export type { FilterConditions, RecordFilterSpec } from './record-filter.js';
export type { RoutingMatch, RoutingRule } from './routing-rules.js';
export { scanPartition, type ScanContext } from './partition-scan.js';
export {
  REPLAYED_FROM_HEADER, listDeadLetters, replayDeadLetters, type DeadLetterQuery,
  type ReplayOptions, type ReplayResult,
} from './dead-letter-replay.js';
export { PartitionChooser } from './partitioner.js';
export * from './delayed-message.js';
export {
  Transaction, type OffsetsConsumer, type SendOffsetsOptions, type TransactionLink,
} from './transaction.js';
