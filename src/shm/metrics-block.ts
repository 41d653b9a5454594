/**
 * The metrics region of the control block: counters that hot paths bump in shared memory, so
 * that a scrape reads them (src/ops/) without a message per record or per batch. It sits after
 * the partition slots of the control block (control-block.ts adds its size), so every thread
 * that maps the control block can bump it, and no new buffer has to be handed around.
 *
 * ```
 *  METRICS_REGION_OFFSET
 *  +-------------------------------------------+----------------------+--------------------+
 *  | partition metric slots (256 × partitions) | histograms (128 × 4) | door (128 + 1024)  |
 *  +-------------------------------------------+----------------------+--------------------+
 *
 *  partition metric slot (2 × 128 bytes)
 *   line 0, written by the partition's actor
 *     0  appendedRecords  u32  Atomics.add per appended batch (wraps; see below)
 *     4  appendedBytes    u32  Atomics.add per appended batch (wraps)
 *     8  gaugeSequence    i32  odd while the two gauges below are being written (a seqlock)
 *    12  segmentCount     i32
 *    16  sizeBytesHigh    i32  log size in bytes = high × 2^32 + low
 *    20  sizeBytesLow     i32
 *   line 1, written by consumer threads (any of them, with Atomics.add)
 *   128  consumedRecords  u32  per decoded chunk (wraps)
 *   132  consumedBytes    u32  per decoded chunk (wraps)
 *
 *  histogram (128 bytes), written by any thread with Atomics.add
 *     0  bucket[0..15]    u32  observations in (bound[i-1], bound[i]] (not cumulative; wraps)
 *    64  count            u32  (wraps)
 *    68  sum              u32  in the histogram's sum unit (wraps)
 *
 *  door, written by Kafka door threads with Atomics.add
 *     0  connections      i32  open connections (+1 on accept, -1 on close)
 *   128  requests[128]    u32  requests served, by API key (wraps)
 *   640  errors[128]      u32  requests failed, by Kafka error code + 1 (-1 → 0; wraps)
 * ```
 *
 * Counters are 32-bit words because `Atomics.add` on them allocates nothing (a BigInt64 add
 * needs a BigInt per call). They wrap; the reader in src/ops/metrics widens them to 64 bits by
 * sampling at least every `metricsSampleIntervalMs` and adding the unsigned difference, like
 * SNMP's Counter32. A wrap is missed only if a counter moves by 2^32 between two samples: 4 GiB
 * of one partition or 4 billion records in half a second, beyond this machine's disk and CPU.
 */
import { assert } from '../assert.js';
import { partitionsPerBrokerMax } from '../constants.js';

const i32 = 4;
const lineSizeBytes = 128;

// Partition metric slot, line 0: the actor's words.
export const METRIC_APPENDED_RECORDS = 0;
export const METRIC_APPENDED_BYTES = METRIC_APPENDED_RECORDS + i32;
export const METRIC_GAUGE_SEQUENCE = METRIC_APPENDED_BYTES + i32;
export const METRIC_SEGMENT_COUNT = METRIC_GAUGE_SEQUENCE + i32;
export const METRIC_SIZE_BYTES_HIGH = METRIC_SEGMENT_COUNT + i32;
export const METRIC_SIZE_BYTES_LOW = METRIC_SIZE_BYTES_HIGH + i32;
const ACTOR_LINE_END = METRIC_SIZE_BYTES_LOW + i32;
// Line 1: the consumers' words.
export const METRIC_CONSUMED_RECORDS = lineSizeBytes;
export const METRIC_CONSUMED_BYTES = METRIC_CONSUMED_RECORDS + i32;
const CONSUMER_LINE_END = METRIC_CONSUMED_BYTES + i32;
export const PARTITION_METRIC_SLOT_SIZE_BYTES = 2 * lineSizeBytes;

/** Upper bounds of the histogram buckets, in seconds (the last bucket is +Inf). */
export const HISTOGRAM_BOUNDS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
export const HISTOGRAM_BUCKET_COUNT = HISTOGRAM_BOUNDS_SECONDS.length + 1;
export const HISTOGRAM_COUNT = HISTOGRAM_BUCKET_COUNT * i32;
export const HISTOGRAM_SUM = HISTOGRAM_COUNT + i32;
const HISTOGRAM_END = HISTOGRAM_SUM + i32;
export const HISTOGRAM_SIZE_BYTES = lineSizeBytes;

