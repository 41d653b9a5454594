/**
 * Kafka's four codecs: round trips through `compressBatch` and the one record decoder, batches
 * compressed by other implementations (kafkajs gzip, @platformatic/kafka raw snappy and lz4
 * frames) decoded byte for byte and accepted by the log's append, the xerial framing written
 * as Kafka's Java client writes it, and bad payloads as typed errors with bounded memory.
 */
import zlib from 'node:zlib';
import snappy from 'snappyjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readHexFixture } from './golden-bytes.js';
import { MambaError } from '../../src/errors.js';
import {
  ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, COMPRESSION_NAMES, CRC_OFFSET, CRC_SPAN_START,
  INCOMING_BATCH, RECORDS_OFFSET, batchCompression, checkBatch, codecNamed, compressBatch,
  crc32c, dataViewOf, decodeBatch, encodeBatch, initCompression, type CompressionName,
  type DecodedRecord, type RecordInput,
} from '../../src/records/index.js';
import { decompressedBatchBytesMax } from '../../src/constants.js';
import { MemoryStorage, PartitionLog } from '../../src/segments/index.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const codecs = COMPRESSION_NAMES.filter((name) => name !== 'none');

const RECORDS: RecordInput[] = [
  { key: text('k1'), value: text('v1 '.repeat(50)), headers: [['h', text('x')]] },
  { key: null, value: null },
  { key: text('k3'), value: text('v3 '.repeat(50)), headers: [['a', text('1')], ['b', text('')]] },
];

function plain(records: DecodedRecord[]): unknown[] {
  return records.map((r) => ({
    offset: r.offset, timestamp: r.timestamp,
    key: r.key && [...r.key], value: r.value && [...r.value],
    headers: r.headers.map(([name, value]) => [name, [...value]]),
  }));
}

/** A batch with its records section replaced by `payload`, re-checksummed (a valid CRC). */
function withPayload(batch: Uint8Array, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORDS_OFFSET + payload.length);
  out.set(batch.subarray(0, RECORDS_OFFSET));
  out.set(payload, RECORDS_OFFSET);
  const view = dataViewOf(out);
  view.setInt32(BATCH_LENGTH_OFFSET, out.length - 12);
  view.setUint32(CRC_OFFSET, crc32c(out.subarray(CRC_SPAN_START)));
  return out;
}

beforeAll(async () => {
  await initCompression();
});

