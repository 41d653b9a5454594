/**
 * A many-to-one ring: any number of producer threads, one consumer thread at a time (a new
 * consumer may attach after the previous one died, and reads every unreleased frame again).
 *
 * Claim protocol (after Agrona's ManyToOneRingBuffer): a producer loads head, then tail, checks
 * the space, and takes it with one compare-and-swap of the tail; a claim that does not fit
 * before the end of the data area takes the rest of it as well and writes a padding frame
 * there. Right after the swap it stores the frame's length NEGATIVE, which marks the frame as
 * in progress. The consumer stops at the first length that is not positive.
 *
 * Publish protocol: `commit` writes the flags, then `Atomics.store(length, +frameLength)`; that
 * store is what makes the frame visible, and the consumer's `Atomics.load` of the length
 * synchronises with it, so the whole payload is visible too. Frames publish independently (each
 * producer's frames are interleaved with others'), so `commitDeferred` + `publish` save the
 * notify, not the stores: N commits cost N plain-priced atomic stores and at most one notify.
 *
 * Why the consumer zeroes what it releases: a producer's header store comes a few instructions
 * after its swap, so a position between tail and that store must read as 0 ("nothing here
 * yet"), never as a stale length from the previous lap.
 *
 * Abandoned claims: if the consumer finds the same non-positive length at its read position
 * for `abandonedClaimTimeoutMs` while the tail is past it, the producer is presumed dead and
 * the space becomes padding: a negative length gives the frame's size; a zero length (death
 * between swap and header store) is padded up to the next non-zero header or the tail or the
 * end of the data area. This assumes no live producer stalls between its claim and its commit
 * for that long.
 *
 * Why 32-bit positions are safe under compare-and-swap: the swap could succeed wrongly (ABA)
 * only if the tail moved by an exact multiple of 2^32 bytes between one producer's load and its
 * swap, which are adjacent instructions: 4 GiB would have to flow through the ring while that
 * thread is descheduled between them, and the tail land on the very same value.
 *
 * Choice: the broker gives each partition actor ONE many-to-one ring for all its producer
 * threads. Measured in bench/ringbuffer.ts on the shared 2-core machine (3 producer threads,
 * 100-byte frames): 3.9 M frames/s through one MpscRing against 6.5 M frames/s through one
 * SpscRing per producer drained in turn (0.6x), and 2.1 against 3.8 GB/s with 16 KiB frames,
 * where the zeroing on release costs most. We take that cost because the broker's frames are
 * whole record batches (thousands of frames/s, not millions, per actor), and a ring per producer
 * thread multiplies memory (capacity x threads x partitions), needs a new ring handed to the
 * actor whenever a producer thread appears, and leaves the actor unable to sleep on them all
 * (a thread waits on one word at a time), so it would poll. A producer thread that needs the
 * last GB/s can still be given its own SpscRing; both kinds share one API.
 */
import { assert } from '../assert.js';
import { Claim } from './claim.js';
import {
  alignedFrameBytes, checkPayloadBytes, dataOffset, frameAlignmentBytes, frameFlagsOffset,
  frameHeaderBytes, frameLengthOffset, frameTypeMax, frameTypeOffset, int32IndexOf,
  paddingFrameType,
} from './ring-layout.js';
import {
  allocateRing, CLOSED, FULL, RingCore, type ClaimResult, type FrameHandler, type RingHandle,
  type RingOptions,
} from './ring-core.js';

export class MpscRing extends RingCore {
  private readonly abandonedClaimTimeoutMs: number;
  /** Consumer-local: whether the read position is stuck behind an uncommitted claim. */
  private stalled = false;
  private stallPosition = 0;
  private stallSinceMs = 0;

  static create(capacityBytes: number, options: RingOptions = {}): MpscRing {
    return new MpscRing(allocateRing('mpsc', capacityBytes, options));
  }

  static attach(handle: RingHandle): MpscRing {
    return new MpscRing(handle);
  }

  private constructor(handle: RingHandle) {
    super(handle, 'mpsc');
    this.abandonedClaimTimeoutMs = handle.abandonedClaimTimeoutMs;
  }

  tryClaim(type: number, payloadBytes: number): ClaimResult {
    checkPayloadBytes(payloadBytes, this.capacityBytes);
    assert(type >= 0 && type <= frameTypeMax, 'frame type is 0 .. 0xfffe');
    if (!this.isOpen()) return CLOSED;
    const frameLength = frameHeaderBytes + payloadBytes;
    const frameBytes = alignedFrameBytes(frameLength);
    let position: number;
    let paddingBytes: number;
    for (;;) {
      const head = this.loadHead();
      const tail = this.loadTail();
      const toEndBytes = this.capacityBytes - (tail & this.mask);
      paddingBytes = frameBytes > toEndBytes ? toEndBytes : 0;
      const requiredBytes = paddingBytes + frameBytes;
      if (requiredBytes > this.capacityBytes - ((tail - head) | 0)) return FULL;
      if (this.casTail(tail, (tail + requiredBytes) | 0)) {
        position = tail;
        break;
      }
    }
    if (paddingBytes > 0) {
      this.storeHeader(this.frameOffsetOf(position), paddingBytes, paddingFrameType);
      position = (position + paddingBytes) | 0;
    }
    const frameOffset = this.frameOffsetOf(position);
    Atomics.store(this.i32, int32IndexOf(frameOffset + frameLengthOffset), -frameLength);
    this.u16[this.u16IndexOf(frameOffset + frameTypeOffset)] = type;
    return new Claim(this.bytes, frameOffset + frameHeaderBytes, payloadBytes, type, position,
      frameOffset, frameBytes, paddingBytes);
  }

