/**
 * A one-to-one ring: exactly one producer thread and one consumer thread at a time.
 *
 * Contract: `tryClaim`/`commit*`/`abort`/`publish` are called from one thread only, and that
 * producer settles its open claims (commit or abort) in the order it made them;
 * `read`/`release`/`waitForData*` from one thread only
 * (a new consumer may attach after the previous one died, and reads every unreleased frame
 * again). Either side may close.
 *
 * Publish protocol: the producer writes the frame header and payload with plain stores, then
 * `Atomics.store(tail)` publishes everything before the new tail at once, so N deferred commits
 * cost one store and at most one notify. The consumer's `Atomics.load(tail)` synchronises with
 * that store, so every byte below the loaded tail is complete; it never reads past it, which is
 * why this ring needs neither negative lengths nor zeroing.
 */
import { assert } from '../assert.js';
import { Claim } from './claim.js';
import {
  alignedFrameBytes, checkPayloadBytes, frameFlagsOffset, frameHeaderBytes, frameLengthOffset,
  frameTypeMax, frameTypeOffset, paddingFrameType, int32IndexOf,
} from './ring-layout.js';
import {
  allocateRing, CLOSED, FULL, RingCore, type ClaimResult, type FrameHandler, type RingHandle,
  type RingOptions,
} from './ring-core.js';

export class SpscRing extends RingCore {
  /** Producer-local: position after the last claimed frame. */
  private claimedTail: number;
  /** Producer-local: position after the last settled frame (published or not). */
  private committedTail: number;
  /** Producer-local: the tail value last stored. */
  private publishedTail: number;
  /** Producer-local: a recent head, so that most claims need no load of the consumer's line. */
  private headCache: number;
  private openClaimCount = 0;

  static create(capacityBytes: number, options: RingOptions = {}): SpscRing {
    return new SpscRing(allocateRing('spsc', capacityBytes, options));
  }

  static attach(handle: RingHandle): SpscRing {
    return new SpscRing(handle);
  }

  private constructor(handle: RingHandle) {
    super(handle, 'spsc');
    this.committedTail = this.loadTail();
    this.claimedTail = this.committedTail;
    this.publishedTail = this.committedTail;
    this.headCache = this.loadHead();
  }

  tryClaim(type: number, payloadBytes: number): ClaimResult {
    checkPayloadBytes(payloadBytes, this.capacityBytes);
    assert(type >= 0 && type <= frameTypeMax, 'frame type is 0 .. 0xfffe');
    if (!this.isOpen()) return CLOSED;
    const frameLength = frameHeaderBytes + payloadBytes;
    const frameBytes = alignedFrameBytes(frameLength);
    let position = this.claimedTail;
    const toEndBytes = this.capacityBytes - (position & this.mask);
    const paddingBytes = frameBytes > toEndBytes ? toEndBytes : 0;
    const requiredBytes = paddingBytes + frameBytes;
    if (requiredBytes > this.capacityBytes - ((position - this.headCache) | 0)) {
      this.headCache = this.loadHead();
      if (requiredBytes > this.capacityBytes - ((position - this.headCache) | 0)) return FULL;
    }
    if (paddingBytes > 0) {
      this.writeHeader(this.frameOffsetOf(position), paddingBytes, paddingFrameType);
      position = (position + paddingBytes) | 0;
    }
    const frameOffset = this.frameOffsetOf(position);
    this.writeHeader(frameOffset, frameLength, type);
    this.claimedTail = (position + frameBytes) | 0;
    this.openClaimCount++;
    return new Claim(this.bytes, frameOffset + frameHeaderBytes, payloadBytes, type, position,
      frameOffset, frameBytes, paddingBytes);
  }

  commitDeferred(claim: Claim): void {
    this.settle(claim);
    this.u16[this.u16IndexOf(claim.frameOffset + frameFlagsOffset)] = claim.flags;
    this.committedTail = (claim.position + claim.alignedBytes) | 0;
  }

  abort(claim: Claim): void {
    if (this.openClaimCount === 1 && claim.position + claim.alignedBytes === this.claimedTail) {
      // The newest and only open claim: its space (and padding) is claimed again next time.
      this.settle(claim);
      this.claimedTail = (claim.position - claim.paddingBytes) | 0;
      return;
    }
    // Later claims follow it in the ring: it stays, as a padding frame the consumer skips.
    this.writeHeader(claim.frameOffset, claim.alignedBytes, paddingFrameType);
    this.commitDeferred(claim);
  }

  publish(): void {
    if (this.committedTail === this.publishedTail) return;
    this.publishedTail = this.committedTail;
    this.storeTail(this.committedTail); // the publishing store: frames below it are complete
    this.wakeConsumer();
  }

  read(limitFrames: number, onFrame: FrameHandler): number {
    assert(limitFrames > 0, 'read takes a positive frame limit');
    const tail = this.loadTail();
    let frames = 0;
    while (frames < limitFrames && this.readPosition !== tail) {
      const frameOffset = this.frameOffsetOf(this.readPosition);
      const frameLength = this.i32[int32IndexOf(frameOffset + frameLengthOffset)];
      const frameBytes = alignedFrameBytes(frameLength);
      assert(frameLength >= frameHeaderBytes, 'a published frame has a header');
      assert(frameBytes <= ((tail - this.readPosition) | 0), 'a frame ends before the tail');
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
    return this.loadTail() !== this.readPosition;
  }

  protected beforeRelease(): void {
    // Nothing to clean: the consumer never reads past the published tail.
  }

  private settle(claim: Claim): void {
    assert(claim.settled === 0, 'claim is settled once');
    assert(((claim.position - claim.paddingBytes) | 0) === this.committedTail,
      'claims of a one-to-one ring are settled in the order they were made');
    claim.settled = 1;
    this.openClaimCount--;
  }

  private writeHeader(frameOffset: number, frameLength: number, type: number): void {
    this.i32[int32IndexOf(frameOffset + frameLengthOffset)] = frameLength;
    this.u16[this.u16IndexOf(frameOffset + frameTypeOffset)] = type;
    this.u16[this.u16IndexOf(frameOffset + frameFlagsOffset)] = 0;
  }
}
