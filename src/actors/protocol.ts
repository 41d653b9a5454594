/**
 * The control protocol between the supervisor and a partition actor: a closed, typed union of
 * commands (STYLE.md §11), carried over comlink on the worker's message port. Only rare admin
 * traffic travels here; record batches never do (they go through rings).
 *
 * Replies are `{ ok: true, value } | { ok: false, error: WireError }`, because a thrown error
 * loses its class and `code` when it crosses the port.
 */
import type { WireError } from '../errors.js';
import type { TopicConfig } from '../options.js';
import type { IdleConfig, RingHandle } from '../ringbuffer/index.js';
import type { CleanSegmentSpec } from '../segments/index.js';

/** What a partition's actor offers the log cleaner (PartitionLog.cleanPlan). */
export interface CleanPlan {
  dir: string;
  segments: CleanSegmentSpec[];
  dirtyRatio: number;
  indexIntervalBytes: number;
}

export interface PartitionSpec {
  slot: number;
  topic: string;
  partition: number;
  /** The partition's directory: `<dataDir>/<topic>-<partition>`. */
  dir: string;
  config: TopicConfig;
}

/** One session as an actor sees it: the two rings it shares with one producer thread. */
export interface ActorSessionSpec {
  sessionId: number;
  control: SharedArrayBuffer;
  request: RingHandle;
  ack: RingHandle;
}

export interface PartitionRecovered {
  slot: number;
  topic: string;
  partition: number;
  recoveryMs: number;
  logStartOffset: number;
  logEndOffset: number;
  /** Bytes of torn tail cleared during recovery. */
  truncatedBytes: number;
}

export interface PartitionStats {
  slot: number;
  topic: string;
  partition: number;
  logStartOffset: number;
  logEndOffset: number;
  durableOffset: number;
  segmentCount: number;
  sizeBytes: number;
}

export interface ActorStats {
  actorIndex: number;
  epoch: number;
  framesProcessed: number;
  batchesAppended: number;
  duplicatesSkipped: number;
  flushCount: number;
  /** Checkpoints that could not be written (a full disk); the last good one stays. */
  checkpointFailures: number;
  /**
   * Parks that ran out their time while work waited that nobody rang for: a lost wake-up, a bug
   * in the doorbell handshake (ControlBlock.ringActor, PartitionActor.sleepUntilWork). Stays 0,
   * but for a park whose time runs out in the microseconds between a producer's commit and its
   * ring (the ring is a microtask after the commit).
   */
  lostWakeups: number;
  sessions: number;
  /** The actor thread's own V8 isolate (each worker has one): what its heap holds now. */
  heap: ActorHeapStats;
  partitions: PartitionStats[];
}

/** From `v8.getHeapStatistics()` inside the actor's thread. */
export interface ActorHeapStats {
  /** Bytes of live and not yet collected objects. */
  usedBytes: number;
  /** Bytes of heap pages resident (committed and touched): the isolate's share of RSS. */
  residentBytes: number;
  /** Bytes the embedder reported as held by JS objects outside the heap (ArrayBuffers). */
  externalBytes: number;
  /** The young generation's bound this worker was started with (`resourceLimits`). */
  youngGenerationSizeMbMax: number;
}

/**
 * Chaos modes: `throw` (an uncaught error), `exit` (`process.exit` in the worker), `hang` (an
 * endless loop: alive, heartbeat stopped) and `hang-wait` (blocked in an `Atomics.wait` nobody
 * notifies). Each strikes after the actor appended a pass's frames, before acking them.
 */
export type CrashMode = 'throw' | 'exit' | 'hang' | 'hang-wait';
export const CRASH_MODES: readonly CrashMode[] = ['throw', 'exit', 'hang', 'hang-wait'];

export type ActorCommand =
  /**
   * `reopen`: the partition was open in this process before (an actor restart), so its log is
   * recovered from the recovery point only (PartitionLogOptions.reopenInProcess).
   */
  | { kind: 'open-partition'; spec: PartitionSpec; reopen?: boolean }
  | { kind: 'close-partition'; slot: number }
  | { kind: 'delete-partition'; slot: number }
  | { kind: 'add-session'; session: ActorSessionSpec }
  | { kind: 'remove-session'; sessionId: number }
  | { kind: 'stats' }
  | { kind: 'ping' }
  | { kind: 'checkpoint' }
  | { kind: 'clean-plan'; slot: number; rollActive: boolean }
  | { kind: 'swap-segments'; slot: number; segments: CleanSegmentSpec[] }
  | { kind: 'crash'; mode: CrashMode }
  | {
    kind: 'write-marker'; slot: number; producerId: number; producerEpoch: number;
    commit: boolean; coordinatorEpoch: number;
  }
  | { kind: 'shutdown' }
  /** To a warm standby worker: become the actor's `epoch` (standby-endpoint.ts). */
  | { kind: 'adopt'; epoch: number };

export interface ActorReplies {
  'open-partition': PartitionRecovered;
  'close-partition': null;
  'delete-partition': null;
  'add-session': null;
  'remove-session': null;
  'stats': ActorStats;
  'ping': null;
  'checkpoint': null;
  'clean-plan': CleanPlan;
  /** False when the log moved on meanwhile and nothing was swapped. */
  'swap-segments': boolean;
  'crash': null;
  /** The marker's offset, once it is durable. */
  'write-marker': { offset: number };
  'shutdown': null;
  'adopt': null;
}

export type ActorReply<K extends ActorCommand['kind']> =
  | { ok: true; value: ActorReplies[K] }
  | { ok: false; error: WireError };

/** What an actor exposes through comlink. */
export interface ActorEndpoint {
  call(command: ActorCommand): Promise<ActorReply<ActorCommand['kind']>>;
}

/** Startup data of an actor worker (`workerData`). */
export interface ActorWorkerData {
  actorIndex: number;
  epoch: number;
  controlBlock: SharedArrayBuffer;
  /** How the drain loop waits when its rings are empty. */
  idle: IdleConfig;
  /** A warm standby: loads its modules, then waits for `adopt` (epoch is 0 until then). */
  standby?: boolean;
  /** The supervisor's count of control messages posted to this worker (control-inbox.ts). */
  controlPosted: SharedArrayBuffer;
}
