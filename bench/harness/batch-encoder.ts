/**
 * A minimal RecordBatch v2 encoder for the bench: keyless records without headers, varint
 * lengths and deltas, CRC32C, written into one reused buffer. It stands for a producer's
 * encoding cost in the segment-log benchmarks and makes the pre-encoded batches of the
 * append ceiling.
 */
import {
  BATCH_HEADER_SIZE_BYTES, BATCH_LENGTH_EXCLUDED_BYTES, BATCH_LENGTH_OFFSET, CRC_OFFSET,
  CRC_SPAN_START, LAST_OFFSET_DELTA_OFFSET, MAGIC, MAGIC_OFFSET, PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET, RECORD_COUNT_OFFSET, RECORDS_OFFSET,
} from '../../src/records/batch-layout.js';
import { crc32c } from '../../src/records/crc32c.js';

/** Encodes into one reused buffer: the view returned is valid until the next `encode`. */
export class BatchEncoder {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(capacityBytes: number) {
    this.bytes = new Uint8Array(capacityBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  encode(values: Uint8Array[]): Uint8Array {
    const { bytes, view } = this;
    bytes.fill(0, 0, BATCH_HEADER_SIZE_BYTES);
    let at = RECORDS_OFFSET;
    for (let i = 0; i < values.length; i += 1) {
      const value = values[i];
      const bodySizeBytes = 1 + 1 + varintSize(i) + 1 + varintSize(value.length) + value.length + 1;
      at = writeVarint(bytes, at, bodySizeBytes);
      bytes[at++] = 0; // attributes
      bytes[at++] = 0; // timestampDelta 0
      at = writeVarint(bytes, at, i); // offsetDelta
      bytes[at++] = 1; // key length -1 (zigzag)
      at = writeVarint(bytes, at, value.length);
      bytes.set(value, at);
      at += value.length;
      bytes[at++] = 0; // no headers
    }
    view.setInt32(BATCH_LENGTH_OFFSET, at - BATCH_LENGTH_EXCLUDED_BYTES);
    view.setInt32(PARTITION_LEADER_EPOCH_OFFSET, -1);
    bytes[MAGIC_OFFSET] = MAGIC;
    view.setInt32(LAST_OFFSET_DELTA_OFFSET, values.length - 1);
    view.setBigInt64(PRODUCER_ID_OFFSET, -1n);
    view.setInt32(RECORD_COUNT_OFFSET, values.length);
    view.setUint32(CRC_OFFSET, crc32c(bytes.subarray(CRC_SPAN_START, at)));
    return bytes.subarray(0, at);
  }
}

/** Zigzag varint of a non-negative int, as Kafka writes record fields. */
function writeVarint(bytes: Uint8Array, at: number, value: number): number {
  let zigzag = value * 2;
  while (zigzag >= 0x80) {
    bytes[at++] = (zigzag & 0x7f) | 0x80;
    zigzag = Math.floor(zigzag / 128);
  }
  bytes[at++] = zigzag;
  return at;
}

function varintSize(value: number): number {
  let zigzag = value * 2;
  let size = 1;
  while (zigzag >= 0x80) {
    zigzag = Math.floor(zigzag / 128);
    size += 1;
  }
  return size;
}

