/**
 * The consumer's options, validated once at the public edge (STYLE.md §9) and filled with their
 * defaults; `run` options likewise. Internal code trusts the filled types.
 */
import {
  consumerMaxBatchBytesDefault, consumerMaxBatchBytesMax, consumerMaxBatchRecordsDefault,
  consumerMaxBatchRecordsMax, consumerMaxWaitMsDefault, consumerMaxWaitMsMax,
  handlerAttemptsDefault, handlerAttemptsMax, handlerRetryBackoffMsMax,
  handlerRetryBackoffMsMin, heartbeatIntervalMsDefault,
  partitionsConsumedConcurrentlyMax,
  rebalanceTimeoutMsDefault, sessionTimeoutMsDefault, sessionTimeoutMsMax, sessionTimeoutMsMin,
} from '../constants.js';
import { MambaError, invalidConfig } from '../errors.js';
import { isObject, optionalInteger } from '../options.js';
import { rejectUnknownOptions, type OptionNames } from '../option-names.js';
import { ASSIGNOR_NAMES, isAssignorName, type AssignorName } from '../coordinator/index.js';
import { checkGroupId } from '../coordinator/index.js';
import type { ConsumedBatch, ConsumedMessage } from './consumer-message.js';
import {
  resolveConsumerRetry, type BackoffPolicy, type ConsumerRetryOptions,
} from './retry-policy.js';
import { resolveDeadLetter, type DeadLetterOptions } from './dead-letter.js';