/** The broker-wide histograms, and the unit of each one's sum word. */
export const SharedHistogram = {
  ACK_LEADER: 0,
  ACK_ALL: 1,
  END_TO_END: 2,
  FLUSH: 3,
} as const;
export type SharedHistogram = (typeof SharedHistogram)[keyof typeof SharedHistogram];
export const HISTOGRAM_NAMES = ['ack-1', 'ack-all', 'end-to-end', 'flush'] as const;
/** Sums in microseconds, except end-to-end latency (milliseconds: it may be minutes of lag). */
export const HISTOGRAM_SUM_UNIT_SECONDS: readonly number[] = [1e-6, 1e-6, 1e-3, 1e-6];

export const PARTITION_METRICS_REGION_SIZE_BYTES =
  partitionsPerBrokerMax * PARTITION_METRIC_SLOT_SIZE_BYTES;
export const HISTOGRAMS_REGION_OFFSET = PARTITION_METRICS_REGION_SIZE_BYTES;
export const DOOR_REGION_OFFSET =
  HISTOGRAMS_REGION_OFFSET + HISTOGRAM_NAMES.length * HISTOGRAM_SIZE_BYTES;
/** API keys and Kafka error codes (+1) counted; larger ones land in the last word. */
export const DOOR_KEY_COUNT = 128;
export const DOOR_CONNECTIONS = 0;
export const DOOR_REQUESTS = lineSizeBytes;
export const DOOR_ERRORS = DOOR_REQUESTS + DOOR_KEY_COUNT * i32;
const DOOR_REGION_SIZE_BYTES = DOOR_ERRORS + DOOR_KEY_COUNT * i32;
export const METRICS_REGION_SIZE_BYTES = DOOR_REGION_OFFSET + DOOR_REGION_SIZE_BYTES;

assert(ACTOR_LINE_END <= lineSizeBytes, 'actor metric line fits');
assert(CONSUMER_LINE_END - METRIC_CONSUMED_RECORDS <= lineSizeBytes, 'consumer line fits');
assert(HISTOGRAM_END <= HISTOGRAM_SIZE_BYTES, 'a histogram fits its line');
assert(HISTOGRAM_SUM_UNIT_SECONDS.length === HISTOGRAM_NAMES.length, 'one sum unit each');

const twoTo32 = 2 ** 32;

/**
 * Typed access to the metrics region of a control block buffer. Writers call the `add…`,
 * `observe` and `publishLogGauges` methods (none allocates); src/ops reads the words.
 */
export class MetricsBlock {
  readonly i32: Int32Array;

  /** `regionOffset`: the byte offset of the region in `buffer` (METRICS_REGION_OFFSET). */
  constructor(buffer: SharedArrayBuffer, readonly regionOffset: number) {
    assert(regionOffset % lineSizeBytes === 0, 'metrics region starts on a line');
    assert(buffer.byteLength >= regionOffset + METRICS_REGION_SIZE_BYTES, 'metrics region fits');
    this.i32 = new Int32Array(buffer, regionOffset, METRICS_REGION_SIZE_BYTES / i32);
  }

  /** Index into `i32` of a partition metric field. */
  partitionWord(slot: number, field: number): number {
    assert(slot >= 0 && slot < partitionsPerBrokerMax, `partition slot ${slot} in range`);
    return (slot * PARTITION_METRIC_SLOT_SIZE_BYTES + field) / i32;
  }

  /** Index into `i32` of a histogram field. */
  histogramWord(histogram: SharedHistogram, field: number): number {
    return (HISTOGRAMS_REGION_OFFSET + histogram * HISTOGRAM_SIZE_BYTES + field) / i32;
  }

  /**
   * Zeroes a partition slot's metrics, when its topic is deleted: the next topic to take the
   * slot counts from zero, and the sampler takes a new owner's raw counts as its totals.
   */
  resetPartition(slot: number): void {
    const first = this.partitionWord(slot, 0);
    this.i32.fill(0, first, first + PARTITION_METRIC_SLOT_SIZE_BYTES / i32);
  }

  /** Actor side: one appended batch. */
  addAppended(slot: number, records: number, bytes: number): void {
    Atomics.add(this.i32, this.partitionWord(slot, METRIC_APPENDED_RECORDS), records);
    Atomics.add(this.i32, this.partitionWord(slot, METRIC_APPENDED_BYTES), bytes);
  }

