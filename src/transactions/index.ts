/**
 * Transactions, the coordinator side (issue 16): the transaction coordinator, its durable log
 * (an internal compacted topic keyed by transactional id) and that log's record layout. The
 * partition side (markers, last stable offset, aborted index) is the actors'; the embedded
 * API is client/transaction.ts; the Kafka door calls the coordinator through its broker link.
 */
export { TransactionCoordinator } from './transaction-coordinator.js';
/** @internal Crash tests kill the broker process inside a transaction's end. */
export { setTransactionStepHook, type TxnStepPoint } from './transaction-coordinator.js';
export type {
  ProducerIdAndEpoch, TransactionCoordinatorContext, TransactionDescription, TxnMarker,
  TxnMarkerWriter, TxnMember, TxnOffsetSink,
} from './transaction-coordinator.js';
export {
  applyLogRecord, emptyTransactionLog, loadTransactionLog,
  type LoadedTransactionLog, type TransactionLogWriter,
} from './transaction-log.js';
export {
  TRANSACTION_STATES, decodeEntry, encodeValue, transactionKey,
  type PendingOffset, type TopicPartitionRef, type TransactionRecord, type TransactionStateName,
} from './transaction-log-layout.js';
