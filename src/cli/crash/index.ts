/** The crash-test harness: what the CLI and the tests use. */
export { runCrashTest } from './crash-run.js';
export type {
  CrashTestHooks, CrashTestPhase, CrashTestProgress, CrashTestResult, LiveConsumersResult,
  RestartRecord, DeadLetterResult, TransactionsResult,
} from './crash-run.js';
export type { CheckResult, PartitionVerdict, ViolationKind } from './checker.js';
export { VIOLATION_KINDS } from './checker.js';
export type { RecordSource, RecordVisitor, WorkloadLayout } from './record-source.js';
export { LogFileSource } from './log-file-source.js';
export { ConsumerGroupSource } from './consumer-group-source.js';
export {
  CONSUMPTION_VIOLATIONS, ConsumptionLedger, type ConsumptionCheck, type ConsumptionViolation,
} from './consumption-ledger.js';
export {
  KILL_MODES, parseDurationMs, resolveCrashTestOptions, type CrashTestConfig,
  type CrashTestOptions, type KillMode, type VerifyWith,
} from './options.js';
export { formatJson, formatTable } from './report.js';
export {
  CONSUMED_EPOCH, CONSUMED_FIELDS, CONSUMED_OFFSET, CONSUMED_PRODUCER_ID, CONSUMED_SENT_SLOT,
  CONSUMED_SEQUENCE, CONSUMED_SLOT, type ConsumedReport,
} from './messages.js';
export { startProgressDisplay } from './progress-display.js';
export type { DelayedCheck } from './delayed-check.js';
export type { DeadLetterCheck } from './dead-letter-check.js';
export type { TxnCheck } from './txn-check.js';
