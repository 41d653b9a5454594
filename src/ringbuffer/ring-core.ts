/**
 * What the single-producer and the many-producer ring share: the control block, the wake-up
 * protocol, blocking and async waits, release, and close. The two rings differ only in how a
 * producer claims and publishes a frame and how the consumer finds the end of the published
 * frames (spsc-ring.ts, mpsc-ring.ts).
 *
 * ## Positions
 * `head` and `tail` are byte positions kept as wrap-safe 32-bit integers: they count up forever,
 * modulo 2^32, and the code only ever uses their difference, `(tail - head) | 0`, and their low
 * bits, `position & (capacityBytes - 1)`. The difference is never more than `capacityBytes`
 * (at most 2^28, far below 2^31), so it is exact even after either counter wraps, and the low
 * bits are exact because `capacityBytes` is a power of two dividing 2^32. At 10 GB/s the
 * counters wrap every 0.43 s and nothing notices, for as many years as the process runs.
 * (A 64-bit BigInt64Array counter would also last for ~29 years, but measured on Node 20 its
 * atomic load, store and compare-and-swap cost 18, 22 and 40 ns against 10, 8 and 9 ns for an
 * Int32Array.) The only comparison that cares about laps is the many-producer tail
 * compare-and-swap; see mpsc-ring.ts for why it is safe.
 *
 * ## Wake-ups: no syscall on the fast path, no lost wake-up
 * Each side that runs out of work announces that it is going to sleep in a shared word
 * (`consumerWaiting`, `producersWaiting`), checks its condition again, and only then sleeps on
 * that word with `Atomics.wait(word, 1, timeoutMs)` (or `Atomics.waitAsync` on the main thread).
 * The other side, right after its publishing store (tail or frame length for the consumer's
 * benefit, head for the producers'), loads the word and, only if it reads 1, swaps it to 0 and
 * calls `Atomics.notify`. While nobody sleeps, that is one atomic load and no syscall.
 *
 * Why no wake-up is lost: every access involved is a sequentially consistent `Atomics`
 * operation, so they fall in one total order. The sleeper does (a) store word = 1, (b) load the
 * condition; the waker does (c) publishing store, (d) load word. If (c) comes before (b), the
 * sleeper sees the new data and does not sleep. Otherwise (a) < (b) < (c) < (d), so the waker
 * reads 1, sets the word to 0 and notifies. `Atomics.wait` compares the word with 1 and blocks
 * atomically with respect to `notify`: if the word is already 0 it returns at once, and if it
 * is still 1 the sleeper is on the wait list when the notify comes. Closing stores the state,
 * then clears both words and notifies both, and every sleeper checks the state after (a), so
 * close wakes everyone by the same argument. Every wait also carries a timeout, so a peer that
 * died never leaves the other side sleeping forever.
 */
import { assert } from '../assert.js';
import { waitForChange } from './wait-for-change.js';
import { closed, invalidConfig, MambaError } from '../errors.js';
import { ringAbandonedClaimTimeoutMsDefault } from '../constants.js';
import { Claim } from './claim.js';
import {
  capacityOffset, checkCapacity, closeReasonBytesMax, closeReasonBytesOffset,
  closeReasonOffset, consumerWaitingSlotOffset, dataOffset, headSlotOffset, int32IndexOf,
  kindOffset, magicOffset, producersWaitingSlotOffset, RingKind, ringMagic, RingState,
  ringVersion, stateOffset, tailSlotOffset, totalBytesFor, uint16IndexOf, versionOffset,
  type RingKindName,
} from './ring-layout.js';

/** Returned by `tryClaim` when the ring has no room for the frame right now. */
export const FULL: unique symbol = Symbol('mamba.ring.full');
/** Returned by `tryClaim` when the ring is closed. */
export const CLOSED: unique symbol = Symbol('mamba.ring.closed');

