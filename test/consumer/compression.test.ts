/**
 * Compressed batches end to end through a real broker: a producer with each of Kafka's codecs,
 * the actor storing the batch as sent, and every way of consuming (iterator, eachMessage,
 * eachBatch, a handler pool) reading it back; a bad compressed payload is CORRUPT_LOG.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { MambaError, type Broker, type ConsumedMessage } from '../../src/index.js';
import {
  ATTRIBUTES_OFFSET, COMPRESSION_NAMES, CRC_OFFSET, CRC_SPAN_START, RECORDS_OFFSET, crc32c,
} from '../../src/records/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openBroker, text } from './helpers.js';

const COUNT = 200;
const textHandler = new URL('./workers/text-handler.mjs', import.meta.url);

type Row = [number, string | null, string | null, Record<string, string>];

/** Record i: key `k<i>` (null every 5th), value `v<i>` repeated (null every 7th), header h. */
function messageOf(i: number) {
  return {
    partition: 0,
    key: i % 5 === 0 ? null : `k${i}`,
    value: i % 7 === 0 ? null : `v${i} `.repeat(10),
    headers: { h: `h${i}`, empty: '' },
  };
}

function rowOf(m: ConsumedMessage): Row {
  const headers = Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, text(v)!]));
  return [m.offset, text(m.key), text(m.value), headers];
}

const expectedRows: Row[] = Array.from({ length: COUNT }, (_, i) => {
  const m = messageOf(i);
  return [i, m.key, m.value, m.headers];
});

/** The attributes of each batch in the partition's first segment. */
function storedCodecs(dataDir: string, topic: string): number[] {
  const bytes = fs.readFileSync(path.join(dataDir, `${topic}-0`, '00000000000000000000.log'));
  const codecs: number[] = [];
  for (let position = 0; bytes.readInt32BE(position + 8) > 0;) {
    codecs.push(bytes.readInt16BE(position + ATTRIBUTES_OFFSET) & 7);
    position += bytes.readInt32BE(position + 8) + 12;
  }
  return codecs;
}

async function produce(broker: Broker, topic: string, compression: string): Promise<void> {
  const producer = broker.producer({ acks: 1, compression } as never);
  for (let start = 0; start < COUNT; start += 50) {
    await producer.sendBatch(topic, Array.from({ length: 50 }, (_, j) => messageOf(start + j)));
  }
  await producer.close();
}

describe('compression end to end', () => {
  it.each(COMPRESSION_NAMES.filter((n) => n !== 'none'))(
    '%s: stored compressed, read back by the iterator, eachMessage and eachBatch',
    async (compression) => {
      const dataDir = tempDir();
      const broker = await openBroker(dataDir);
      try {
        await broker.createTopic('z', { partitions: 1, segmentBytes: 1 << 20 });
        await produce(broker, 'z', compression);
        const id = COMPRESSION_NAMES.indexOf(compression);
        expect(storedCodecs(dataDir, 'z')).toEqual([id, id, id, id]);

        const iterated = broker.consumer({ fromBeginning: true });
        await iterated.subscribe('z');
        const rows: Row[] = [];
        for await (const m of iterated) {
          rows.push(rowOf(m));
          if (rows.length === COUNT) break;
        }
        expect(rows).toEqual(expectedRows);
        await iterated.close();

        const each = broker.consumer({ fromBeginning: true });
        await each.subscribe('z');
        const viaMessage: Row[] = [];
        await each.run({
          eachMessage: (m) => {
            viaMessage.push(rowOf(m));
            if (viaMessage.length === COUNT) void each.close();
          },
        });
        expect(viaMessage).toEqual(expectedRows);

        const batched = broker.consumer({ fromBeginning: true, maxBatchBytes: 512 });
        await batched.subscribe('z');
        const viaBatch: Row[] = [];
        await batched.run({
          eachBatch: (b) => {
            viaBatch.push(...b.messages.map(rowOf));
            if (viaBatch.length === COUNT) void batched.close();
          },
        });
        expect(viaBatch).toEqual(expectedRows);
      } finally {
        await broker.close();
      }
    });

  it('hands compressed records to a handler pool as Buffer views', async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('p', { partitions: 1, segmentBytes: 1 << 20 });
      const producer = broker.producer({ acks: 1, compression: 'zstd' });
      await producer.sendBatch('p', Array.from({ length: 100 },
        (_, i) => ({ value: `v${i}`, headers: { h: `h${i}` } })));
      await producer.close();
      const consumer = broker.consumer({ groupId: 'pg', fromBeginning: true });
      await consumer.subscribe('p');
      const stats = new Int32Array(new SharedArrayBuffer(8));
      const running = consumer.run({ handler: textHandler, handlerData: { stats } });
      await vi.waitFor(() => expect(stats[0]).toBe(100), { timeout: 30_000, interval: 20 });
      await consumer.close();
      await running;
      expect(stats[1]).toBe(0);
    } finally {
      await broker.close();
    }
  });

  it('a compressed payload that does not inflate is CORRUPT_LOG at its offset', async () => {
    const dataDir = tempDir();
    const broker = await openBroker(dataDir);
    try {
      await broker.createTopic('b', { partitions: 1, segmentBytes: 1 << 20 });
      await produce(broker, 'b', 'gzip');
      // Damage the second batch's gzip stream and fix its CRC: only inflating can tell.
      const file = path.join(dataDir, 'b-0', '00000000000000000000.log');
      const bytes = fs.readFileSync(file);
      const second = bytes.readInt32BE(8) + 12;
      const end = second + bytes.readInt32BE(second + 8) + 12;
      bytes.fill(0x55, second + RECORDS_OFFSET + 10, end - 10);
      const crc = crc32c(bytes.subarray(second + CRC_SPAN_START, end));
      bytes.writeUInt32BE(crc, second + CRC_OFFSET);
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, bytes, second, end - second, second);
      fs.closeSync(fd);

      const consumer = broker.consumer({ fromBeginning: true });
      await consumer.subscribe('b');
      let seen = 0;
      const failed = await consumer.run({ eachMessage: () => { seen++; } })
        .then(() => undefined, (error: unknown) => error);
      expect(seen).toBe(50);
      expect(MambaError.is(failed, 'CORRUPT_LOG')).toBe(true);
      expect((failed as MambaError).detail).toMatchObject({ topic: 'b', partition: 0, offset: 50 });
      expect((failed as MambaError).corruption).toMatchObject({ path: file, bytePosition: second });
      expect((failed as MambaError).message).toMatch(/gzip/);
      await consumer.close();
    } finally {
      await broker.close();
    }
  });

  it('rejects an unknown codec at the edge', async () => {
    const broker = await openBroker();
    try {
      expect(() => broker.producer({ compression: 'brotli' as never }))
        .toThrow(/options.compression must be 'none', 'gzip', 'snappy', 'lz4', 'zstd'/);
    } finally {
      await broker.close();
    }
  });
});
