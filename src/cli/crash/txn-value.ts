/**
 * The value of every output record of the crash test's transaction workload (`--transactions`):
 * which input record it derives from (by its identity and by where it was read) and which
 * transaction wrote it, with how many records that transaction wrote in all, so that the
 * checker can judge each transaction's atomicity and each input's exactly-once output from the
 * output logs alone.
 *
 * ```
 *  0      4      8        10      12       16        20        24     26     28    32     36
 *  +------+------+--------+-------+--------+---------+---------+------+------+-----+------+-------+
 *  |magic |runId |input   |output |input   |input    |input    |incar-|worker|txn  |txn   |crc32c |
 *  |"MTXO"|u32   |part u16|idx u16|offs u32|prod u32 |seq u32  |nation|u16   |u32  |count |u32    |
 *  +------+------+--------+-------+--------+---------+---------+------+------+-----+------+-------+
 *  little-endian; the CRC32C covers bytes [0, 36)
 * ```
 */
import { crc32c } from '../../records/index.js';

const OUTPUT_MAGIC = 0x4f58_544d; // "MTXO" read little-endian
export const OUTPUT_VALUE_SIZE_BYTES = 40;
const checksumAt = OUTPUT_VALUE_SIZE_BYTES - 4;

/** Where an output record comes from and which transaction wrote it. */
export interface OutputIdentity {
  inputPartition: number;
  /** Which of the input's derived records this is (0 … OUTPUTS_PER_INPUT-1). */
  outputIndex: number;
  inputOffset: number;
  inputProducerId: number;
  inputSequence: number;
  /** The broker process (from 0) and worker that ran the transaction, and its number there. */
  incarnation: number;
  worker: number;
  txnNumber: number;
  /** Records the transaction wrote in all. */
  txnRecords: number;
}

export function encodeOutputValue(runId: number, id: OutputIdentity): Uint8Array {
  const bytes = new Uint8Array(OUTPUT_VALUE_SIZE_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, OUTPUT_MAGIC, true);
  view.setUint32(4, runId, true);
  view.setUint16(8, id.inputPartition, true);
  view.setUint16(10, id.outputIndex, true);
  view.setUint32(12, id.inputOffset, true);
  view.setUint32(16, id.inputProducerId, true);
  view.setUint32(20, id.inputSequence, true);
  view.setUint16(24, id.incarnation, true);
  view.setUint16(26, id.worker, true);
  view.setUint32(28, id.txnNumber, true);
  view.setUint32(32, id.txnRecords, true);
  view.setUint32(checksumAt, crc32c(bytes.subarray(0, checksumAt)), true);
  return bytes;
}

/** The identity in `value`, or why it is not an output record of run `runId`. */
export function decodeOutputValue(value: Uint8Array | null, runId: number):
  OutputIdentity | string {
  if (value === null) return 'null value';
  if (value.length !== OUTPUT_VALUE_SIZE_BYTES) return `value of ${value.length} bytes`;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  if (view.getUint32(0, true) !== OUTPUT_MAGIC) return 'bad magic';
  if (view.getUint32(checksumAt, true) !== crc32c(value.subarray(0, checksumAt))) {
    return 'bad checksum';
  }
  if (view.getUint32(4, true) !== runId) return 'from another run';
  return {
    inputPartition: view.getUint16(8, true), outputIndex: view.getUint16(10, true),
    inputOffset: view.getUint32(12, true), inputProducerId: view.getUint32(16, true),
    inputSequence: view.getUint32(20, true), incarnation: view.getUint16(24, true),
    worker: view.getUint16(26, true), txnNumber: view.getUint32(28, true),
    txnRecords: view.getUint32(32, true),
  };
}

/** One key per transaction of the run. */
export function txnKeyOf(id: OutputIdentity): string {
  return `${id.incarnation}.${id.worker}.${id.txnNumber}`;
}