export type ClaimResult = Claim | typeof FULL | typeof CLOSED;
export type WaitOutcome = 'ok' | 'timed-out';
export type FrameHandler = (type: number, payload: Uint8Array, flags: number) => void;

/** Everything another thread needs to attach a ring; structured-cloneable. */
export interface RingHandle {
  readonly kind: RingKindName;
  readonly buffer: SharedArrayBuffer;
  readonly capacityBytes: number;
  readonly abandonedClaimTimeoutMs: number;
}

export interface RingOptions {
  /** MPSC only: how long a claimed but uncommitted frame may block the consumer before it is
   * turned into padding (its producer is presumed dead). Default 5000 ms. */
  abandonedClaimTimeoutMs?: number;
  /** Test-only: the position both counters start from, to exercise their 32-bit wrap. */
  initialPositionForTest?: number;
}

/**
 * The bytes published or claimed and not yet released in a ring, read from any thread (the
 * metrics' ring occupancy). Two loads that may straddle a move of either side: a snapshot.
 */
export function ringUsedBytes(handle: RingHandle): number {
  const i32 = new Int32Array(handle.buffer, 0, dataOffset / 4);
  const used = (Atomics.load(i32, tailIndex) - Atomics.load(i32, headIndex)) | 0;
  return Math.min(Math.max(used, 0), handle.capacityBytes);
}

/** Sleeps on a waiting word the other side clears (see wait-for-change.ts). */
function waitAsyncFor(array: Int32Array, index: number, timeoutMs: number): Promise<void> {
  return waitForChange(array, index, 1, timeoutMs);
}

const tailIndex = int32IndexOf(tailSlotOffset);
const headIndex = int32IndexOf(headSlotOffset);
const consumerWaitingIndex = int32IndexOf(consumerWaitingSlotOffset);
const producersWaitingIndex = int32IndexOf(producersWaitingSlotOffset);
const stateIndex = int32IndexOf(stateOffset);

/** Allocates and formats the shared memory of a new ring. */
export function allocateRing(
  kind: RingKindName, capacityBytes: number, options: RingOptions,
): RingHandle {
  checkCapacity(capacityBytes);
  const timeoutMs = options.abandonedClaimTimeoutMs ?? ringAbandonedClaimTimeoutMsDefault;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw invalidConfig('abandonedClaimTimeoutMs', timeoutMs, 'a positive number of ms');
  }
  const buffer = new SharedArrayBuffer(totalBytesFor(capacityBytes));
  const i32 = new Int32Array(buffer);
  i32[int32IndexOf(magicOffset)] = ringMagic;
  i32[int32IndexOf(versionOffset)] = ringVersion;
  i32[int32IndexOf(capacityOffset)] = capacityBytes;
  i32[int32IndexOf(kindOffset)] = RingKind[kind];
  const start = (options.initialPositionForTest ?? 0) | 0;
  assert(start % 8 === 0, 'initial position is frame aligned');
  i32[tailIndex] = start;
  i32[headIndex] = start;
  return { kind, buffer, capacityBytes, abandonedClaimTimeoutMs: timeoutMs };
}

function checkHandle(handle: RingHandle, kind: RingKindName): void {
  if (handle.kind !== kind) throw invalidConfig('handle.kind', handle.kind, `"${kind}"`);
  const i32 = new Int32Array(handle.buffer, 0, int32IndexOf(dataOffset));
  const magic = i32[int32IndexOf(magicOffset)];
  if (magic !== ringMagic) throw invalidConfig('handle.buffer magic', magic, 'a Mamba ring');
  const version = i32[int32IndexOf(versionOffset)];
  if (version !== ringVersion) throw invalidConfig('handle.buffer version', version, '1');
  const capacity = i32[int32IndexOf(capacityOffset)];
  if (capacity !== handle.capacityBytes) {
    throw invalidConfig('handle.capacityBytes', handle.capacityBytes, `${capacity}`);
  }
  if (i32[int32IndexOf(kindOffset)] !== RingKind[kind]) {
    throw invalidConfig('handle.buffer kind', i32[int32IndexOf(kindOffset)], `${kind}`);
  }
}

