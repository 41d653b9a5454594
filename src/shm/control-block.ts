/**
 * The broker's shared control block: one SharedArrayBuffer that the supervisor, every partition
 * actor, and every producer or consumer thread map. It holds the words threads wait on, never
 * data. Layout (each slot on its own 128 bytes, so that a word one thread writes never shares a
 * cache line with a word another thread writes — STYLE.md §3):
 *
 * ```
 *  0                      128 × actorsMax                      + 128 × partitionsPerBrokerMax
 *  +----------------------+------------------------------------+
 *  | actor slots          | partition slots                    |
 *  +----------------------+------------------------------------+
 *
 *  actor slot (128 bytes)                       writer
 *   0  heartbeat     i32  ++ every loop turn    the actor
 *   4  state         i32  ActorState            the actor (supervisor sets STOPPED/FAILED)
 *   8  epoch         i32  ++ on every start     the supervisor
 *  12  progress      i32  ++ while recovering   the actor
 *  16  doorbell      i32  ++ to wake the actor  any producer thread
 *  20  sleeping      i32  1 while about to wait the actor
 *
 *  partition slot (128 bytes)                   writer
 *   0  highWatermark    i64  next offset readers may read up to (exclusive)   the actor
 *   8  durableOffset    i64  offsets below it are flushed to disk             the actor
 *  16  logStartOffset   i64  first offset still in the log                    the actor
 *  24  changeCount      i32  ++ after any of the above changes; waited on     the actor
 *  28  state            i32  PartitionState                                   actor / supervisor
 *  32  actorIndex       i32  owning actor                                     the supervisor
 * ```
 *
 * Publish protocol for the high-watermark: the actor appends the batch bytes to the mapped
 * segment, then `Atomics.store`s highWatermark, then `Atomics.add`s changeCount and
 * `Atomics.notify`s it. A reader that loads changeCount, then highWatermark, and later waits on
 * the loaded changeCount value cannot miss a change: if the change came after its load,
 * `Atomics.wait` returns at once because the word no longer holds the value.
 */
import { assert } from '../assert.js';
import { actorsMax, partitionsPerBrokerMax } from '../constants.js';

export const SLOT_SIZE_BYTES = 128;
const i32 = 4;
const i64 = 8;

// Actor slot fields, as byte offsets within the slot.
export const ACTOR_HEARTBEAT = 0;
export const ACTOR_STATE = ACTOR_HEARTBEAT + i32;
export const ACTOR_EPOCH = ACTOR_STATE + i32;
export const ACTOR_PROGRESS = ACTOR_EPOCH + i32;
export const ACTOR_DOORBELL = ACTOR_PROGRESS + i32;
export const ACTOR_SLEEPING = ACTOR_DOORBELL + i32;
const ACTOR_SLOT_END = ACTOR_SLEEPING + i32;

// Partition slot fields.
export const PARTITION_HIGH_WATERMARK = 0;
export const PARTITION_DURABLE_OFFSET = PARTITION_HIGH_WATERMARK + i64;
export const PARTITION_LOG_START_OFFSET = PARTITION_DURABLE_OFFSET + i64;
export const PARTITION_CHANGE_COUNT = PARTITION_LOG_START_OFFSET + i64;
export const PARTITION_STATE = PARTITION_CHANGE_COUNT + i32;
export const PARTITION_ACTOR_INDEX = PARTITION_STATE + i32;
const PARTITION_SLOT_END = PARTITION_ACTOR_INDEX + i32;

export const ACTORS_REGION_OFFSET = 0;
export const PARTITIONS_REGION_OFFSET = ACTORS_REGION_OFFSET + actorsMax * SLOT_SIZE_BYTES;
export const CONTROL_BLOCK_SIZE_BYTES =
  PARTITIONS_REGION_OFFSET + partitionsPerBrokerMax * SLOT_SIZE_BYTES;

assert(ACTOR_SLOT_END <= SLOT_SIZE_BYTES, 'actor slot fits its 128 bytes');
assert(PARTITION_SLOT_END <= SLOT_SIZE_BYTES, 'partition slot fits its 128 bytes');
assert(PARTITION_HIGH_WATERMARK % i64 === 0, 'i64 fields are 8-byte aligned');

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

  constructor(readonly buffer: SharedArrayBuffer) {
    assert(buffer.byteLength === CONTROL_BLOCK_SIZE_BYTES, 'control block size');
    this.i32 = new Int32Array(buffer);
    this.i64 = new BigInt64Array(buffer);
  }

  static create(): ControlBlock {
    return new ControlBlock(new SharedArrayBuffer(CONTROL_BLOCK_SIZE_BYTES));
  }

  /** Index into `i32` of an actor field. */
  actorWord(actorIndex: number, field: number): number {
    assert(actorIndex >= 0 && actorIndex < actorsMax, `actor index ${actorIndex} in range`);
    return (ACTORS_REGION_OFFSET + actorIndex * SLOT_SIZE_BYTES + field) / i32;
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
    return PARTITIONS_REGION_OFFSET + slot * SLOT_SIZE_BYTES + field;
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

  changeCount(slot: number): number {
    return Atomics.load(this.i32, this.partitionWord(slot, PARTITION_CHANGE_COUNT));
  }

  partitionState(slot: number): PartitionState {
    return Atomics.load(this.i32, this.partitionWord(slot, PARTITION_STATE)) as PartitionState;
  }

  /** Actor side: publish new offsets, then wake every thread waiting on the partition. */
  publishOffsets(slot: number, highWatermark: number, durableOffset: number,
    logStartOffset: number): void {
    Atomics.store(this.i64, this.partitionLong(slot, PARTITION_LOG_START_OFFSET),
      BigInt(logStartOffset));
    Atomics.store(this.i64, this.partitionLong(slot, PARTITION_DURABLE_OFFSET),
      BigInt(durableOffset));
    Atomics.store(this.i64, this.partitionLong(slot, PARTITION_HIGH_WATERMARK),
      BigInt(highWatermark));
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
    if (Atomics.load(this.i32, this.actorWord(actorIndex, ACTOR_SLEEPING)) === 0) return;
    const doorbell = this.actorWord(actorIndex, ACTOR_DOORBELL);
    Atomics.add(this.i32, doorbell, 1);
    Atomics.notify(this.i32, doorbell);
  }
}