  commitDeferred(claim: Claim): void {
    settle(claim);
    this.u16[this.u16IndexOf(claim.frameOffset + frameFlagsOffset)] = claim.flags;
    // The publishing store of this frame.
    Atomics.store(this.i32, int32IndexOf(claim.frameOffset + frameLengthOffset),
      claim.payloadBytes + frameHeaderBytes);
  }

  abort(claim: Claim): void {
    settle(claim);
    this.storeHeader(claim.frameOffset, claim.alignedBytes, paddingFrameType);
    this.wakeConsumer();
  }

  publish(): void {
    this.wakeConsumer();
  }

  read(limitFrames: number, onFrame: FrameHandler): number {
    assert(limitFrames > 0, 'read takes a positive frame limit');
    // Bounded by the tail as well as by lengths: in a full ring, the position one lap after
    // head holds the oldest frame, read but not yet released, and its length is positive.
    const tail = this.loadTail();
    let frames = 0;
    while (frames < limitFrames && this.readPosition !== tail) {
      const frameOffset = this.frameOffsetOf(this.readPosition);
      const frameLength = Atomics.load(this.i32, int32IndexOf(frameOffset + frameLengthOffset));
      if (frameLength <= 0) {
        if (this.stallExpired()) {
          this.unblock(frameOffset, frameLength);
          continue;
        }
        break;
      }
      this.stalled = false;
      const frameBytes = alignedFrameBytes(frameLength);
      assert(frameLength >= frameHeaderBytes, 'a published frame has a header');
      assert(frameOffset + frameBytes <= dataOffset + this.capacityBytes, 'frame before end');
      const type = this.u16[this.u16IndexOf(frameOffset + frameTypeOffset)];
      if (type !== paddingFrameType) {
        const flags = this.u16[this.u16IndexOf(frameOffset + frameFlagsOffset)];
        onFrame(type, new Uint8Array(this.bytes.buffer, frameOffset + frameHeaderBytes,
          frameLength - frameHeaderBytes), flags);
        frames++;
      }
      this.readPosition = (this.readPosition + frameBytes) | 0;
    }
    return frames;
  }

  protected hasData(): boolean {
    if (this.loadTail() === this.readPosition) return false;
    const frameOffset = this.frameOffsetOf(this.readPosition);
    if (Atomics.load(this.i32, int32IndexOf(frameOffset + frameLengthOffset)) > 0) return true;
    return this.stallExpired();
  }

  protected override sleepCapMs(timeoutMs: number): number {
    if (!this.stalled) return timeoutMs;
    const leftMs = this.stallSinceMs + this.abandonedClaimTimeoutMs - performance.now();
    return Math.max(1, Math.min(timeoutMs, leftMs + 1));
  }

  protected beforeRelease(headPosition: number, readPosition: number): void {
    const fromIndex = headPosition & this.mask;
    const releasedBytes = (readPosition - headPosition) | 0;
    const firstBytes = Math.min(releasedBytes, this.capacityBytes - fromIndex);
    this.bytes.fill(0, dataOffset + fromIndex, dataOffset + fromIndex + firstBytes);
    this.bytes.fill(0, dataOffset, dataOffset + releasedBytes - firstBytes);
  }

  /**
   * Whether the read position has been stuck behind the same uncommitted claim for the
   * abandoned-claim timeout. Starts the clock the first time it sees a new stall.
   */
  private stallExpired(): boolean {
    if (this.loadTail() === this.readPosition) {
      this.stalled = false; // nothing claimed: the ring is simply empty
      return false;
    }
    const nowMs = performance.now();
    if (!this.stalled || this.stallPosition !== this.readPosition) {
      this.stalled = true;
      this.stallPosition = this.readPosition;
      this.stallSinceMs = nowMs;
      return false;
    }
    return nowMs - this.stallSinceMs >= this.abandonedClaimTimeoutMs;
  }

  /** Turns the abandoned claim at the read position into padding. */
  private unblock(frameOffset: number, frameLength: number): void {
    this.stalled = false;
    if (frameLength < 0) {
      this.storeHeader(frameOffset, alignedFrameBytes(-frameLength), paddingFrameType);
      return;
    }
    const claimedBytes = (this.loadTail() - this.readPosition) | 0;
    const endOffset = Math.min(frameOffset + claimedBytes, dataOffset + this.capacityBytes);
    let offset = frameOffset + frameAlignmentBytes;
    while (offset < endOffset && Atomics.load(this.i32, int32IndexOf(offset)) === 0) {
      offset += frameAlignmentBytes;
    }
    this.storeHeader(frameOffset, offset - frameOffset, paddingFrameType);
  }

  /** Writes a complete header; the length store publishes it. */
  private storeHeader(frameOffset: number, frameLength: number, type: number): void {
    this.u16[this.u16IndexOf(frameOffset + frameTypeOffset)] = type;
    this.u16[this.u16IndexOf(frameOffset + frameFlagsOffset)] = 0;
    Atomics.store(this.i32, int32IndexOf(frameOffset + frameLengthOffset), frameLength);
  }
}

function settle(claim: Claim): void {
  assert(claim.settled === 0, 'claim is settled once');
  claim.settled = 1;
}