export abstract class RingCore {
  readonly capacityBytes: number;
  protected readonly i32: Int32Array;
  protected readonly u16: Uint16Array;
  protected readonly bytes: Uint8Array;
  protected readonly mask: number;
  /** Consumer-local: the position after the last frame handed out by `read`. */
  protected readPosition: number;

  protected constructor(private readonly ringHandle: RingHandle, kind: RingKindName) {
    checkHandle(ringHandle, kind);
    this.capacityBytes = ringHandle.capacityBytes;
    this.i32 = new Int32Array(ringHandle.buffer);
    this.u16 = new Uint16Array(ringHandle.buffer);
    this.bytes = new Uint8Array(ringHandle.buffer);
    this.mask = this.capacityBytes - 1;
    this.readPosition = Atomics.load(this.i32, headIndex);
  }

  handle(): RingHandle {
    return this.ringHandle;
  }

  // ---- producer side -------------------------------------------------------------------------

  /** Reserves space for one frame; never blocks. Bad arguments throw (`FRAME_TOO_LARGE`). */
  abstract tryClaim(type: number, payloadBytes: number): ClaimResult;
  /** Makes the frame part of the ring without waking the consumer; `publish()` does that. */
  abstract commitDeferred(claim: Claim): void;
  /** Gives the claimed space up; the consumer skips it. */
  abstract abort(claim: Claim): void;
  /** Makes every deferred commit visible with one store, then wakes the consumer if it sleeps. */
  abstract publish(): void;

  /** Publishes one frame: its publishing store, and a notify only if the consumer sleeps. */
  commit(claim: Claim): void {
    this.commitDeferred(claim);
    this.publish();
  }

  /** Publishes many frames, claimed in this order, with at most one notify. */
  commitMany(claims: readonly Claim[]): void {
    for (const claim of claims) this.commitDeferred(claim);
    this.publish();
  }

  /** Claims, sleeping with `Atomics.wait` while full (workers only; the main thread throws). */
  claimBlocking(type: number, payloadBytes: number, timeoutMs: number): Claim {
    const fast = this.tryClaim(type, payloadBytes); // no clock read while there is room
    if (fast !== FULL && fast !== CLOSED) return fast;
    const deadlineMs = performance.now() + checkTimeoutMs(timeoutMs);
    for (;;) {
      const claim = this.claimOrAnnounce(type, payloadBytes);
      if (claim !== FULL) return claim;
      const remainingMs = deadlineMs - performance.now();
      if (remainingMs <= 0) throw this.timeoutError('claim', timeoutMs);
      Atomics.wait(this.i32, producersWaitingIndex, 1, remainingMs);
    }
  }

  /** Claims, awaiting `Atomics.waitAsync` while full; never blocks the thread. */
  async claimAsync(type: number, payloadBytes: number, timeoutMs: number): Promise<Claim> {
    const fast = this.tryClaim(type, payloadBytes);
    if (fast !== FULL && fast !== CLOSED) return fast;
    const deadlineMs = performance.now() + checkTimeoutMs(timeoutMs);
    for (;;) {
      const claim = this.claimOrAnnounce(type, payloadBytes);
      if (claim !== FULL) return claim;
      const remainingMs = deadlineMs - performance.now();
      if (remainingMs <= 0) throw this.timeoutError('claim', timeoutMs);
      await waitAsyncFor(this.i32, producersWaitingIndex, remainingMs);
    }
  }

  /** One claim attempt; when full, announces a sleeping producer and checks once more. */
  private claimOrAnnounce(type: number, payloadBytes: number): Claim | typeof FULL {
    const first = this.tryClaim(type, payloadBytes);
    if (first === CLOSED) throw this.closedError();
    if (first !== FULL) return first;
    // Deferred commits must reach the consumer before we sleep, or it never frees space.
    this.publish();
    Atomics.store(this.i32, producersWaitingIndex, 1);
    const second = this.tryClaim(type, payloadBytes);
    if (second === CLOSED) throw this.closedError();
    return second;
  }