describe('compression codecs', () => {
  it.each(codecs)('%s: round-trips records with keys, headers and nulls', (name) => {
    const codec = codecNamed(name as CompressionName)!;
    const batch = encodeBatch(RECORDS, undefined, 1_700_000_000_000);
    const compressed = compressBatch(batch, codec);
    expect(compressed.length).toBeLessThan(batch.length);
    expect(batchCompression(dataViewOf(compressed), 0)).toBe(codec.id);
    expect(checkBatch(compressed, dataViewOf(compressed), 0, compressed.length, -1,
      INCOMING_BATCH)).toBe('valid');
    expect(plain(decodeBatch(compressed, 0))).toEqual(plain(decodeBatch(batch, 0)));
  });

  it('leaves a batch that does not shrink uncompressed', () => {
    const batch = encodeBatch([{ value: Uint8Array.of(1, 2, 3) }]);
    expect(compressBatch(batch, codecNamed('gzip')!)).toBe(batch);
  });

  it('writes snappy in the xerial framing and reads raw snappy too', () => {
    const batch = encodeBatch(RECORDS, undefined, 1_700_000_000_000);
    const compressed = compressBatch(batch, codecNamed('snappy')!);
    const payload = compressed.subarray(RECORDS_OFFSET);
    // snappy-java's header: magic, version 1, compatible version 1, then length-prefixed blocks.
    expect([...payload.subarray(0, 16)]).toEqual(
      [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    const blockSizeBytes = dataViewOf(payload).getInt32(16);
    expect(20 + blockSizeBytes).toBe(payload.length);
    const raw = withPayload(compressed, snappy.compress(batch.subarray(RECORDS_OFFSET)));
    expect(plain(decodeBatch(raw, 0))).toEqual(plain(decodeBatch(batch, 0)));
  });
});

describe('batches compressed by other implementations', () => {
  const fixtures: Array<[string, number, Array<[string | null, string | null]>]> = [
    ['kafkajs-gzip-batch.hex', 1, [['k1', 'hello gzip'], [null, null]]],
    ['platformatic-snappy-batch.hex', 2,
      [['k', 'value from platformatic snappy'], [null, 'second']]],
    ['platformatic-lz4-batch.hex', 3, [['k', 'value from platformatic lz4'], [null, 'second']]],
  ];
  const decoder = new TextDecoder();
  const str = (bytes: Uint8Array | null): string | null =>
    bytes === null ? null : decoder.decode(bytes);

  it.each(fixtures)('%s decodes, and the log appends it as it is', (name, codecId, expected) => {
    const golden = readHexFixture(name);
    expect(batchCompression(dataViewOf(golden), 0)).toBe(codecId);
    const records = decodeBatch(golden, 0);
    expect(records.map((r) => [str(r.key), str(r.value)])).toEqual(expected);
    expect(records.map((r) => r.offset)).toEqual([0, 1]);
    expect(records[0].timestamp).toBe(1_700_000_000_000);
    expect(records[0].headers.map(([key, value]) => [key, str(value)]))
      .toEqual([['h', name.startsWith('kafkajs') ? 'x' : 'y']]);

    const log = PartitionLog.open('/data/t-0', { storage: new MemoryStorage() });
    try {
      log.append(encodeBatch([{ value: text('first') }]));
      const appended = log.append(golden);
      expect(appended).toMatchObject({ baseOffset: 1, lastOffset: 2 });
      const stored = log.read(1, 1 << 20);
      expect(stored.length).toBe(golden.length);
      // Stored as sent: only baseOffset and the leader epoch (outside the CRC) are stamped.
      expect([...stored.subarray(ATTRIBUTES_OFFSET)])
        .toEqual([...golden.subarray(ATTRIBUTES_OFFSET)]);
      expect(decodeBatch(stored, 0).map((r) => r.offset)).toEqual([1, 2]);
    } finally {
      log.close();
    }
  });
});

describe('bad compressed payloads', () => {
  const batch = encodeBatch(RECORDS, undefined, 1_700_000_000_000);

  function marked(payload: Uint8Array, codecId: number): Uint8Array {
    const out = withPayload(batch, payload);
    dataViewOf(out).setInt16(ATTRIBUTES_OFFSET, codecId);
    dataViewOf(out).setUint32(CRC_OFFSET, crc32c(out.subarray(CRC_SPAN_START)));
    return out;
  }

  it.each(codecs)('%s: garbage is CORRUPT_BATCH, never a crash', (name) => {
    const id = codecNamed(name as CompressionName)!.id;
    for (const payload of [new Uint8Array(0), Uint8Array.of(0xff, 0xfe, 0xfd, 0x00, 0x01),
      text('not compressed at all, just text')]) {
      let caught: unknown;
      try {
        decodeBatch(marked(payload, id), 0);
      } catch (error) {
        caught = error;
      }
      expect(MambaError.is(caught, 'CORRUPT_BATCH')).toBe(true);
    }
  });

  it('a truncated payload of each codec is CORRUPT_BATCH', () => {
    for (const name of codecs) {
      const compressed = compressBatch(batch, codecNamed(name as CompressionName)!);
      const payload = compressed.subarray(RECORDS_OFFSET);
      const cut = marked(payload.subarray(0, payload.length - 6), batchCompression(
        dataViewOf(compressed), 0));
      expect(() => decodeBatch(cut, 0), name).toThrow(MambaError);
    }
  });

  it('refuses to inflate past the bound (a gzip bomb)', () => {
    const bomb = zlib.gzipSync(new Uint8Array(decompressedBatchBytesMax + 1));
    expect(bomb.length).toBeLessThan(200_000);
    expect(() => decodeBatch(marked(bomb, 1), 0)).toThrow(/does not inflate \(gzip\)/);
  });
});
