/**
 * Bit rot under a running broker (issue 10, gap 1): a consumer checks each batch before it hands
 * out its records. A changed byte is CORRUPT_LOG, not the changed value; a damaged length is
 * CORRUPT_LOG, not a consumer that waits for ever; a seek past the bad batch goes on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MambaError, type Broker, type Consumer } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openBroker, text } from './helpers.js';

const TOPIC = 'rot';
const COUNT = 10;

/** One record per batch, values `rec-0` … `rec-9`; returns the segment file. */
async function fill(broker: Broker, dataDir: string): Promise<string> {
  await broker.createTopic(TOPIC, { partitions: 1, segmentBytes: 1 << 20 });
  const producer = broker.producer({ acks: 1 });
  for (let i = 0; i < COUNT; i++) await producer.send(TOPIC, { value: `rec-${i}` });
  await producer.close();
  return path.join(dataDir, `${TOPIC}-0`, '00000000000000000000.log');
}

/** The byte position of each batch in the segment file. */
function batchPositions(file: string): number[] {
  const bytes = fs.readFileSync(file);
  const positions: number[] = [];
  for (let position = 0; positions.length < COUNT; ) {
    positions.push(position);
    position += bytes.readInt32BE(position + 8) + 12;
  }
  return positions;
}

/** Writes bytes into the file under the broker's feet (the mappings share the page cache). */
function overwrite(file: string, position: number, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, bytes, 0, bytes.length, position);
  } finally {
    fs.closeSync(fd);
  }
}

/** Takes values from the iterator until it ends or throws; returns them and the error. */
async function drain(consumer: Consumer, count: number):
Promise<{ values: string[]; error: unknown }> {
  const values: string[] = [];
  try {
    for await (const m of consumer) {
      values.push(text(m.value)!);
      if (values.length === count) break;
    }
  } catch (error) {
    return { values, error };
  }
  return { values, error: undefined };
}

function expectCorruptAt(error: unknown, file: string, bytePosition: number): void {
  expect(MambaError.is(error, 'CORRUPT_LOG')).toBe(true);
  const corrupt = error as MambaError;
  expect(corrupt.detail).toMatchObject({ topic: TOPIC, partition: 0, offset: 5 });
  expect(corrupt.corruption?.path).toBe(file);
  expect(corrupt.corruption?.bytePosition).toBe(bytePosition);
  expect(corrupt.message).toContain(`${TOPIC}/0 at offset 5`);
}

describe('consumer: corruption below the high-watermark', () => {
  it('a flipped value byte is CORRUPT_LOG with where it is; seek past goes on', async () => {
    const dataDir = tempDir();
    const broker = await openBroker(dataDir);
    try {
      const file = await fill(broker, dataDir);
      const positions = batchPositions(file);
      const valueAt = fs.readFileSync(file).indexOf('rec-5');
      expect(valueAt).toBeGreaterThan(positions[5]);
      overwrite(file, valueAt, Buffer.from('R'));

      const consumer = broker.consumer({ fromBeginning: true });
      await consumer.subscribe(TOPIC);
      const first = await drain(consumer, COUNT);
      expect(first.values).toEqual(['rec-0', 'rec-1', 'rec-2', 'rec-3', 'rec-4']);
      expectCorruptAt(first.error, file, positions[5]);
      // The consumer stops at the bad batch: asked again, it says the same.
      expectCorruptAt((await drain(consumer, COUNT)).error, file, positions[5]);
      consumer.seek(TOPIC, 0, 6);
      const rest = await drain(consumer, 4);
      expect(rest).toEqual({ values: ['rec-6', 'rec-7', 'rec-8', 'rec-9'], error: undefined });
      await consumer.close();

      // The CRC is what catches it: without the check the changed value is handed out.
      const unchecked = broker.consumer({ fromBeginning: true, checkCrcs: false });
      await unchecked.subscribe(TOPIC);
      expect((await drain(unchecked, COUNT)).values[5]).toBe('Rec-5');
      await unchecked.close();
    } finally {
      await broker.close();
    }
  });

  it('a damaged batch length stops run() with CORRUPT_LOG (and an error event), no stall',
    async () => {
    const dataDir = tempDir();
    const broker = await openBroker(dataDir);
    try {
      const file = await fill(broker, dataDir);
      const positions = batchPositions(file);
      overwrite(file, positions[5] + 8, Uint8Array.of(0x00, 0x7f, 0xff, 0x00));

      const consumer = broker.consumer({ fromBeginning: true, maxWaitMs: 50 });
      await consumer.subscribe(TOPIC);
      const events: unknown[] = [];
      consumer.on('error', (error) => events.push(error));
      const values: string[] = [];
      const failed = await consumer.run({
        eachMessage: (m) => { values.push(text(m.value)!); },
      }).then(() => undefined, (error: unknown) => error);
      expect(values).toEqual(['rec-0', 'rec-1', 'rec-2', 'rec-3', 'rec-4']);
      expectCorruptAt(failed, file, positions[5]);
      expect(events).toEqual([failed]);

      consumer.seek(TOPIC, 0, 6);
      expect(await drain(consumer, 4))
        .toEqual({ values: ['rec-6', 'rec-7', 'rec-8', 'rec-9'], error: undefined });
      await consumer.close();
    } finally {
      await broker.close();
    }
  });

  it('rejects a checkCrcs that is not a boolean', async () => {
    const broker = await openBroker();
    try {
      expect(() => broker.consumer({ checkCrcs: 'yes' as unknown as boolean }))
        .toThrow(/options.checkCrcs must be a boolean/);
    } finally {
      await broker.close();
    }
  });
});