export interface ConsumerOptions {
  /** No groupId: an independent reader of every partition of the subscribed topics. */
  groupId?: string;
  /** Where a partition with no committed offset starts: the log start, or (default) its end. */
  fromBeginning?: boolean;
  /**
   * Where to go when the position is outside the log (retention deleted the segment under
   * it, or a committed offset is past the end): default 'earliest'.
   */
  autoOffsetReset?: 'earliest' | 'latest';
  /**
   * Default true: processed offsets are committed after the handler returns (one commit in
   * flight at a time, later ones coalesced). `{ intervalMs }`: every interval. false: only
   * `commit()` commits. Needs a groupId to do anything.
   */
  autoCommit?: boolean | { intervalMs: number };
  /** Bytes of whole batches fetched from one partition at a time (default 1 MiB). */
  maxBatchBytes?: number;
  /**
   * Records of one partition handed out at a time (default 500, Kafka's `max.poll.records`):
   * whole stored batches are handed out until this many records are in, at least one batch.
   */
  maxBatchRecords?: number;
  /** The longest an idle consumer sleeps between looks when no produce wakes it (1000). */
  maxWaitMs?: number;
  sessionTimeoutMs?: number;
  /**
   * Group assignment strategy (default 'cooperative-sticky': Mamba's own protocol, where the
   * coordinator assigns and only moved partitions pause). 'range' and 'round-robin' join with
   * Kafka's classic group protocol (eager: every member gives its partitions up on a
   * rebalance), so the group can have Kafka clients on the door as members too.
   */
  assignor?: AssignorName;
  /** Default: a third of the session timeout, at most 1 s. */
  heartbeatIntervalMs?: number;
  /** How long a member may take to hand back revoked partitions (default 30 s). */
  rebalanceTimeoutMs?: number;
  /**
   * Default true: each batch's CRC32C is checked before its records are handed out, and a bad
   * batch is a `CORRUPT_LOG` error (docs/CRASH-MODEL.md). false skips the CRC (the batch's
   * structure is still checked), as Kafka's `check.crcs=false` does.
   */
  checkCrcs?: boolean;
  /**
   * Which records of transactions are handed out. 'read_committed' (the default, as in kafkajs
   * and the safe choice for exactly-once pipelines): reads stop at the partition's last stable
   * offset (the first offset of the earliest open transaction), and records of aborted
   * transactions are skipped; with no transactions the last stable offset is the
   * high-watermark, so it costs nothing. 'read_uncommitted': everything up to the
   * high-watermark, aborted and open transactions included. Neither hands out transaction
   * markers (control batches); both move their position and committed offsets past them.
   */
  isolation?: IsolationLevel;
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted';

const consumerOptionNames: OptionNames<ConsumerOptions> = {
  groupId: true, fromBeginning: true, autoOffsetReset: true, autoCommit: true,
  maxBatchBytes: true, maxWaitMs: true, sessionTimeoutMs: true, assignor: true,
  heartbeatIntervalMs: true, rebalanceTimeoutMs: true, maxBatchRecords: true,
  checkCrcs: true, isolation: true,
};

export type AutoCommit = { kind: 'off' } | { kind: 'after-processing' } |
  { kind: 'interval'; intervalMs: number };

export interface ConsumerConfig {
  groupId: string | undefined;
  fromBeginning: boolean;
  autoOffsetReset: 'earliest' | 'latest';
  autoCommit: AutoCommit;
  maxBatchBytes: number;
  maxBatchRecords: number;
  maxWaitMs: number;
  sessionTimeoutMs: number;
  assignor: AssignorName;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  checkCrcs: boolean;
  isolation: IsolationLevel;
}

/** `run` with callbacks in this thread. */
export interface CallbackRunOptions {
  eachMessage?: (message: ConsumedMessage) => unknown;
  eachBatch?: (batch: ConsumedBatch) => unknown;
  /** Partitions whose batches are processed at once (default 1); order within one is kept. */
  partitionsConsumedConcurrently?: number;
  /**
   * Calls of the handler for one record (eachMessage) or batch (eachBatch) before `run` fails
   * with HANDLER_FAILED (default 3, as for a handler pool); retries back off exponentially.
   */
  maxAttempts?: number;
  /**
   * Instead of `maxAttempts`: retries with exponential backoff and jitter (`{ retries,
   * initialRetryTimeMs, maxRetryTimeMs, multiplier, jitter }`), blocking the partition, or
   * `{ mode: 'topics', delaysMs }`: non-blocking retries through `<topic>.retry.<n>` topics.
   */
  retry?: ConsumerRetryOptions;
  /** Where a record goes when its retries are exhausted, instead of failing `run`. */
  deadLetter?: DeadLetterOptions;
}

/** `run` with a handler module in a piscina pool (see handler-pool.ts). */
export interface HandlerRunOptions {
  handler: URL | string;
  concurrency?: number;
  maxAttempts?: number;
  /** Structured-cloneable data given to every handler call as `context.data`. */
  handlerData?: unknown;
}

export type RunOptions = CallbackRunOptions | HandlerRunOptions;

/** `run` takes the names of either form (which form is checked after the names). */
const runOptionNames: OptionNames<CallbackRunOptions & HandlerRunOptions> = {
  eachMessage: true, eachBatch: true, partitionsConsumedConcurrently: true,
  handler: true, concurrency: true, maxAttempts: true, handlerData: true, retry: true,
  deadLetter: true,
};

/** What a callback run does with failures: backoff, then retry topics or a dead letter. */
export interface FailureConfig {
  backoff: BackoffPolicy;
  /** Retry-topic delays (`mode: 'topics'`), else undefined. */
  retryTopicDelaysMs: number[] | undefined;
  deadLetter: DeadLetterOptions | undefined;
}

export type RunConfig =
  | { kind: 'message'; eachMessage: (message: ConsumedMessage) => unknown; concurrency: number;
    failures: FailureConfig }
  | { kind: 'batch'; eachBatch: (batch: ConsumedBatch) => unknown; concurrency: number;
    failures: FailureConfig }
  | { kind: 'pool'; options: HandlerRunOptions; concurrency: number };

const integer = optionalInteger;

function resolveAutoCommit(value: unknown): AutoCommit {
  if (value === undefined || value === true) return { kind: 'after-processing' };
  if (value === false) return { kind: 'off' };
  if (isObject(value)) {
    rejectUnknownOptions(value, { intervalMs: true }, 'autoCommit.');
    return {
      kind: 'interval',
      intervalMs: integer('options.autoCommit.intervalMs', value.intervalMs, 0, 1, 3_600_000),
    };
  }
  throw invalidConfig('options.autoCommit', value, 'a boolean or { intervalMs }');
}

export function resolveConsumerOptions(options: unknown = {}): ConsumerConfig {
  if (!isObject(options)) throw invalidConfig('options', options, 'an object');
  rejectUnknownOptions(options, consumerOptionNames);
  const { groupId, fromBeginning = false, autoOffsetReset = 'earliest' } = options;
  const { checkCrcs = true, isolation = 'read_committed' } = options;
  if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') {
    throw invalidConfig('options.isolation', isolation,
      "'read_committed' or 'read_uncommitted'");
  }
  if (groupId !== undefined) checkGroupId(groupId);
  if (typeof checkCrcs !== 'boolean') {
    throw invalidConfig('options.checkCrcs', checkCrcs, 'a boolean');
  }
  if (typeof fromBeginning !== 'boolean') {
    throw invalidConfig('options.fromBeginning', fromBeginning, 'a boolean');
  }
  if (autoOffsetReset !== 'earliest' && autoOffsetReset !== 'latest') {
    throw invalidConfig('options.autoOffsetReset', autoOffsetReset, "'earliest' or 'latest'");
  }
  const assignor = options.assignor ?? 'cooperative-sticky';
  if (!isAssignorName(assignor)) {
    throw invalidConfig('options.assignor', assignor, `one of ${ASSIGNOR_NAMES.join(', ')}`);
  }
  const sessionTimeoutMs = integer('options.sessionTimeoutMs', options.sessionTimeoutMs,
    sessionTimeoutMsDefault, sessionTimeoutMsMin, sessionTimeoutMsMax);
  const heartbeatDefault = Math.max(1, Math.min(heartbeatIntervalMsDefault,
    Math.floor(sessionTimeoutMs / 3)));
  return {
    groupId: groupId as string | undefined,
    fromBeginning,
    autoOffsetReset,
    autoCommit: resolveAutoCommit(options.autoCommit),
    maxBatchBytes: integer('options.maxBatchBytes', options.maxBatchBytes,
      consumerMaxBatchBytesDefault, 1, consumerMaxBatchBytesMax),
    maxBatchRecords: integer('options.maxBatchRecords', options.maxBatchRecords,
      consumerMaxBatchRecordsDefault, 1, consumerMaxBatchRecordsMax),
    maxWaitMs: integer('options.maxWaitMs', options.maxWaitMs, consumerMaxWaitMsDefault, 1,
      consumerMaxWaitMsMax),
    sessionTimeoutMs,
    assignor,
    heartbeatIntervalMs: integer('options.heartbeatIntervalMs', options.heartbeatIntervalMs,
      heartbeatDefault, 1, sessionTimeoutMs - 1),
    rebalanceTimeoutMs: integer('options.rebalanceTimeoutMs', options.rebalanceTimeoutMs,
      rebalanceTimeoutMsDefault, 1, 3_600_000),
    checkCrcs,
    isolation: isolation as IsolationLevel,
  };
}

