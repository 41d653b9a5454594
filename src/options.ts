/**
 * Options of the public API, validated once at the edge (STYLE.md §9): each `resolve…` checks
 * what the user passed, names the bad option and value in an `INVALID_CONFIG` error, and returns
 * a filled type with every default merged in, which internal code then trusts.
 */
import os from 'node:os';
import { invalidConfig } from './errors.js';
import { rejectUnknownOptions, type OptionNames } from './option-names.js';
import {
  actorRetryCooldownMsDefault, heartbeatDeadlineMs, heartbeatIntervalMs, restartBackoffMsMax,
  restartBackoffMsMin,
  restartsPerMinuteMax, actorsMax, batchBytesDefault, producerBatchBytesMax, lingerMsDefault,
  partitionsPerTopicMax, producerBufferedBytesDefault, producerBufferedBytesMax,
  producerBufferedBytesMin,
  requestTimeoutMsDefault, segmentAgeMsDefault, segmentSizeBytesDefault, segmentSizeBytesMax,
  segmentSizeBytesMin, pageSizeBytes, topicNameLengthMax, recordSizeBytesMax,
  transactionTimeoutMsDefault, transactionTimeoutMsMax, transactionalIdLengthMax,
  actorIdleSpinUsDefault, actorIdleYieldUsDefault, idleStrategyDefault,
} from './constants.js';
import { resolveIdle, type IdleConfig, type IdleOption } from './ringbuffer/index.js';
import { COMPRESSION_NAMES, type CompressionName } from './records/index.js';
// Types only: the producer checks these two options itself when it is made (it needs the topic
// directory for the routing rules), still at the public edge.
import type { BackoffOptions, RoutingRule } from './client/index.js';

export type FlushPolicy = 'none' | 'batch' | { intervalMs: number };
export type Acks = 0 | 1 | 'all';
/** The partitioners that work in any thread (a function cannot be sent to another thread). */
export type PartitionerName = 'murmur2' | 'round-robin';
export type PartitionerFunction = (key: Uint8Array | null, partitionCount: number) => number;
export type Partitioner = PartitionerName | PartitionerFunction;

export interface BrokerOptions {
  dataDir: string;
  /** Partition actors (worker threads). Default: os.availableParallelism(). */
  actors?: number;
  /** How crashed actors are restarted. */
  restart?: {
    /** First delay before a restart; doubles with each quick crash. Default 10 ms. */
    backoffMsMin?: number;
    /** The cap on that delay. Default 2000 ms. */
    backoffMsMax?: number;
    /** Past this many restarts in a minute an actor is given up. Default 20. */
    maxPerMinute?: number;
    /**
     * Keep a warm standby worker per actor (modules loaded, idle) that takes over when the actor
     * dies, so a restart skips the thread start and module load. Default true; each standby
     * costs an idle isolate (~17 MiB of RSS, no CPU at idle).
     */
    standby?: boolean;
  };
  /** An actor whose heartbeat stalls this long (and is not recovering) is restarted. */
  heartbeatDeadlineMs?: number;
  /**
   * The default `maxRecordBytes` of topics created without one (default 1 MiB, 1048576).
   */
  maxRecordBytes?: number;
  /** A given-up actor is started afresh after this long (`restartPartition` does it at once). */
  actorRetryCooldownMs?: number;
  /** Kafka door: create a topic a client names in Metadata or Produce. Default false
   * (`mamba serve` turns it on). */
  autoCreateTopics?: boolean;
  /** Kafka door: partitions of an auto-created topic, or of one created with -1. Default 3. */
  defaultPartitions?: number;
  /** Kafka door: a request frame larger than this closes its connection. Default 100 MiB. */
  maxRequestBytes?: number;
  /**
   * Delayed delivery (`delayMs` / `deliverAt` on a message): the broker keeps the internal
   * topic `__mamba_delayed` and runs its delay service. Default true.
   */
  delayedDelivery?: boolean;
  /**
   * How a partition actor waits when its rings are empty (docs/ARCHITECTURE.md, "Waiting"):
   * `'park'` (default: sleep at once, woken by the producer's notify), `'backoff'` (spin 50 µs,
   * yield 2 ms, then park), `'spin'` (never sleep: a core per actor, even idle), or
   * `{ strategy, spinUs, yieldUs }`. Spinning pays only on cores nothing else wants.
   */
  idle?: IdleOption;
}