  /** Consumer side: one decoded chunk. */
  addConsumed(slot: number, records: number, bytes: number): void {
    Atomics.add(this.i32, this.partitionWord(slot, METRIC_CONSUMED_RECORDS), records);
    Atomics.add(this.i32, this.partitionWord(slot, METRIC_CONSUMED_BYTES), bytes);
  }

  /**
   * Actor side: the log's size and segment count. A seqlock, since the size takes two words:
   * the sequence is made odd, the words written, then made even; a reader retries while it
   * sees an odd sequence or one that changed across its reads.
   */
  publishLogGauges(slot: number, segmentCount: number, sizeBytes: number): void {
    const sequence = this.partitionWord(slot, METRIC_GAUGE_SEQUENCE);
    Atomics.add(this.i32, sequence, 1);
    Atomics.store(this.i32, this.partitionWord(slot, METRIC_SEGMENT_COUNT), segmentCount);
    Atomics.store(this.i32, this.partitionWord(slot, METRIC_SIZE_BYTES_HIGH),
      Math.floor(sizeBytes / twoTo32));
    Atomics.store(this.i32, this.partitionWord(slot, METRIC_SIZE_BYTES_LOW), sizeBytes >>> 0);
    Atomics.add(this.i32, sequence, 1);
  }

  /** Reader side: the log gauges of a slot, read consistently (see publishLogGauges). */
  logGauges(slot: number, into: { segmentCount: number; sizeBytes: number }): void {
    const sequence = this.partitionWord(slot, METRIC_GAUGE_SEQUENCE);
    for (;;) {
      const before = Atomics.load(this.i32, sequence);
      const segments = Atomics.load(this.i32, this.partitionWord(slot, METRIC_SEGMENT_COUNT));
      const high = Atomics.load(this.i32, this.partitionWord(slot, METRIC_SIZE_BYTES_HIGH));
      const low = Atomics.load(this.i32, this.partitionWord(slot, METRIC_SIZE_BYTES_LOW)) >>> 0;
      if ((before & 1) === 0 && Atomics.load(this.i32, sequence) === before) {
        into.segmentCount = segments;
        into.sizeBytes = high * twoTo32 + low;
        return;
      }
    }
  }

  /** Any thread: one observation of `seconds`. */
  observe(histogram: SharedHistogram, seconds: number): void {
    let bucket = 0;
    while (bucket < HISTOGRAM_BOUNDS_SECONDS.length && seconds > HISTOGRAM_BOUNDS_SECONDS[bucket]) {
      bucket++;
    }
    Atomics.add(this.i32, this.histogramWord(histogram, bucket * i32), 1);
    Atomics.add(this.i32, this.histogramWord(histogram, HISTOGRAM_COUNT), 1);
    const sum = Math.round(seconds / HISTOGRAM_SUM_UNIT_SECONDS[histogram]);
    Atomics.add(this.i32, this.histogramWord(histogram, HISTOGRAM_SUM), sum);
  }

  /** Index into `i32` of a door field, plus `index` words. */
  doorWord(field: number, index = 0): number {
    return (DOOR_REGION_OFFSET + field) / i32 + index;
  }

  /** Door side: a connection opened (+1) or closed (-1). */
  addDoorConnections(delta: number): void {
    Atomics.add(this.i32, this.doorWord(DOOR_CONNECTIONS), delta);
  }

  /** Door side: one request of `apiKey` decoded. */
  addDoorRequest(apiKey: number): void {
    const index = Math.min(Math.max(apiKey, 0), DOOR_KEY_COUNT - 1);
    Atomics.add(this.i32, this.doorWord(DOOR_REQUESTS, index), 1);
  }

  /** Door side: one request failed with Kafka error code `code` (-1 for an unknown error). */
  addDoorError(code: number): void {
    const index = Math.min(Math.max(code + 1, 0), DOOR_KEY_COUNT - 1);
    Atomics.add(this.i32, this.doorWord(DOOR_ERRORS, index), 1);
  }

  /** Reader side: a raw (wrapping) word as an unsigned 32-bit number. */
  loadUnsigned(word: number): number {
    return Atomics.load(this.i32, word) >>> 0;
  }
}
