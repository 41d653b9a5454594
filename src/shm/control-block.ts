/**
 * The broker's shared control block: one SharedArrayBuffer that the supervisor, every partition
 * actor, and every producer or consumer thread map. It holds the words threads wait on, never
 * data. Every 128-byte line has one writer (STYLE.md §3), so a word one thread writes never
 * shares a cache line with a word another thread writes: an actor slot is three lines, one per
 * writer; a partition slot is one line, written by its actor.
 *
 * ```
 *  0                        + 384 × actorsMax           + 128 × partitionsPerBrokerMax
 *  +------------------------+---------------------------+----------------------------+
 *  | actor slots            | partition slots           | metrics (metrics-block.ts) |
 *  +------------------------+---------------------------+----------------------------+
 *
 *  actor slot (3 × 128 bytes)
 *   line 0, written by the actor
 *     0  heartbeat     i32  ++ every loop turn
 *     4  state         i32  ActorState
 *     8  progress      i32  ++ while recovering
 *    12  sleeping      i32  1 while about to wait
 *   line 1, written by the supervisor
 *   128  epoch         i32  ++ on every start
 *   132  mail          i32  ++ after every message posted to the actor's thread
 *   line 2, written by producer threads (any of them, with Atomics.add)
 *   256  doorbell      i32  ++ to wake the actor
 *
 *  partition slot (128 bytes), written by the partition's actor
 *   0  highWatermark    i64  next offset readers may read up to (exclusive)
 *   8  durableOffset    i64  offsets below it are flushed to disk
 *  16  logStartOffset   i64  first offset still in the log
 *  24  changeCount      i32  ++ after any of the above changes; waited on
 *  28  state            i32  PartitionState
 *  32  actorIndex       i32  owning actor
 *  36  (padding)        i32
 *  40  lastStableOffset i64  read_committed readers read up to it (exclusive); ≤ highWatermark
 * ```
 *
 * Two words are also written by the supervisor, only while no actor thread writes the line:
 * an actor's `state` (STARTING before its worker is spawned, FAILED after it exited for good),
 * and a partition's `state`, `actorIndex` and `changeCount` (when the partition is assigned,
 * before the actor opens it, and when it failed or was deleted, after the actor let it go).
 *
 * Publish protocol for the high-watermark: the actor appends the batch bytes to the mapped
 * segment, then `Atomics.store`s highWatermark, then `Atomics.add`s changeCount and
 * `Atomics.notify`s it. A reader that loads changeCount, then highWatermark, and later waits on
 * the loaded changeCount value cannot miss a change: if the change came after its load,
 * `Atomics.wait` returns at once because the word no longer holds the value.
 *
 * The last stable offset rides the same protocol: the actor stores it after highWatermark and
 * before the changeCount bump, and `lastStableOffset()` loads it before highWatermark and
 * returns the smaller. Both only grow, so a reader that sees the new LSO also sees a
 * highWatermark at least as new, and `LSO ≤ highWatermark` holds for every reader.
 */
import { assert } from '../assert.js';
import { actorsMax, partitionsPerBrokerMax } from '../constants.js';
import { METRICS_REGION_SIZE_BYTES, MetricsBlock } from './metrics-block.js';

/** One cache line, doubled against adjacent-line prefetch (STYLE.md §3). */
export const LINE_SIZE_BYTES = 128;
const i32 = 4;
const i64 = 8;

// Actor slot fields, as byte offsets within the slot. Line 0: the actor's words.
const ACTOR_LINE_OF_ACTOR = 0;
export const ACTOR_HEARTBEAT = ACTOR_LINE_OF_ACTOR;
export const ACTOR_STATE = ACTOR_HEARTBEAT + i32;
export const ACTOR_PROGRESS = ACTOR_STATE + i32;
export const ACTOR_SLEEPING = ACTOR_PROGRESS + i32;
const ACTOR_LINE_OF_ACTOR_END = ACTOR_SLEEPING + i32;
// Line 1: the supervisor's word.
const ACTOR_LINE_OF_SUPERVISOR = ACTOR_LINE_OF_ACTOR + LINE_SIZE_BYTES;
export const ACTOR_EPOCH = ACTOR_LINE_OF_SUPERVISOR;
export const ACTOR_MAIL = ACTOR_EPOCH + i32;
const ACTOR_LINE_OF_SUPERVISOR_END = ACTOR_MAIL + i32;
// Line 2: the producers' word.
const ACTOR_LINE_OF_PRODUCERS = ACTOR_LINE_OF_SUPERVISOR + LINE_SIZE_BYTES;
export const ACTOR_DOORBELL = ACTOR_LINE_OF_PRODUCERS;
const ACTOR_LINE_OF_PRODUCERS_END = ACTOR_DOORBELL + i32;
export const ACTOR_SLOT_SIZE_BYTES = ACTOR_LINE_OF_PRODUCERS + LINE_SIZE_BYTES;