const brokerOptionNames: OptionNames<BrokerOptions> = {
  dataDir: true, actors: true, restart: true, heartbeatDeadlineMs: true, maxRecordBytes: true,
  actorRetryCooldownMs: true, autoCreateTopics: true, defaultPartitions: true,
  maxRequestBytes: true, delayedDelivery: true, idle: true,
};
const restartOptionNames: OptionNames<NonNullable<BrokerOptions['restart']>> = {
  backoffMsMin: true, backoffMsMax: true, maxPerMinute: true, standby: true,
};

export interface RestartConfig {
  backoffMsMin: number;
  backoffMsMax: number;
  restartsPerMinuteMax: number;
  /** Whether each actor keeps a warm standby worker (supervisor.ts). */
  standby: boolean;
}

export interface BrokerConfig {
  dataDir: string;
  actors: number;
  restart: RestartConfig;
  heartbeatDeadlineMs: number;
  maxRecordBytes: number;
  actorRetryCooldownMs: number;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  maxRequestBytes: number;
  delayedDelivery: boolean;
  idle: IdleConfig;
}

export interface TopicOptions {
  partitions?: number;
  segmentBytes?: number;
  /** Roll the active segment once it is this old, even if not full. */
  segmentMs?: number;
  retentionBytes?: number;
  retentionMs?: number;
  flush?: FlushPolicy;
  /**
   * The largest record a producer may send to this topic, counted as the record is framed in
   * its batch: key + value + header names and values, plus up to 24 bytes of lengths and
   * deltas (10 more per header). Default: the broker's `maxRecordBytes` (1 MiB, 1048576); at
   * most 1 MiB, since a record travels in one frame of a producer ring.
   */
  maxRecordBytes?: number;
  /**
   * `'delete'` (default): segments go by retention only. `'compact'`: a background cleaner keeps
   * the latest record per key in sealed segments (retention does not apply). `'compact,delete'`:
   * both. See docs/ARCHITECTURE.md, "Compaction".
   */
  cleanupPolicy?: CleanupPolicy;
  /** Clean once dirty (not yet cleaned) bytes exceed this share of the sealed log. Default 0.5. */
  minCleanableDirtyRatio?: number;
  /** How long a tombstone (null value) outlives its timestamp before the cleaner drops it.
   * Default 86400000 (one day, as Kafka). */
  deleteRetentionMs?: number;
}

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';
export const CLEANUP_POLICIES: readonly CleanupPolicy[] = ['delete', 'compact', 'compact,delete'];

const topicOptionNames: OptionNames<TopicOptions> = {
  partitions: true, segmentBytes: true, segmentMs: true, retentionBytes: true, retentionMs: true,
  flush: true, maxRecordBytes: true, cleanupPolicy: true, minCleanableDirtyRatio: true,
  deleteRetentionMs: true,
};

/** Compaction settings of topics whose manifest entry predates them (or that set none). */
export const COMPACTION_DEFAULTS = Object.freeze({
  cleanupPolicy: 'delete' as CleanupPolicy, minCleanableDirtyRatio: 0.5,
  deleteRetentionMs: 86_400_000,
});

export interface TopicConfig {
  partitions: number;
  segmentBytes: number;
  segmentMs: number;
  /** -1: unlimited. */
  retentionBytes: number;
  /** -1: unlimited. */
  retentionMs: number;
  flush: FlushPolicy;
  maxRecordBytes: number;
  cleanupPolicy: CleanupPolicy;
  minCleanableDirtyRatio: number;
  deleteRetentionMs: number;
}

/** Whether the topic's log is compacted (policy `'compact'` or `'compact,delete'`). */
export function isCompacted(config: Pick<TopicConfig, 'cleanupPolicy'>): boolean {
  return config.cleanupPolicy === 'compact' || config.cleanupPolicy === 'compact,delete';
}

