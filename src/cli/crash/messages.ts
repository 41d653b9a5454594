/**
 * The typed messages of the crash test, in one place (closed unions, switched on exhaustively):
 * producer worker → broker process, and broker process ↔ harness process (over the IPC channel
 * of `child_process.fork`, with `serialization: 'advanced'` so typed arrays cross as they are).
 *
 * Acknowledgements always travel in batches: one `AckReport` carries up to thousands of
 * (slot, offset, sequence) triples in one Float64Array, never one message per record; so do
 * consumed records (`ConsumedReport`), from consumer worker → broker process → harness.
 */
import type { ConsumerHandle } from '../../client/index.js';
import type { ProducerHandle } from '../../client/index.js';
import type { ActorKillMode } from './options.js';
import type { ActorRestartEvent, RestartPhases } from '../../supervisor/index.js';
import type { ForwardStepPoint } from '../../client/index.js';
import type { TxnCounters, TxnStepPoint } from './txn-load.js';

/** Where a broker process runs its workload: fixed for one process. */
export interface ChildConfig {
  dataDir: string;
  actors: number;
  topicNames: string[];
  partitions: number;
  segmentBytes: number;
  acks: 1 | 'all';
  producers: number;
  /** Producer ids of this process are `producerIdBase + index`. */
  producerIdBase: number;
  runId: number;
  valueBytes: number;
  recordsPerRound: number;
  /** Members of the live consumer group this process runs. */
  consumers: number;
  /** Member ids of this process are `consumerIdBase + index` (unique over the run). */
  consumerIdBase: number;
  /** The live group: the same in every broker process, so it resumes from committed offsets. */
  groupId: string;
  /** `--delayed`: the topic of the delayed messages (delayed-load.ts); undefined without it. */
  delayedTopic: string | undefined;
  /** Numbers this process's delayed-message ids (`incarnation × 2^24 + sequence`). */
  incarnation: number;
  /** `--dead-letters`: run the dead-letter group (dead-letter-load.ts). */
  deadLetters: boolean;
  /** `--transactions`: run the consume-transform-produce workload (txn-load.ts). */
  transactions: boolean;
  /** `--no-standby`: the broker keeps no warm standby actors. */
  noStandby: boolean;
}

export interface ProducerWorkerData {
  handle: ProducerHandle;
  producerId: number;
  runId: number;
  topicNames: string[];
  partitions: number;
  valueBytes: number;
  recordsPerRound: number;
}

/** Ack triples: `ACK_FIELDS` numbers per acknowledged record. */
export const ACK_SLOT = 0;
export const ACK_OFFSET = 1;
export const ACK_SEQUENCE = 2;
export const ACK_FIELDS = 3;

export interface AckReport {
  kind: 'acks';
  producerId: number;
  /** Records handed to `send` so far by this producer (cumulative). */
  sentCount: number;
  /** Records whose send failed so far (cumulative); they may or may not be stored. */
  failedCount: number;
  /** Failure counts by error code since the previous report. */
  errors: Record<string, number>;
  acks: Float64Array;
}

export type WorkerToChild = AckReport | { kind: 'done'; producerId: number };
export type ChildToWorker = { kind: 'stop' };

export interface ConsumerWorkerData {
  handle: ConsumerHandle;
  memberId: number;
  runId: number;
  topicNames: string[];
  partitions: number;
}

/**
 * Consumed records: `CONSUMED_FIELDS` numbers per delivery. The producer id and sequence come
 * from the record's value; a value that is not a record of this run has producer id -1. The
 * sent slot is where the value says it was sent. The epoch numbers the member's continuous
 * holds of a partition: it changes whenever the partition is assigned to the member again.
 */
export const CONSUMED_SLOT = 0;
export const CONSUMED_OFFSET = 1;
export const CONSUMED_PRODUCER_ID = 2;
export const CONSUMED_SEQUENCE = 3;
export const CONSUMED_SENT_SLOT = 4;
export const CONSUMED_EPOCH = 5;
export const CONSUMED_FIELDS = 6;

export interface ConsumedReport {
  kind: 'consumed';
  memberId: number;
  /** Per member, from 0: the broker process confirms each one once it is on its way out. */
  reportId: number;
  records: Float64Array;
  /** Partition assignments and revocations the member saw since its previous report. */
  assignedCount: number;
  revokedCount: number;
}

