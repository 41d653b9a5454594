/**
 * RecordBatch v2 codec throughput: encode and decode of 100-byte and 1 KiB records in batches
 * of 100, against baselines run in the same process on the same records:
 *
 * - JSON: `Buffer.from(JSON.stringify(records))` to encode and `JSON.parse` to decode, the
 *   codec a broker gets for free;
 * - memcpy: copying the encoded batch's bytes into a buffer, the ceiling for any codec (an
 *   encoder writes at least those bytes, a decoder reads at least them).
 *
 * Run: `npx tsc -p tsconfig.build.json && node dist/bench/records.js`.
 */
import {
  INCOMING_BATCH, checkBatch, dataViewOf, decodeBatch, encodeBatch, encodeBatchInto,
  forEachRecord, type RecordInput,
} from '../src/records/index.js';

const RECORDS_PER_BATCH = 100;
const MEASURE_MS = 700;
const RING_SIZE_BYTES = 4 * 1024 * 1024;

interface Measurement {
  name: string;
  recordsPerSecond: number;
  bytesPerSecond: number;
}

/** Calls `step` (one batch) until `MEASURE_MS` have passed, after a warm-up of the same. */
function measure(name: string, batchSizeBytes: number, step: () => void): Measurement {
  for (let index = 0; index < 2000; index++) step();
  let batches = 0;
  const start = performance.now();
  let elapsedMs = 0;
  while (elapsedMs < MEASURE_MS) {
    for (let index = 0; index < 200; index++) step();
    batches += 200;
    elapsedMs = performance.now() - start;
  }
  const seconds = elapsedMs / 1000;
  return {
    name,
    recordsPerSecond: (batches * RECORDS_PER_BATCH) / seconds,
    bytesPerSecond: (batches * batchSizeBytes) / seconds,
  };
}

function makeRecords(valueSizeBytes: number): RecordInput[] {
  const now = Date.now();
  return Array.from({ length: RECORDS_PER_BATCH }, (_, index) => {
    const value = new Uint8Array(valueSizeBytes);
    for (let position = 0; position < valueSizeBytes; position++) {
      value[position] = 0x61 + ((index + position) % 26);
    }
    return { key: null, value, timestamp: now + index };
  });
}

/** The same records as JSON would carry them: the value as a string of the same length. */
function jsonRecords(records: RecordInput[]): Array<{ timestamp: number; value: string }> {
  return records.map((record) => ({
    timestamp: record.timestamp!,
    value: Buffer.from(record.value!).toString('latin1'),
  }));
}

// A sink that the measured loops write into, so that the work cannot be optimized away.
let sink = 0;

function measureEncode(records: RecordInput[], batch: Uint8Array): Measurement[] {
  const size = batch.length;
  const ring = new Uint8Array(new SharedArrayBuffer(RING_SIZE_BYTES));
  let position = 0;
  const json = jsonRecords(records);
  return [
    measure('encodeBatch (new array per batch)', size, () => {
      sink += encodeBatch(records).length;
    }),
    measure('encodeBatchInto (SharedArrayBuffer ring)', size, () => {
      if (position + size > RING_SIZE_BYTES) position = 0;
      position += encodeBatchInto(ring, position, records);
    }),
    measure('baseline JSON.stringify + Buffer.from', size, () => {
      sink += Buffer.from(JSON.stringify(json)).length;
    }),
    measure('ceiling memcpy of the batch bytes', size, () => {
      if (position + size > RING_SIZE_BYTES) position = 0;
      ring.set(batch, position);
      position += size;
    }),
  ];
}

function measureDecode(batch: Uint8Array, records: RecordInput[]): Measurement[] {
  const size = batch.length;
  const copy = new Uint8Array(size);
  const jsonBytes = Buffer.from(JSON.stringify(jsonRecords(records)));
  return [
    measure('forEachRecord, positions only (no allocation)', size, () => {
      forEachRecord(batch, 0, (record) => {
        sink += record.valueSizeBytes + record.offset;
      });
    }),
    measure('forEachRecord, value view per record', size, () => {
      forEachRecord(batch, 0, (record) => {
        sink += record.value!.length;
      });
    }),
    measure('decodeBatch (object + views per record)', size, () => {
      sink += decodeBatch(batch, 0).length;
    }),
    measure('checkBatch (CRC32C) + forEachRecord', size, () => {
      if (checkBatch(batch, dataViewOf(batch), 0, size, -1, INCOMING_BATCH) === 'valid') {
        forEachRecord(batch, 0, (record) => {
          sink += record.valueSizeBytes;
        });
      }
    }),
    measure('baseline JSON.parse of the same records', size, () => {
      sink += (JSON.parse(jsonBytes.toString('latin1')) as unknown[]).length;
    }),
    measure('ceiling memcpy of the batch bytes', size, () => {
      copy.set(batch);
      sink += copy[0];
    }),
  ];
}

function print(title: string, results: Measurement[]): void {
  const baseline = results.find((result) => result.name.startsWith('baseline'))!;
  const ceiling = results.find((result) => result.name.startsWith('ceiling'))!;
  console.log(`\n${title}`);
  console.log(`${'case'.padEnd(48)} ${'M rec/s'.padStart(8)} ${'MB/s'.padStart(8)}`
    + ` ${'×JSON'.padStart(7)} ${'of memcpy'.padStart(10)}`);
  for (const result of results) {
    const ratio = result.recordsPerSecond / baseline.recordsPerSecond;
    const ofCeiling = result.recordsPerSecond / ceiling.recordsPerSecond;
    const millions = (result.recordsPerSecond / 1e6).toFixed(2);
    console.log(`${result.name.padEnd(48)} ${millions.padStart(8)}`
      + ` ${(result.bytesPerSecond / 1e6).toFixed(0).padStart(8)}`
      + ` ${ratio.toFixed(2).padStart(7)} ${(ofCeiling * 100).toFixed(1).padStart(9)}%`);
  }
}

export async function run(): Promise<void> {
  console.log(`RecordBatch v2 codec, ${RECORDS_PER_BATCH} records per batch, `
    + `Node ${process.version}`);
  for (const valueSizeBytes of [100, 1024]) {
    const records = makeRecords(valueSizeBytes);
    const batch = encodeBatch(records);
    const label = `${valueSizeBytes}-byte values (batch ${batch.length} bytes)`;
    print(`encode, ${label}`, measureEncode(records, batch));
    print(`decode, ${label}`, measureDecode(batch, records));
  }
  if (sink === -1) console.log('unreachable');
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