export interface ProducerOptions {
  acks?: Acks;
  idempotent?: boolean;
  lingerMs?: number;
  batchBytes?: number;
  partitioner?: Partitioner;
  /**
   * How long a send may wait, for room in the buffer and then for its acknowledgement, before
   * failing with TIMEOUT.
   */
  requestTimeoutMs?: number;
  /**
   * The most bytes of records this producer holds from `send` until they are acknowledged
   * (default 64 MiB). When full, `send` and `sendBatch` wait for room (backpressure).
   */
  maxBufferedBytes?: number;
  /**
   * Kafka's codecs: each batch's records are compressed as one block in one wrapper batch
   * (default 'none'). Consumers read every codec, whoever wrote the batch.
   */
  compression?: CompressionName;
  /**
   * Retry sends that fail with a retriable error (`retriable: true`: TIMEOUT, DISK_FULL, …)
   * with exponential backoff and jitter; an idempotent producer's retry cannot duplicate.
   */
  retry?: BackoffOptions;
  /** Routing rules, first match wins, else the partitioner (client/routing-rules.ts). */
  routing?: RoutingRule[];
  /**
   * Makes the producer transactional (`producer.transaction()`, client/transaction.ts): its
   * sends go in transactions, acks 'all' and idempotent. A second producer with the same id
   * fences this one (PRODUCER_FENCED). Only for `broker.producer()` on the broker's thread.
   */
  transactionalId?: string;
  /** How long a transaction may stay open before the coordinator aborts it (default 60 s). */
  transactionTimeoutMs?: number;
}

const producerOptionNames: OptionNames<ProducerOptions> = {
  acks: true, idempotent: true, lingerMs: true, batchBytes: true, partitioner: true,
  requestTimeoutMs: true,
  maxBufferedBytes: true, compression: true, retry: true, routing: true,
  transactionalId: true, transactionTimeoutMs: true,
};