export type ConsumerToChild =
  | ConsumedReport
  /** The member joined its group and holds its first assignment. */
  | { kind: 'subscribed'; memberId: number }
  /** `lastCommitError`: the member's last failed automatic commit, if one failed. */
  | { kind: 'closed'; memberId: number; lastCommitError?: string }
  | { kind: 'failed'; memberId: number; message: string };

export type ChildToConsumer =
  /** Report `reportId` reached the harness's channel: its records count as processed. */
  | { kind: 'confirmed'; reportId: number }
  | { kind: 'stop' };

/** The live group's state when a broker process stops: how far behind it was, and drained. */
export interface ConsumerStopReport {
  /** Per slot, high-watermark minus committed offset when the producers had stopped. */
  lagAtStop: number[];
  /** Per slot, after the drain and the members' close (0 when they caught up). */
  lagAtClose: number[];
  drainMs: number;
  /** False when the members did not reach the high-watermarks within the drain limit. */
  drained: boolean;
  /** Each member's last failed automatic commit (`member N: error`), for a drain that failed. */
  commitErrors: string[];
}

export type ParentToChild =
  | { kind: 'crash'; mode: ActorKillMode; pick: number }
  /** `--dead-letters`: SIGKILL this process at `point` of its next dead-letter step. */
  | { kind: 'kill-in-dead-letter-step'; point: ForwardStepPoint }
  /** `--transactions`: SIGKILL this process at `point` of its next transaction. */
  | { kind: 'kill-in-txn-step'; point: TxnStepPoint }
  | { kind: 'stop' };

export interface RestartReport {
  kind: 'restart';
  actorIndex: number;
  epoch: number;
  /** From the worker's exit to its successor having recovered every partition. */
  downtimeMs: number;
  /** From the successor's start to ready (its partitions recovered, sessions attached). */
  recoveryMs: number;
  /** How the harness killed it; undefined when it died on its own. */
  mode?: ActorKillMode;
  /** Where the downtime went, and the standby the restart found (ActorRestartEvent). */
  phasesMs: RestartPhases;
  standby: ActorRestartEvent['standby'];
}

export type ChildToParent =
  /**
   * `highWatermarks` and `committedOffsets` (the live group's, -1 where none) are read right
   * after the broker opened, before any member or producer started.
   */
  | { kind: 'ready'; openMs: number; highWatermarks: number[]; committedOffsets: number[] }
  /** An ack report, with the durable offset of every slot read after the acks arrived. */
  | { kind: 'acks'; report: AckReport; durableOffsets: number[] }
  | { kind: 'durable'; durableOffsets: number[] }
  | RestartReport
  /** `actorIndex` -1: no actor could be killed (all down, or at their restart budget). */
  | { kind: 'crashed'; actorIndex: number; mode: ActorKillMode; skipReason?: string }
  | { kind: 'actor-failed'; actorIndex: number; reason: string }
  | ConsumedReport
  | { kind: 'stopped'; highWatermarks: number[]; consumers: ConsumerStopReport }
  /** Acknowledged delayed messages: their ids and due times (epoch ms). */
  | { kind: 'delayed-acks'; ids: number[]; dueMs: number[]; sentCount: number;
    failedCount: number }
  /** A run of the dead-letter group rejected and was started again (dead-letter-load.ts). */
  | { kind: 'dead-letter-restart'; message: string }
  /** The dead-letter group at a clean stop: how long it took to reach the high-watermarks. */
  | { kind: 'dead-letter-drained'; drained: boolean; drainMs: number }
  /** `--transactions`: acknowledged input records (txn-load.ts), one entry per record. */
  | { kind: 'txn-input-acks'; producerId: number; sequences: number[]; partitions: number[];
    offsets: number[]; sentCount: number; failedCount: number }
  /**
   * `--transactions`: (output slot, offset) pairs the live read_committed group was handed
   * since the last report, and the workers' transaction counters.
   */
  | { kind: 'txn-report'; seen: Float64Array; counters: TxnCounters }
  | { kind: 'txn-drained'; drained: boolean; drainMs: number }
  | { kind: 'fatal'; message: string };
