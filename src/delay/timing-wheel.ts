/**
 * A hierarchical timing wheel (Varghese and Lauck; the shape of Kafka's purgatory timer and of
 * the kernel's timer wheel) over compact slots: each pending delayed message costs one due time
 * and one log offset (two float64) and one link (int32), 20 bytes, in typed arrays that grow by
 * doubling. The message itself stays in the delayed log and is read back when it is due.
 *
 * ```
 *  level 3  tick 256³ ms (4.7 h)  ┌───┬───┬─── … ───┬───┐  256 buckets: 49.7 days
 *  level 2  tick 256² ms (65 s)   ├───┼───┼─── … ───┼───┤  256 buckets: 4.7 h
 *  level 1  tick 256 ms           ├───┼───┼─── … ───┼───┤  256 buckets: 65 s
 *  level 0  tick 1 ms             └───┴───┴─── … ───┴───┘  256 buckets: 256 ms
 *  bucket (L, k mod 256) holds the slots whose due tick at level L is k, a linked list
 * ```
 *
 * Invariants:
 * 1. A slot sits in level L only if its due tick there is in (current, current + 256): the
 *    bucket of the current tick is always empty, so a bucket never mixes two rounds.
 * 2. A bucket is drained when its level's clock reaches its tick, that is at or before the due
 *    time of every slot in it; drained slots go down a level, or to the ready list once
 *    `due <= now`. So a slot is never fired before its due time, and each slot moves at most
 *    once per level.
 * 3. `advance` visits at most 256 buckets per level whatever the time that passed: a broker
 *    idle for a day costs the same as one that advanced a millisecond ago.
 */
import { assert } from '../assert.js';
import { timingWheelBucketCount, timingWheelLevelCount } from '../constants.js';

const NONE = -1;
const initialCapacity = 1024;
const size = timingWheelBucketCount;
const levels = timingWheelLevelCount;
/** Bytes of one slot: due time and log offset (float64 each) and the link (int32). */
export const TIMING_WHEEL_SLOT_SIZE_BYTES = 8 + 8 + 4;

export class TimingWheel {
  private dueMs = new Float64Array(initialCapacity);
  private logOffset = new Float64Array(initialCapacity);
  private next = new Int32Array(initialCapacity).fill(NONE);
  private capacity = initialCapacity;
  private freeHead = NONE;
  private highest = 0;
  private readonly heads = new Int32Array(size * levels).fill(NONE);
  private readonly levelCounts = new Float64Array(levels);
  private readonly currentTicks = new Float64Array(levels);
  private readonly ticksMs: number[] = [];
  private readyHead = NONE;
  private readyTail = NONE;
  private readyCount = 0;
  private count = 0;

  constructor(nowMs: number) {
    for (let level = 0; level < levels; level++) {
      this.ticksMs.push(size ** level);
      this.currentTicks[level] = Math.floor(nowMs / this.ticksMs[level]);
    }
  }

  /** Pending slots: in buckets or ready to fire. */
  get pendingCount(): number {
    return this.count;
  }

  /** Bytes of the typed arrays behind the wheel: what pending slots cost, nothing more. */
  get memoryBytes(): number {
    return this.capacity * TIMING_WHEEL_SLOT_SIZE_BYTES + this.heads.byteLength +
      this.levelCounts.byteLength + this.currentTicks.byteLength;
  }

  add(dueMs: number, logOffset: number): void {
    assert(Number.isFinite(dueMs), `due time ${dueMs} is finite`);
    const slot = this.allocate();
    this.dueMs[slot] = dueMs;
    this.logOffset[slot] = logOffset;
    this.count++;
    this.place(slot);
  }

