/**
 * The one descriptor of a ring's shared memory: where every counter and every frame field lives.
 * No other file writes a literal byte offset into a ring (STYLE.md §2). Behaviour lives in
 * spsc-ring.ts, mpsc-ring.ts and ring-core.ts; this module is stateless.
 *
 * A ring is one SharedArrayBuffer: a control block of 128-byte slots, then the data area.
 *
 * ```
 *  byte 0                                                                     controlBlockBytes
 *  ├── meta slot ─────┬── tail slot ──────┬── head slot ──────┬── consumer-waiting ─┬── ...
 *  │ magic u32        │ tail i32          │ head i32          │ flag i32            │
 *  │ version u32      │ (+124 B padding)  │ (+124 B padding)  │ (+124 B padding)    │
 *  │ capacity u32     │                   │                   │                     │
 *  │ kind u32         │                   │                   │                     │
 *  ├── producers-waiting ─┬── state slot ──────────────────────┐
 *  │ flag i32             │ state i32, reasonBytes i32,        │
 *  │ (+124 B padding)     │ reason UTF-8 (up to 120 B)         │
 *  ├──────────────────────┴────────────────────────────────────┴──────────────────────────
 *  │ data area: capacityBytes (a power of two), a sequence of frames, 8-byte aligned
 *  └──────────────────────────────────────────────────────────────────────────────────────
 *
 *  frame (header 8 bytes, then payload, then zero to 7 bytes of alignment):
 *   0               4       6       8
 *   ├───────────────┼───────┼───────┼──────────────────────────────┬─────────┐
 *   │ length i32    │type u16│flags u16│ payload (length - 8 bytes) │ pad → 8 │
 *   └───────────────┴───────┴───────┴──────────────────────────────┴─────────┘
 * ```
 *
 * - `length` counts the header and the payload, not the alignment. In a many-producer ring it is
 *   written negative when the space is claimed and made positive by the commit (the publishing
 *   store); 0 means "nothing written here yet", which is why the consumer of such a ring zeroes
 *   the bytes it releases.
 * - A frame never straddles the end of the data area: when a frame does not fit before the
 *   end, the claimer writes a padding frame (type `paddingFrameType`) over the rest and puts the
 *   frame at index 0. Consumers skip padding frames.
 * - Each counter sits alone on 128 bytes (two cache lines, because adjacent-line prefetch pairs
 *   them) so that the producer's and the consumer's writes never share a line.
 */
import { assert } from '../assert.js';
import { invalidConfig, MambaError } from '../errors.js';
import { ringCapacityBytesMax, ringCapacityBytesMin } from '../constants.js';

export const ringMagic = 0x4d_52_4e_47; // "MRNG"
export const ringVersion = 1;

/** Which protocol a ring's producers follow; stored in the meta slot and checked on attach. */
export const RingKind = { spsc: 1, mpsc: 2 } as const;
export type RingKindName = keyof typeof RingKind;

// Control block: each slot is 128 bytes, each offset the sum of the slots before it.
export const counterSlotBytes = 128;
export const metaSlotOffset = 0;
/** Written by the producer (SPSC) or by any producer with compare-and-swap (MPSC). */
export const tailSlotOffset = metaSlotOffset + counterSlotBytes;
/** Written only by the consumer, by `release()`. */
export const headSlotOffset = tailSlotOffset + counterSlotBytes;
/** Set to 1 by the consumer about to sleep; cleared by the producer that wakes it. */
export const consumerWaitingSlotOffset = headSlotOffset + counterSlotBytes;
/** Set to 1 by any producer about to sleep for space; cleared by the consumer that wakes them. */
export const producersWaitingSlotOffset = consumerWaitingSlotOffset + counterSlotBytes;
/** Open or closed, plus the close reason; written by whichever side closes first. */
export const stateSlotOffset = producersWaitingSlotOffset + counterSlotBytes;
export const controlBlockBytes = stateSlotOffset + counterSlotBytes;
export const dataOffset = controlBlockBytes;