  /** Called by the consumer right after it advanced head. */
  private wakeProducers(): void {
    if (Atomics.load(this.i32, producersWaitingIndex) === 0) return;
    if (Atomics.compareExchange(this.i32, producersWaitingIndex, 1, 0) === 1) {
      Atomics.notify(this.i32, producersWaitingIndex);
    }
  }

  /** Called by a producer right after its publishing store. */
  protected wakeConsumer(): void {
    if (Atomics.load(this.i32, consumerWaitingIndex) === 0) return;
    if (Atomics.compareExchange(this.i32, consumerWaitingIndex, 1, 0) === 1) {
      Atomics.notify(this.i32, consumerWaitingIndex);
    }
  }

  // ---- consumer side -------------------------------------------------------------------------

  /**
   * Hands out up to `limitFrames` published frames, in order, as zero-copy views; does not
   * release them. A view is valid until `release()`. Returns how many frames were handed out.
   */
  abstract read(limitFrames: number, onFrame: FrameHandler): number;
  /** Whether a frame (or an abandoned claim to clear) waits at the read position. */
  protected abstract hasData(): boolean;
  /** Longest the consumer may sleep before it must look at the ring again, in ms. */
  protected sleepCapMs(timeoutMs: number): number {
    return timeoutMs;
  }
  /** Runs before head advances over [head, readPosition): a many-producer ring zeroes it. */
  protected abstract beforeRelease(headPosition: number, readPosition: number): void;

  /** Gives every frame handed out by `read` back to the producers (advances head). */
  release(): void {
    this.releaseTo(this.readPosition);
  }

  /** Where the next `read` starts: a mark for `releaseTo`. */
  get readMark(): number {
    return this.readPosition;
  }

  /**
   * Releases only the frames read before `mark` (an earlier `readMark`), keeping those read
   * after it: a consumer that finishes frames out of order releases the finished prefix.
   */
  releaseTo(mark: number): void {
    const headPosition = Atomics.load(this.i32, headIndex);
    const releasing = (mark - headPosition) | 0;
    assert(releasing >= 0, `release mark ${mark} is not behind the head ${headPosition}`);
    assert(releasing <= ((this.readPosition - headPosition) | 0), `release mark ${mark} was read`);
    if (releasing === 0) return;
    this.beforeRelease(headPosition, mark);
    Atomics.store(this.i32, headIndex, mark); // publishing store for producers
    this.wakeProducers();
  }

  /** Waits (`Atomics.wait`, workers only) until a frame can be read. */
  waitForData(timeoutMs: number): WaitOutcome {
    if (this.hasData()) return 'ok';
    const deadlineMs = performance.now() + checkTimeoutMs(timeoutMs);
    for (;;) {
      if (this.dataOrAnnounce()) return 'ok';
      const remainingMs = deadlineMs - performance.now();
      if (remainingMs <= 0) return this.stopWaiting();
      Atomics.wait(this.i32, consumerWaitingIndex, 1, this.sleepCapMs(remainingMs));
    }
  }

  /** Waits (`Atomics.waitAsync`, never blocking the thread) until a frame can be read. */
  async waitForDataAsync(timeoutMs: number): Promise<WaitOutcome> {
    const deadlineMs = performance.now() + checkTimeoutMs(timeoutMs);
    for (;;) {
      if (this.dataOrAnnounce()) return 'ok';
      const remainingMs = deadlineMs - performance.now();
      if (remainingMs <= 0) return this.stopWaiting();
      await waitAsyncFor(this.i32, consumerWaitingIndex, this.sleepCapMs(remainingMs));
    }
  }

  private dataOrAnnounce(): boolean {
    if (this.hasData()) return true;
    if (this.isClosed) throw this.closedError();
    Atomics.store(this.i32, consumerWaitingIndex, 1);
    if (this.hasData()) return true;
    if (this.isClosed) throw this.closedError();
    return false;
  }

