/**
 * How the producer turns sends into batches: sends of one tick (or of one `lingerMs`) share a
 * batch, each still gets its own result or error, and a request whose records go to several
 * partitions gets every result from the place its record went.
 */
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Broker, MambaError, type SendResult } from '../../src/index.js';
import { readBatchHeader } from '../../src/records/index.js';
import { PartitionLog } from '../../src/segments/index.js';
import { readPartition, readTopic } from '../helpers/log-contents.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The record count of every batch stored in one partition of a closed data directory. */
function batchSizes(dataDir: string, topic: string, partition: number): number[] {
  const log = PartitionLog.open(path.join(dataDir, `${topic}-${partition}`), { log: () => {} });
  const counts: number[] = [];
  try {
    const bytes = log.read(log.logStartOffset, 1 << 24);
    for (let position = 0; position < bytes.length;) {
      const header = readBatchHeader(bytes, position);
      counts.push(header.recordCount);
      position += header.sizeBytes;
    }
  } finally {
    log.close();
  }
  return counts;
}

function expectStoredWhereResultsSay(dataDir: string, topic: string, partitions: number,
  results: readonly SendResult[], values: readonly string[]): void {
  const stored = new Map(readTopic(dataDir, topic, partitions)
    .map((r) => [`${r.partition}:${r.offset}`, r.value]));
  results.forEach((result, i) => {
    expect(stored.get(`${result.partition}:${result.offset}`)).toBe(values[i]);
  });
}

describe('producer batching', () => {
  it('maps every result of a request spread over partitions to where its record went',
    async () => {
      const dataDir = tempDir();
      const broker = await Broker.open({ dataDir, actors: 1 });
      await broker.createTopic('spread', { partitions: 3 });
      const producer = broker.producer({ acks: 1 });
      // A run for one partition first, then the others, then back, then keyless (sticky).
      const partitions = [2, 2, 2, 0, 2, 1, 0, undefined, undefined];
      const values = partitions.map((_, i) => `v${i}`);
      const results = await producer.sendBatch('spread',
        partitions.map((partition, i) => ({ value: values[i], partition })));
      expect(results.slice(0, 7).map((r) => r.partition)).toEqual([2, 2, 2, 0, 2, 1, 0]);
      expect(results[8].partition).toBe(results[7].partition);
      await broker.close();
      expectStoredWhereResultsSay(dataDir, 'spread', 3, results, values);
      expect(readPartition(dataDir, 'spread', 2).slice(0, 4).map((r) => r.value))
        .toEqual(['v0', 'v1', 'v2', 'v4']);
    });

  it('puts the sends of one tick in one batch, leaving the caller\'s array as it was',
    async () => {
      const dataDir = tempDir();
      const broker = await Broker.open({ dataDir, actors: 1 });
      await broker.createTopic('tick', { partitions: 1 });
      const producer = broker.producer({ acks: 1 });
      const first = ['a', 'b', 'c', 'd', 'e'].map((value) => ({ value }));
      const batch = producer.sendBatch('tick', first);
      const singles = ['f', 'g', 'h'].map((value) => producer.send('tick', { value }));
      const results = [...await batch, ...await Promise.all(singles)];
      expect(first).toHaveLength(5);
      expect(results.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      await broker.close();
      expect(batchSizes(dataDir, 'tick', 0)).toEqual([8]);
      expect(readPartition(dataDir, 'tick', 0).map((r) => r.value).join(''))
        .toBe('abcdefgh');
    });

  it('with lingerMs, fills one batch from sends over several turns, in order, and fails ' +
    'only the bad ones', async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 1 });
    await broker.createTopic('linger', { partitions: 1, maxRecordBytes: 1000 });
    const producer = broker.producer({ acks: 'all', lingerMs: 60_000 });
    const sends: Promise<SendResult>[] = [];
    const failures: Promise<unknown>[] = [];
    const codeOf = (send: Promise<SendResult>): Promise<unknown> => send.then(
      () => 'sent', (error: unknown) => (error instanceof MambaError ? error.code : error));
    for (let i = 0; i < 20; i++) {
      sends.push(producer.send('linger', { value: `m${i}` }));
      if (i === 7) failures.push(codeOf(producer.send('linger', { value: 'x'.repeat(2000) })));
      if (i === 12) {
        failures.push(codeOf(producer.send('linger', { value: 42 as unknown as string })));
      }
      await nextTurn();
    }
    expect(await Promise.all(failures)).toEqual(['RECORD_TOO_LARGE', 'INVALID_RECORD']);
    // Nothing is acknowledged before the batch is sealed (a minute from now): flush seals it.
    let acknowledged = 0;
    for (const send of sends) void send.then(() => { acknowledged++; });
    await nextTurn();
    expect(acknowledged).toBe(0);
    await producer.flush();
    const results = await Promise.all(sends);
    expect(results.map((r) => r.offset)).toEqual(results.map((_, i) => i));
    await broker.close();
    expect(batchSizes(dataDir, 'linger', 0)).toEqual([20]);
    expect(readPartition(dataDir, 'linger', 0).map((r) => r.value))
      .toEqual(results.map((_, i) => `m${i}`));
  });

  it('queues single sends past maxBufferedBytes and stores them in send order', async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 1 });
    await broker.createTopic('budget', { partitions: 1 });
    // About 30 records of this size fit: most of the 300 sends below wait for room.
    const producer = broker.producer({ acks: 1, maxBufferedBytes: 1024 });
    const sends = Array.from({ length: 300 }, (_, i) =>
      producer.send('budget', { value: `n${String(i).padStart(3, '0')}` }));
    expect(producer.bufferedBytes).toBeLessThanOrEqual(1024);
    const results = await Promise.all(sends);
    expect(results.map((r) => r.offset)).toEqual(results.map((_, i) => i));
    await broker.close();
    const values = readPartition(dataDir, 'budget', 0).map((r) => r.value);
    expect(values).toEqual(results.map((_, i) => `n${String(i).padStart(3, '0')}`));
  });
});
