/**
 * The typed messages of the crash test, in one place (closed unions, switched on exhaustively):
 * producer worker → broker process, and broker process ↔ harness process (over the IPC channel
 * of `child_process.fork`, with `serialization: 'advanced'` so typed arrays cross as they are).
 *
 * Acknowledgements always travel in batches: one `AckReport` carries up to thousands of
 * (slot, offset, sequence) triples in one Float64Array, never one message per record.
 */
import type { ProducerHandle } from '../../client/producer.js';
import type { ActorKillMode } from './options.js';

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

export type ParentToChild =
  | { kind: 'crash'; mode: ActorKillMode; pick: number }
  | { kind: 'stop' };

export interface RestartReport {
  kind: 'restart';
  actorIndex: number;
  epoch: number;
  /** From the worker's exit to its successor having recovered every partition. */
  downtimeMs: number;
  /** From the successor's start to ready (its partitions recovered, sessions attached). */
  recoveryMs: number;
}

export type ChildToParent =
  | { kind: 'ready'; openMs: number }
  /** An ack report, with the durable offset of every slot read after the acks arrived. */
  | { kind: 'acks'; report: AckReport; durableOffsets: number[] }
  | { kind: 'durable'; durableOffsets: number[] }
  | RestartReport
  /** `actorIndex` -1: no actor could be killed (all down, or at their restart budget). */
  | { kind: 'crashed'; actorIndex: number; mode: ActorKillMode; skipReason?: string }
  | { kind: 'actor-failed'; actorIndex: number; reason: string }
  | { kind: 'stopped'; highWatermarks: number[] }
  | { kind: 'fatal'; message: string };