export interface ProducerConfig {
  acks: Acks;
  idempotent: boolean;
  lingerMs: number;
  batchBytes: number;
  partitioner: Partitioner;
  requestTimeoutMs: number;
  maxBufferedBytes: number;
  compression: CompressionName;
  /** Checked by the producer (retry-policy.ts, routing-rules.ts). */
  retry: unknown;
  routing: unknown;
  transactionalId: string | undefined;
  transactionTimeoutMs: number;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidConfig(name, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** `fallback` when `value` is undefined, else `value` checked to be an integer in [min, max]. */
export function optionalInteger(name: string, value: unknown, fallback: number, min: number,
  max: number): number {
  return value === undefined ? fallback : integer(name, value, min, max);
}

export function resolveBrokerOptions(options: unknown): BrokerConfig {
  if (!isObject(options)) throw invalidConfig('options', options, 'an object');
  rejectUnknownOptions(options, brokerOptionNames);
  const { dataDir, actors } = options;
  if (typeof dataDir !== 'string' || dataDir.length === 0) {
    throw invalidConfig('options.dataDir', dataDir, 'a non-empty path');
  }
  const defaultActors = Math.min(os.availableParallelism(), actorsMax);
  return {
    dataDir,
    actors: optionalInteger('options.actors', actors, defaultActors, 1, actorsMax),
    restart: resolveRestart(options.restart),
    heartbeatDeadlineMs: optionalInteger('options.heartbeatDeadlineMs',
      options.heartbeatDeadlineMs, heartbeatDeadlineMs, 10 * heartbeatIntervalMs, 3_600_000),
    maxRecordBytes: resolveMaxRecordBytes(options.maxRecordBytes, recordSizeBytesMax),
    actorRetryCooldownMs: optionalInteger('options.actorRetryCooldownMs',
      options.actorRetryCooldownMs, actorRetryCooldownMsDefault, 0, 86_400_000),
    autoCreateTopics: optionalBoolean('options.autoCreateTopics', options.autoCreateTopics, false),
    defaultPartitions: optionalInteger('options.defaultPartitions', options.defaultPartitions, 3,
      1, partitionsPerTopicMax),
    maxRequestBytes: optionalInteger('options.maxRequestBytes', options.maxRequestBytes,
      100 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    delayedDelivery: optionalBoolean('options.delayedDelivery', options.delayedDelivery, true),
    idle: resolveIdle('options.idle', options.idle, {
      strategy: idleStrategyDefault, spinUs: actorIdleSpinUsDefault,
      yieldUs: actorIdleYieldUsDefault,
    }),
  };
}

function optionalBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidConfig(name, value, 'a boolean');
  return value;
}

function resolveRestart(restart: unknown): RestartConfig {
  if (restart === undefined) restart = {};
  if (!isObject(restart)) throw invalidConfig('options.restart', restart, 'an object');
  rejectUnknownOptions(restart, restartOptionNames, 'restart.');
  const backoffMsMin = optionalInteger('options.restart.backoffMsMin', restart.backoffMsMin,
    restartBackoffMsMin, 0, 60_000);
  const backoffMsMax = optionalInteger('options.restart.backoffMsMax', restart.backoffMsMax,
    Math.max(restartBackoffMsMax, backoffMsMin), backoffMsMin, 600_000);
  return {
    backoffMsMin,
    backoffMsMax,
    restartsPerMinuteMax: optionalInteger('options.restart.maxPerMinute', restart.maxPerMinute,
      restartsPerMinuteMax, 1, 10_000),
    standby: optionalBoolean('options.restart.standby', restart.standby, true),
  };
}

const topicNamePattern = /^[a-zA-Z0-9._-]+$/;

export function validateTopicName(topic: unknown): string {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > topicNameLengthMax ||
    !topicNamePattern.test(topic) || topic === '.' || topic === '..') {
    throw invalidConfig('topic', topic,
      `1 to ${topicNameLengthMax} characters of a-z, A-Z, 0-9, '.', '_' and '-'`);
  }
  return topic;
}

export function resolveFlushPolicy(name: string, flush: unknown): FlushPolicy {
  if (flush === undefined) return 'none';
  if (flush === 'none' || flush === 'batch') return flush;
  if (isObject(flush)) {
    rejectUnknownOptions(flush, { intervalMs: true }, 'flush.');
    return { intervalMs: integer(`${name}.intervalMs`, flush.intervalMs, 1, 3_600_000) };
  }
  throw invalidConfig(name, flush, "'none', 'batch' or { intervalMs }");
}

/** The smallest `maxRecordBytes`: a record with an empty key and value and no headers. */
const maxRecordBytesMin = 24;

function resolveMaxRecordBytes(value: unknown, fallback: number): number {
  return optionalInteger('options.maxRecordBytes', value, fallback, maxRecordBytesMin,
    recordSizeBytesMax);
}

/** `maxRecordBytesDefault`: the broker's default for topics that do not set their own. */
export function resolveTopicOptions(options: unknown = {},
  maxRecordBytesDefault = recordSizeBytesMax): TopicConfig {
  if (!isObject(options)) throw invalidConfig('options', options, 'an object');
  rejectUnknownOptions(options, topicOptionNames);
  const segmentBytes = optionalInteger('options.segmentBytes', options.segmentBytes,
    segmentSizeBytesDefault, segmentSizeBytesMin, segmentSizeBytesMax);
  if (segmentBytes % pageSizeBytes !== 0) {
    throw invalidConfig('options.segmentBytes', segmentBytes, `a multiple of ${pageSizeBytes}`);
  }
  return {
    partitions: optionalInteger('options.partitions', options.partitions, 1, 1,
      partitionsPerTopicMax),
    segmentBytes,
    segmentMs: optionalInteger('options.segmentMs', options.segmentMs, segmentAgeMsDefault, 1,
      Number.MAX_SAFE_INTEGER),
    retentionBytes: optionalInteger('options.retentionBytes', options.retentionBytes, -1, -1,
      Number.MAX_SAFE_INTEGER),
    retentionMs: optionalInteger('options.retentionMs', options.retentionMs, -1, -1,
      Number.MAX_SAFE_INTEGER),
    flush: resolveFlushPolicy('options.flush', options.flush),
    maxRecordBytes: resolveMaxRecordBytes(options.maxRecordBytes, maxRecordBytesDefault),
    ...resolveCompactionOptions(options),
  };
}

function resolveCompactionOptions(options: TopicOptions):
  Pick<TopicConfig, 'cleanupPolicy' | 'minCleanableDirtyRatio' | 'deleteRetentionMs'> {
  const { cleanupPolicy = COMPACTION_DEFAULTS.cleanupPolicy } = options;
  if (!CLEANUP_POLICIES.includes(cleanupPolicy)) {
    throw invalidConfig('options.cleanupPolicy', cleanupPolicy,
      CLEANUP_POLICIES.map((policy) => `'${policy}'`).join(', '));
  }
  const ratio = options.minCleanableDirtyRatio ?? COMPACTION_DEFAULTS.minCleanableDirtyRatio;
  if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) {
    throw invalidConfig('options.minCleanableDirtyRatio', ratio, 'a number from 0 to 1');
  }
  return {
    cleanupPolicy,
    minCleanableDirtyRatio: ratio,
    deleteRetentionMs: optionalInteger('options.deleteRetentionMs', options.deleteRetentionMs,
      COMPACTION_DEFAULTS.deleteRetentionMs, 0, Number.MAX_SAFE_INTEGER),
  };
}

