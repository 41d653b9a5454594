/**
 * The batches producers hand to systems. A batch is `count` messages of one size, packed back
 * to back in one buffer, with a view per message for systems that send messages one by one.
 * The first 8 bytes of every message carry the send time (float64 nanoseconds, see clock.ts)
 * so any consumer can measure end-to-end latency without a side channel.
 *
 * ```
 *  packed: | msg 0                        | msg 1                        | ...
 *          | stampNs f64 | filler bytes…  | stampNs f64 | filler bytes…  |
 *          0             8                size          size + 8
 * ```
 */
import { assert } from '../../src/assert.js';

export const stampSizeBytes = 8;

export interface MessageBatch {
  readonly count: number;
  readonly messageSizeBytes: number;
  /** All messages, back to back: `count * messageSizeBytes` bytes. */
  readonly packed: Uint8Array;
  /** One view into `packed` per message, made once; never copied. */
  readonly values: readonly Uint8Array[];
}

/** Makes a batch whose filler bytes are a repeating pattern (not zeros, which compress). */
export function createMessageBatch(count: number, messageSizeBytes: number): MessageBatch {
  assert(Number.isInteger(count) && count > 0, `batch message count ${count} is positive`);
  assert(messageSizeBytes >= stampSizeBytes,
    `message size ${messageSizeBytes} holds a ${stampSizeBytes}-byte stamp`);
  const packed = new Uint8Array(count * messageSizeBytes);
  for (let index = 0; index < packed.length; index++) packed[index] = (index * 31 + 7) & 0xff;
  const values: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    values.push(packed.subarray(index * messageSizeBytes, (index + 1) * messageSizeBytes));
  }
  return { count, messageSizeBytes, packed, values };
}

/** Writes `stampNs` into every message of the batch (one unaligned 8-byte store each). */
export function stampBatch(batch: MessageBatch, stampNs: number): void {
  const view = new DataView(batch.packed.buffer, batch.packed.byteOffset, batch.packed.byteLength);
  for (let index = 0; index < batch.count; index++) {
    view.setFloat64(index * batch.messageSizeBytes, stampNs, true);
  }
}

/** Reads the stamp of a message that starts at `byteOffset` of `bytes`. */
export function readStampNs(bytes: Uint8Array, byteOffset = 0): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getFloat64(byteOffset, true);
}

/** A Buffer over a message's bytes without copying them (clients want Buffers). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
