/**
 * Kafka's control batches: the commit and abort markers a transaction coordinator writes into
 * every partition of a transaction. A control batch is a RecordBatch v2 whose attributes carry
 * both the transactional and the control bit, whose producer id and epoch are the
 * transaction's, whose base sequence is -1, and which holds exactly one record (one offset):
 *
 * ```
 *  key   (4 bytes)  int16 version = 0 | int16 type (0 = ABORT, 1 = COMMIT)
 *  value (6 bytes)  int16 version = 0 | int32 coordinatorEpoch
 * ```
 *
 * All integers big-endian, as the rest of the batch. Consumers never see these records: both
 * isolation levels skip control batches (and move their position past them).
 */
import { MambaError } from '../errors.js';
import {
  ATTRIBUTE_CONTROL, ATTRIBUTE_TRANSACTIONAL, NO_SEQUENCE,
} from './batch-layout.js';
import { batchIsControl, dataViewOf } from './batch-view.js';
import { encodeBatch, forEachRecord } from './record-batch.js';

export const CONTROL_TYPE_ABORT = 0;
export const CONTROL_TYPE_COMMIT = 1;
const controlVersion = 0;
const controlKeySizeBytes = 4;
const controlValueSizeBytes = 6;

/** What a control batch says. */
export interface TxnMarker {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
}

/** The bytes of a control batch holding `marker` (offsets are stamped by the log on append). */
export function encodeMarkerBatch(marker: TxnMarker, nowMs: number = Date.now()): Uint8Array {
  const key = new Uint8Array(controlKeySizeBytes);
  const keyView = dataViewOf(key);
  keyView.setInt16(0, controlVersion);
  keyView.setInt16(2, marker.commit ? CONTROL_TYPE_COMMIT : CONTROL_TYPE_ABORT);
  const value = new Uint8Array(controlValueSizeBytes);
  const valueView = dataViewOf(value);
  valueView.setInt16(0, controlVersion);
  valueView.setInt32(2, marker.coordinatorEpoch);
  return encodeBatch([{ key, value, timestamp: nowMs }], {
    producerId: BigInt(marker.producerId),
    producerEpoch: marker.producerEpoch,
    baseSequence: NO_SEQUENCE,
    attributes: ATTRIBUTE_TRANSACTIONAL | ATTRIBUTE_CONTROL,
  }, nowMs);
}

/**
 * The control type (`CONTROL_TYPE_ABORT` or `CONTROL_TYPE_COMMIT`) of the control batch at
 * `position`, or -1 for a control record of another type (Kafka reserves more; they are
 * skipped like markers). Throws `CORRUPT_BATCH` for a control batch whose key is not a control
 * key.
 */
export function controlTypeAt(bytes: Uint8Array, position: number): number {
  const view = dataViewOf(bytes);
  if (!batchIsControl(view, position)) return -1;
  let type = -1;
  forEachRecord(bytes, position, (record) => {
    const key = record.key;
    if (key === null || key.length < controlKeySizeBytes) {
      throw new MambaError('CORRUPT_BATCH', 'a control record without a control key');
    }
    if (type === -1) type = dataViewOf(key).getInt16(2);
  });
  return type;
}

/** The coordinator epoch in the control batch at `position` (-1 if it holds none). */
export function controlCoordinatorEpochAt(bytes: Uint8Array, position: number): number {
  let epoch = -1;
  forEachRecord(bytes, position, (record) => {
    const value = record.value;
    if (epoch === -1 && value !== null && value.length >= controlValueSizeBytes) {
      epoch = dataViewOf(value).getInt32(2);
    }
  });
  return epoch;
}