// Meta slot fields.
export const magicOffset = metaSlotOffset;
export const versionOffset = magicOffset + 4;
export const capacityOffset = versionOffset + 4;
export const kindOffset = capacityOffset + 4;

// State slot fields.
export const stateOffset = stateSlotOffset;
export const closeReasonBytesOffset = stateOffset + 4;
export const closeReasonOffset = closeReasonBytesOffset + 4;
export const closeReasonBytesMax = stateSlotOffset + counterSlotBytes - closeReasonOffset;
export const RingState = { open: 0, closing: 1, closed: 2 } as const;

// Frame header fields, relative to the frame's start.
export const frameLengthOffset = 0;
export const frameTypeOffset = frameLengthOffset + 4;
export const frameFlagsOffset = frameTypeOffset + 2;
export const frameHeaderBytes = frameFlagsOffset + 2;
export const frameAlignmentBytes = 8;
/** Reserved frame type of padding frames; user types are 0 .. frameTypeMax. */
export const paddingFrameType = 0xffff;
export const frameTypeMax = paddingFrameType - 1;
export const frameFlagsMax = 0xffff;

assert(counterSlotBytes % 8 === 0, 'slots keep 8-byte alignment');
assert(kindOffset + 4 <= tailSlotOffset, 'meta fields fit the meta slot');
assert(dataOffset % frameAlignmentBytes === 0, 'data area is frame aligned');
assert(frameHeaderBytes === frameAlignmentBytes, 'a header is one alignment unit');

/** Int32 index (for an Int32Array over the whole buffer) of a byte offset. */
export function int32IndexOf(byteOffset: number): number {
  return byteOffset >> 2;
}

/** Uint16 index (for a Uint16Array over the whole buffer) of a byte offset. */
export function uint16IndexOf(byteOffset: number): number {
  return byteOffset >> 1;
}

export function alignedFrameBytes(frameLength: number): number {
  return (frameLength + frameAlignmentBytes - 1) & ~(frameAlignmentBytes - 1);
}

/**
 * The largest payload a ring of `capacityBytes` accepts. A frame may take at most half the data
 * area: then a frame plus the padding written before it at the wrap (always shorter than the
 * frame) fits in an empty ring, so a claim that fits the limit always succeeds eventually.
 */
export function payloadBytesMax(capacityBytes: number): number {
  return capacityBytes / 2 - frameHeaderBytes;
}

export function totalBytesFor(capacityBytes: number): number {
  return dataOffset + capacityBytes;
}

/** Throws `INVALID_CONFIG` naming the value unless `capacityBytes` is a usable data area size. */
export function checkCapacity(capacityBytes: number): void {
  const expected = `a power of two between ${ringCapacityBytesMin} and ${ringCapacityBytesMax}`;
  if (!Number.isInteger(capacityBytes)) {
    throw invalidConfig('capacityBytes', capacityBytes, expected);
  }
  if (capacityBytes < ringCapacityBytesMin || capacityBytes > ringCapacityBytesMax) {
    throw invalidConfig('capacityBytes', capacityBytes, expected);
  }
  if ((capacityBytes & (capacityBytes - 1)) !== 0) {
    throw invalidConfig('capacityBytes', capacityBytes, expected);
  }
}

/** Throws `FRAME_TOO_LARGE` naming both sizes when a payload cannot fit the ring. */
export function checkPayloadBytes(payloadBytes: number, capacityBytes: number): void {
  assert(Number.isInteger(payloadBytes), 'payloadBytes is an integer');
  assert(payloadBytes >= 0, 'payloadBytes is not negative');
  const max = payloadBytesMax(capacityBytes);
  if (payloadBytes > max) {
    throw new MambaError('FRAME_TOO_LARGE',
      `frame payload of ${payloadBytes} bytes exceeds the ${max}-byte limit of a ` +
      `${capacityBytes}-byte ring`, { detail: { payloadBytes, payloadBytesMax: max } });
  }
}