  private stopWaiting(): WaitOutcome {
    // Nobody needs to wake us any more; spares the producers a useless notify.
    Atomics.store(this.i32, consumerWaitingIndex, 0);
    return 'timed-out';
  }

  /** Bytes claimed by producers and not yet handed out by `read` (in-progress claims too). */
  get bytesAvailable(): number {
    return (Atomics.load(this.i32, tailIndex) - this.readPosition) | 0;
  }

  /** Bytes handed out by `read` and not yet released. */
  get bytesUnreleased(): number {
    return (this.readPosition - Atomics.load(this.i32, headIndex)) | 0;
  }

  /** Bytes a producer could claim right now (frames need their header and alignment too). */
  get bytesFree(): number {
    const used = (Atomics.load(this.i32, tailIndex) - Atomics.load(this.i32, headIndex)) | 0;
    return this.capacityBytes - used;
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  get isClosed(): boolean {
    return Atomics.load(this.i32, stateIndex) !== RingState.open;
  }

  /** The reason given to `close`, once the ring is closed. */
  get closeReason(): string {
    if (Atomics.load(this.i32, stateIndex) !== RingState.closed) return '';
    const length = this.i32[int32IndexOf(closeReasonBytesOffset)];
    const copy = this.bytes.slice(closeReasonOffset, closeReasonOffset + length);
    return new TextDecoder().decode(copy);
  }

  /**
   * Closes the ring for both sides: claims return CLOSED, waits throw `RING_CLOSED`, and
   * sleepers on both sides wake now. Frames already published can still be read and released.
   */
  close(reason = ''): void {
    if (Atomics.compareExchange(this.i32, stateIndex, RingState.open, RingState.closing) ===
      RingState.open) {
      const encoded = new TextEncoder().encode(reason).subarray(0, closeReasonBytesMax);
      this.bytes.set(encoded, closeReasonOffset);
      this.i32[int32IndexOf(closeReasonBytesOffset)] = encoded.length;
      Atomics.store(this.i32, stateIndex, RingState.closed);
    }
    Atomics.store(this.i32, consumerWaitingIndex, 0);
    Atomics.notify(this.i32, consumerWaitingIndex);
    Atomics.store(this.i32, producersWaitingIndex, 0);
    Atomics.notify(this.i32, producersWaitingIndex);
  }

  // ---- shared helpers for the two ring kinds --------------------------------------------------

  protected loadTail(): number {
    return Atomics.load(this.i32, tailIndex);
  }

  protected loadHead(): number {
    return Atomics.load(this.i32, headIndex);
  }

  protected storeTail(position: number): void {
    Atomics.store(this.i32, tailIndex, position);
  }

  protected casTail(expected: number, next: number): boolean {
    return Atomics.compareExchange(this.i32, tailIndex, expected, next) === expected;
  }

  protected isOpen(): boolean {
    return Atomics.load(this.i32, stateIndex) === RingState.open;
  }

  /** Byte offset in the shared buffer of a ring position. */
  protected frameOffsetOf(position: number): number {
    return dataOffset + (position & this.mask);
  }

  protected u16IndexOf(byteOffset: number): number {
    return uint16IndexOf(byteOffset);
  }

  protected closedError(): MambaError {
    const reason = this.closeReason;
    const error = closed('RING_CLOSED', 'ring');
    return reason === '' ? error : new MambaError('RING_CLOSED', `ring is closed: ${reason}`);
  }

  private timeoutError(what: string, timeoutMs: number): MambaError {
    return new MambaError('TIMEOUT', `ring ${what} timed out after ${timeoutMs} ms`,
      { detail: { timeoutMs } });
  }
}

function checkTimeoutMs(timeoutMs: number): number {
  if (Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw invalidConfig('timeoutMs', timeoutMs, 'a number of ms, 0 or more');
  }
  return timeoutMs;
}