export function resolveProducerOptions(options: unknown = {}): ProducerConfig {
  if (!isObject(options)) throw invalidConfig('options', options, 'an object');
  rejectUnknownOptions(options, producerOptionNames);
  const { acks = 'all', idempotent = true, partitioner = 'murmur2' } = options;
  const { compression = 'none' } = options;
  if (!COMPRESSION_NAMES.includes(compression as CompressionName)) {
    throw invalidConfig('options.compression', compression,
      COMPRESSION_NAMES.map((name) => `'${name}'`).join(', '));
  }
  if (acks !== 0 && acks !== 1 && acks !== 'all') {
    throw invalidConfig('options.acks', acks, "0, 1 or 'all'");
  }
  if (typeof idempotent !== 'boolean') {
    throw invalidConfig('options.idempotent', idempotent, 'a boolean');
  }
  if (partitioner !== 'murmur2' && partitioner !== 'round-robin' &&
    typeof partitioner !== 'function') {
    throw invalidConfig('options.partitioner', partitioner,
      "'murmur2', 'round-robin' or a function (key, partitionCount) => partition");
  }
  return {
    acks,
    idempotent,
    partitioner: partitioner as Partitioner,
    lingerMs: optionalInteger('options.lingerMs', options.lingerMs, lingerMsDefault, 0, 60_000),
    batchBytes: optionalInteger('options.batchBytes', options.batchBytes, batchBytesDefault, 1,
      producerBatchBytesMax),
    requestTimeoutMs: optionalInteger('options.requestTimeoutMs', options.requestTimeoutMs,
      requestTimeoutMsDefault, 1, 3_600_000),
    maxBufferedBytes: optionalInteger('options.maxBufferedBytes', options.maxBufferedBytes,
      producerBufferedBytesDefault, producerBufferedBytesMin, producerBufferedBytesMax),
    compression: compression as CompressionName,
    retry: options.retry,
    routing: options.routing,
    ...resolveTransactional(options),
  };
}

/** A transactional producer's options: an id, a timeout, and acks 'all' with idempotence. */
function resolveTransactional(options: Record<string, unknown>):
Pick<ProducerConfig, 'transactionalId' | 'transactionTimeoutMs'> {
  const { transactionalId } = options;
  const transactionTimeoutMs = optionalInteger('options.transactionTimeoutMs',
    options.transactionTimeoutMs, transactionTimeoutMsDefault, 1, transactionTimeoutMsMax);
  if (transactionalId === undefined) {
    if (options.transactionTimeoutMs !== undefined) {
      throw invalidConfig('options.transactionTimeoutMs', options.transactionTimeoutMs,
        'given only with a transactionalId');
    }
    return { transactionalId: undefined, transactionTimeoutMs };
  }
  if (typeof transactionalId !== 'string' || transactionalId.length === 0 ||
    transactionalId.length > transactionalIdLengthMax) {
    throw invalidConfig('options.transactionalId', transactionalId,
      `a string of 1 to ${transactionalIdLengthMax} characters`);
  }
  if (options.acks !== undefined && options.acks !== 'all') {
    throw invalidConfig('options.acks', options.acks, "'all' for a transactional producer");
  }
  if (options.idempotent === false) {
    throw invalidConfig('options.idempotent', false, 'true for a transactional producer');
  }
  return { transactionalId, transactionTimeoutMs };
}

/** `host:port` or `[v6 address]:port`; undefined when it is neither. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port > 65_535) return undefined;
  return { host: match[1] ?? match[2], port };
}