  /**
   * Moves the clock to `nowMs` and calls `fire` for every slot due at or before it (in no
   * particular order), removing it. Returns how many fired.
   */
  advance(nowMs: number, fire: (logOffset: number, dueMs: number) => void): number {
    let drained = NONE;
    for (let level = 0; level < levels; level++) {
      const target = Math.floor(nowMs / this.ticksMs[level]);
      const steps = Math.min(target - this.currentTicks[level], size);
      for (let step = 1; step <= steps; step++) {
        const bucket = level * size + (this.currentTicks[level] + step) % size;
        drained = this.prependList(this.heads[bucket], drained, level);
        this.heads[bucket] = NONE;
      }
      if (target > this.currentTicks[level]) this.currentTicks[level] = target;
    }
    while (drained !== NONE) {
      const slot = drained;
      drained = this.next[slot];
      this.place(slot);
    }
    let fired = 0;
    while (this.readyHead !== NONE) {
      const slot = this.readyHead;
      this.readyHead = this.next[slot];
      if (this.readyHead === NONE) this.readyTail = NONE;
      this.readyCount--;
      this.count--;
      fire(this.logOffset[slot], this.dueMs[slot]);
      this.release(slot);
      fired++;
    }
    return fired;
  }

  /**
   * The earliest time at which `advance` has work: now-or-earlier (the current clock) when
   * slots are ready, else the start of the first non-empty bucket of any level; undefined when
   * the wheel is empty. A bucket of a higher level starts at or before its slots' due times, so
   * waking then is never late (the slots go down a level and the next wake is recomputed).
   */
  nextWakeMs(): number | undefined {
    if (this.readyCount > 0) return this.currentTicks[0];
    let earliest: number | undefined;
    for (let level = 0; level < levels; level++) {
      if (this.levelCounts[level] === 0) continue;
      const current = this.currentTicks[level];
      for (let step = 1; step < size; step++) {
        if (this.heads[level * size + (current + step) % size] === NONE) continue;
        const startMs = (current + step) * this.ticksMs[level];
        if (earliest === undefined || startMs < earliest) earliest = startMs;
        break;
      }
    }
    return earliest;
  }

  /** Puts a slot in the lowest level whose span holds its due time, or on the ready list. */
  private place(slot: number): void {
    const dueMs = this.dueMs[slot];
    for (let level = 0; level < levels; level++) {
      const tick = Math.floor(dueMs / this.ticksMs[level]);
      const current = this.currentTicks[level];
      if (tick <= current) {
        // Only level 0 can see a due tick at or before its clock: a level above holds only
        // what its lower neighbour could not, which is past that neighbour's span.
        assert(level === 0, `slot due ${dueMs} reached level ${level} at its current tick`);
        this.pushReady(slot);
        return;
      }
      if (tick < current + size) {
        this.pushBucket(level, tick % size, slot);
        return;
      }
    }
    // Past the top level's span (a clock that went back): the last bucket, placed again later.
    const top = levels - 1;
    this.pushBucket(top, (this.currentTicks[top] + size - 1) % size, slot);
  }

  private pushBucket(level: number, index: number, slot: number): void {
    const bucket = level * size + index;
    this.next[slot] = this.heads[bucket];
    this.heads[bucket] = slot;
    this.levelCounts[level]++;
  }

  private pushReady(slot: number): void {
    this.next[slot] = NONE;
    if (this.readyTail === NONE) this.readyHead = slot;
    else this.next[this.readyTail] = slot;
    this.readyTail = slot;
    this.readyCount++;
  }

  /** Prepends the bucket list starting at `head` to `list`; returns the new list's head. */
  private prependList(head: number, list: number, level: number): number {
    if (head === NONE) return list;
    let tail = head;
    let length = 1;
    while (this.next[tail] !== NONE) {
      tail = this.next[tail];
      length++;
    }
    this.next[tail] = list;
    this.levelCounts[level] -= length;
    return head;
  }

  private allocate(): number {
    if (this.freeHead !== NONE) {
      const slot = this.freeHead;
      this.freeHead = this.next[slot];
      return slot;
    }
    if (this.highest === this.capacity) this.grow();
    return this.highest++;
  }

  private release(slot: number): void {
    this.next[slot] = this.freeHead;
    this.freeHead = slot;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const dueMs = new Float64Array(capacity);
    dueMs.set(this.dueMs);
    const logOffset = new Float64Array(capacity);
    logOffset.set(this.logOffset);
    const next = new Int32Array(capacity).fill(NONE);
    next.set(this.next);
    this.dueMs = dueMs;
    this.logOffset = logOffset;
    this.next = next;
    this.capacity = capacity;
  }
}