export function resolveRunOptions(options: unknown): RunConfig {
  if (!isObject(options)) throw invalidConfig('run options', options, 'an object');
  rejectUnknownOptions(options, runOptionNames);
  const { eachMessage, eachBatch, handler } = options;
  const given = [eachMessage, eachBatch, handler].filter((f) => f !== undefined).length;
  if (given !== 1) {
    throw invalidConfig('run options', Object.keys(options).join(','),
      'exactly one of eachMessage, eachBatch or handler');
  }
  if (handler !== undefined) {
    if (typeof handler !== 'string' && !(handler instanceof URL)) {
      throw new MambaError('INVALID_HANDLER',
        'options.handler must be a URL or a path of a module exporting a handler function',
        { detail: { handler: String(handler) } });
    }
    if (options.retry !== undefined || options.deadLetter !== undefined) {
      throw invalidConfig('options.retry', 'with handler',
        'absent: retry and deadLetter work with eachMessage and eachBatch (use maxAttempts)');
    }
    return {
      kind: 'pool', options: options as unknown as HandlerRunOptions,
      concurrency: integer('options.concurrency', options.concurrency, 4, 1, 256),
    };
  }
  const concurrency = integer('options.partitionsConsumedConcurrently',
    options.partitionsConsumedConcurrently, 1, 1, partitionsConsumedConcurrentlyMax);
  const failures = resolveFailures(options);
  if (eachMessage !== undefined) {
    if (typeof eachMessage !== 'function') {
      throw invalidConfig('options.eachMessage', typeof eachMessage, 'a function');
    }
    return { kind: 'message', eachMessage: eachMessage as (m: ConsumedMessage) => unknown,
      concurrency, failures };
  }
  if (typeof eachBatch !== 'function') {
    throw invalidConfig('options.eachBatch', typeof eachBatch, 'a function');
  }
  return { kind: 'batch', eachBatch: eachBatch as (b: ConsumedBatch) => unknown, concurrency,
    failures };
}

/**
 * `maxAttempts` keeps its old backoff (10 ms doubling to 2 s, no jitter); `retry` replaces it.
 * Retry topics need a dead-letter topic for what the last one gives up on.
 */
function resolveFailures(options: Record<string, unknown>): FailureConfig {
  const deadLetter = options.deadLetter === undefined ? undefined
    : resolveDeadLetter(options.deadLetter);
  if (options.retry === undefined) {
    const maxAttempts = integer('options.maxAttempts', options.maxAttempts,
      handlerAttemptsDefault, 1, handlerAttemptsMax);
    return {
      backoff: { retries: maxAttempts - 1, initialRetryTimeMs: handlerRetryBackoffMsMin,
        maxRetryTimeMs: handlerRetryBackoffMsMax, multiplier: 2, jitter: 0 },
      retryTopicDelaysMs: undefined, deadLetter,
    };
  }
  if (options.maxAttempts !== undefined) {
    throw invalidConfig('options.maxAttempts', options.maxAttempts,
      'absent when options.retry is given (retry.retries counts the retries)');
  }
  const retry = resolveConsumerRetry(options.retry);
  if (retry.mode === 'blocking') {
    return { backoff: retry.backoff, retryTopicDelaysMs: undefined, deadLetter };
  }
  if (deadLetter === undefined) {
    throw invalidConfig('options.deadLetter', undefined,
      "a dead-letter topic with retry mode 'topics' (where the last retry's failures go)");
  }
  const backoff = { retries: 0, initialRetryTimeMs: 0, maxRetryTimeMs: 0, multiplier: 1,
    jitter: 0 };
  return { backoff, retryTopicDelaysMs: retry.delaysMs, deadLetter };
}