// Partition slot fields: one line, the actor's.
export const PARTITION_HIGH_WATERMARK = 0;
export const PARTITION_DURABLE_OFFSET = PARTITION_HIGH_WATERMARK + i64;
export const PARTITION_LOG_START_OFFSET = PARTITION_DURABLE_OFFSET + i64;
export const PARTITION_CHANGE_COUNT = PARTITION_LOG_START_OFFSET + i64;
export const PARTITION_STATE = PARTITION_CHANGE_COUNT + i32;
export const PARTITION_ACTOR_INDEX = PARTITION_STATE + i32;
const PARTITION_PADDING = PARTITION_ACTOR_INDEX + i32;
export const PARTITION_LAST_STABLE_OFFSET = PARTITION_PADDING + i32;
const PARTITION_SLOT_END = PARTITION_LAST_STABLE_OFFSET + i64;
export const PARTITION_SLOT_SIZE_BYTES = LINE_SIZE_BYTES;

export const ACTORS_REGION_OFFSET = 0;
export const PARTITIONS_REGION_OFFSET = ACTORS_REGION_OFFSET + actorsMax * ACTOR_SLOT_SIZE_BYTES;
export const METRICS_REGION_OFFSET =
  PARTITIONS_REGION_OFFSET + partitionsPerBrokerMax * PARTITION_SLOT_SIZE_BYTES;
export const CONTROL_BLOCK_SIZE_BYTES = METRICS_REGION_OFFSET + METRICS_REGION_SIZE_BYTES;

assert(ACTOR_LINE_OF_ACTOR_END - ACTOR_LINE_OF_ACTOR <= LINE_SIZE_BYTES, 'actor line fits');
assert(ACTOR_LINE_OF_SUPERVISOR_END - ACTOR_LINE_OF_SUPERVISOR <= LINE_SIZE_BYTES,
  'supervisor line fits');
assert(ACTOR_LINE_OF_PRODUCERS_END - ACTOR_LINE_OF_PRODUCERS <= LINE_SIZE_BYTES,
  'producer line fits');
assert(PARTITION_SLOT_END <= PARTITION_SLOT_SIZE_BYTES, 'partition slot fits its line');
assert(PARTITIONS_REGION_OFFSET % LINE_SIZE_BYTES === 0, 'partition slots start on a line');
assert(PARTITION_HIGH_WATERMARK % i64 === 0, 'i64 fields are 8-byte aligned');
assert(PARTITION_LAST_STABLE_OFFSET === 40, 'the last stable offset is byte 40 of the slot');

export const ActorState = {
  OFFLINE: 0,
  STARTING: 1,
  RECOVERING: 2,
  READY: 3,
  DRAINING: 4,
  STOPPED: 5,
  FAILED: 6,
} as const;
export type ActorState = (typeof ActorState)[keyof typeof ActorState];

export const PartitionState = {
  UNASSIGNED: 0,
  RECOVERING: 1,
  READY: 2,
  FAILED: 3,
  DELETED: 4,
} as const;
export type PartitionState = (typeof PartitionState)[keyof typeof PartitionState];

/** Typed access to the control block; any thread may construct one over the shared buffer. */
export class ControlBlock {
  readonly i32: Int32Array;
  readonly i64: BigInt64Array;
  /** The counters hot paths bump for the metrics (metrics-block.ts). */
  readonly metrics: MetricsBlock;

  constructor(readonly buffer: SharedArrayBuffer) {
    assert(buffer.byteLength === CONTROL_BLOCK_SIZE_BYTES, 'control block size');
    this.i32 = new Int32Array(buffer);
    this.i64 = new BigInt64Array(buffer);
    this.metrics = new MetricsBlock(buffer, METRICS_REGION_OFFSET);
  }

  static create(): ControlBlock {
    return new ControlBlock(new SharedArrayBuffer(CONTROL_BLOCK_SIZE_BYTES));
  }

  /** Index into `i32` of an actor field. */
  actorWord(actorIndex: number, field: number): number {
    assert(actorIndex >= 0 && actorIndex < actorsMax, `actor index ${actorIndex} in range`);
    return (ACTORS_REGION_OFFSET + actorIndex * ACTOR_SLOT_SIZE_BYTES + field) / i32;
  }

