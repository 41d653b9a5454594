/**
 * The frames producers and partition actors exchange through rings (the ring adds its own
 * `[length][type][flags]` header around each payload; this module lays out the payloads).
 *
 * Produce request (producer → actor), ring frame type `FRAME_PRODUCE`, flags = acks level:
 * ```
 *  0        4              8
 *  +--------+--------------+------------------------------------------+
 *  | slot   | correlation  | RecordBatch v2 bytes (see records/)      |
 *  | u32    | u32          |                                          |
 *  +--------+--------------+------------------------------------------+
 * ```
 * The batch starts 8 bytes in, so it keeps the ring's 8-byte alignment.
 *
 * Acknowledgement (actor → producer), ring frame type `FRAME_ACK`:
 * ```
 *  0              4        8                16
 *  +--------------+--------+----------------+
 *  | correlation  | error  | baseOffset     |
 *  | u32          | i32    | f64            |
 *  +--------------+--------+----------------+
 * ```
 * `error` is 0 for success, else 1 + the index of the code in `ERROR_CODES`. Offsets stay below
 * 2^53, so a float64 holds them exactly and avoids a BigInt on the hot path.
 */
import { assert } from '../assert.js';
import { ERROR_CODES, MambaError, type MambaErrorCode } from '../errors.js';

export const FRAME_PRODUCE = 1;
export const FRAME_ACK = 2;

export const ACKS_NONE = 0;
export const ACKS_LEADER = 1;
export const ACKS_ALL = 2;

export const PRODUCE_SLOT = 0;
export const PRODUCE_CORRELATION = PRODUCE_SLOT + 4;
export const PRODUCE_BATCH = PRODUCE_CORRELATION + 4;
export const PRODUCE_HEADER_SIZE_BYTES = PRODUCE_BATCH;

export const ACK_CORRELATION = 0;
export const ACK_ERROR = ACK_CORRELATION + 4;
export const ACK_BASE_OFFSET = ACK_ERROR + 4;
export const ACK_SIZE_BYTES = ACK_BASE_OFFSET + 8;

assert(PRODUCE_HEADER_SIZE_BYTES % 8 === 0, 'a batch keeps 8-byte alignment');
assert(ACK_BASE_OFFSET % 8 === 0, 'the f64 offset is aligned');

export function errorToWireCode(code: MambaErrorCode): number {
  const index = ERROR_CODES.indexOf(code);
  assert(index >= 0, `known error code ${code}`);
  return index + 1;
}

export function wireCodeToError(wireCode: number, context: string): MambaError {
  const code = ERROR_CODES[wireCode - 1];
  assert(code !== undefined, `known wire error code ${wireCode}`);
  return new MambaError(code, `${context}: ${code}`);
}

export function writeAck(view: DataView, correlation: number, wireError: number,
  baseOffset: number): void {
  view.setUint32(ACK_CORRELATION, correlation, true);
  view.setInt32(ACK_ERROR, wireError, true);
  view.setFloat64(ACK_BASE_OFFSET, baseOffset, true);
}