  /** Index into `i32` of a partition field (an i32 field). */
  partitionWord(slot: number, field: number): number {
    return this.partitionByte(slot, field) / i32;
  }

  /** Index into `i64` of a partition field (an i64 field). */
  partitionLong(slot: number, field: number): number {
    return this.partitionByte(slot, field) / i64;
  }

  private partitionByte(slot: number, field: number): number {
    assert(slot >= 0 && slot < partitionsPerBrokerMax, `partition slot ${slot} in range`);
    return PARTITIONS_REGION_OFFSET + slot * PARTITION_SLOT_SIZE_BYTES + field;
  }

  highWatermark(slot: number): number {
    return Number(Atomics.load(this.i64, this.partitionLong(slot, PARTITION_HIGH_WATERMARK)));
  }

  durableOffset(slot: number): number {
    return Number(Atomics.load(this.i64, this.partitionLong(slot, PARTITION_DURABLE_OFFSET)));
  }

  logStartOffset(slot: number): number {
    return Number(Atomics.load(this.i64, this.partitionLong(slot, PARTITION_LOG_START_OFFSET)));
  }

  /**
   * The last stable offset (see the file comment): loaded before the high-watermark and capped
   * by it, so it is never above the high-watermark this call could have returned.
   */
  lastStableOffset(slot: number): number {
    const lso = Number(Atomics.load(this.i64,
      this.partitionLong(slot, PARTITION_LAST_STABLE_OFFSET)));
    return Math.min(lso, this.highWatermark(slot));
  }

  changeCount(slot: number): number {
    return Atomics.load(this.i32, this.partitionWord(slot, PARTITION_CHANGE_COUNT));
  }

  partitionState(slot: number): PartitionState {
    return Atomics.load(this.i32, this.partitionWord(slot, PARTITION_STATE)) as PartitionState;
  }

  /**
   * Actor side: publish new offsets, then wake every thread waiting on the partition. The last
   * stable offset defaults to the high-watermark (no transaction open).
   */
  publishOffsets(slot: number, highWatermark: number, durableOffset: number,
    logStartOffset: number, lastStableOffset: number = highWatermark): void {
    assert(lastStableOffset <= highWatermark, 'the last stable offset ≤ the high-watermark');
    Atomics.store(this.i64, this.partitionLong(slot, PARTITION_LOG_START_OFFSET),
      BigInt(logStartOffset));
    Atomics.store(this.i64, this.partitionLong(slot, PARTITION_DURABLE_OFFSET),
      BigInt(durableOffset));
    Atomics.store(this.i64, this.partitionLong(slot, PARTITION_HIGH_WATERMARK),
      BigInt(highWatermark));
    Atomics.store(this.i64, this.partitionLong(slot, PARTITION_LAST_STABLE_OFFSET),
      BigInt(lastStableOffset));
    const word = this.partitionWord(slot, PARTITION_CHANGE_COUNT);
    Atomics.add(this.i32, word, 1);
    Atomics.notify(this.i32, word);
  }

  setPartitionState(slot: number, state: PartitionState): void {
    const word = this.partitionWord(slot, PARTITION_STATE);
    Atomics.store(this.i32, word, state);
    const change = this.partitionWord(slot, PARTITION_CHANGE_COUNT);
    Atomics.add(this.i32, change, 1);
    Atomics.notify(this.i32, change);
  }

  /**
   * Wakes the actor if it announced that it is about to sleep. The doorbell is bumped first, so
   * an actor that announced sleep and then re-checks its rings, or waits on the old doorbell
   * value, sees the change either way: no wakeup can be lost.
   */
  ringActor(actorIndex: number): void {
    this.ringIfSleeping(actorIndex);
  }

  /**
   * Supervisor side, after posting a message to an actor's thread: bumps the actor's mail word,
   * then rings. The actor gives its event loop a turn (where the message is handled) when the
   * word moved, and counts it as work before it parks: it stores `sleeping` and then loads the
   * mail word, this thread bumps the mail word and then loads `sleeping`, so one of the two
   * sees the other and the message never waits out a park.
   */
  mailActor(actorIndex: number): void {
    Atomics.add(this.i32, this.actorWord(actorIndex, ACTOR_MAIL), 1);
    this.ringIfSleeping(actorIndex);
  }

  private ringIfSleeping(actorIndex: number): void {
    if (Atomics.load(this.i32, this.actorWord(actorIndex, ACTOR_SLEEPING)) === 0) return;
    const doorbell = this.actorWord(actorIndex, ACTOR_DOORBELL);
    Atomics.add(this.i32, doorbell, 1);
    Atomics.notify(this.i32, doorbell);
  }
}
