import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { readBatchHeader } from '../../src/records/index.js';
import { readTopic } from '../helpers/log-contents.js';
import { tempDir } from '../helpers/temp-dir.js';

const workerFile = new URL('./workers/producer-worker.mjs', import.meta.url);

function runProducer(handle: unknown, label: string, count: number) {
  const worker = new Worker(workerFile, { workerData: { handle, topic: 'w', count, label } });
  type Output = { results: Array<{ partition: number; offset: number }> };
  return new Promise<Output>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

describe('producers in other worker threads', () => {
  it('several producer threads write at once, and every record lands once', async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 2 });
    await broker.createTopic('w', { partitions: 4 });
    const labels = ['a', 'b', 'c'];
    const outputs = await Promise.all(labels.map((label) =>
      runProducer(broker.producerHandle({ acks: 1 }), label, 3000)));
    const mainResult = await broker.producer().send('w', { value: 'main' });
    expect(mainResult.offset).toBeGreaterThanOrEqual(0);
    await broker.close();
    const stored = readTopic(dataDir, 'w', 4);
    expect(stored).toHaveLength(9001);
    for (const label of labels) {
      const mine = stored.filter((r) => r.value.startsWith(`${label}:`));
      expect(new Set(mine.map((r) => r.value)).size).toBe(3000);
    }
    const acked = outputs.flatMap((o) => o.results);
    const places = new Set(acked.map((r) => `${r.partition}:${r.offset}`));
    expect(places.size).toBe(9000);
  });
});

describe('closing the broker under a producer in another thread', () => {
  it('fails the worker\'s pending and later sends with BROKER_CLOSED, not a timeout', async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 1 });
    await broker.createTopic('w', { partitions: 1 });
    const worker = new Worker(new URL('./workers/late-producer-worker.mjs', import.meta.url), {
      workerData: { handle: broker.producerHandle({ acks: 1, requestTimeoutMs: 600_000 }) },
    });
    const ready = new Promise((resolve) => worker.once('message', resolve));
    await ready;
    await broker.close();
    worker.postMessage('send');
    const code = await new Promise((resolve) => worker.once('message', resolve));
    expect(code).toBe('BROKER_CLOSED');
    await worker.terminate();
  });

  it('a compressing producer in a fresh thread starts its codec before the first send',
    async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 1 });
    await broker.createTopic('w', { partitions: 2 });
    // zstd's wasm starts asynchronously once per thread; the worker's first sends wait for it.
    const output = await runProducer(broker.producerHandle({ acks: 1, compression: 'zstd' }),
      'z', 400);
    expect(output.results).toHaveLength(400);
    await broker.close();
    const stored = readTopic(dataDir, 'w', 2);
    expect(new Set(stored.map((r) => r.value))).toEqual(
      new Set(Array.from({ length: 400 }, (_, i) => `z:${i}`)));
    const codecs = new Set([0, 1].flatMap((p) => batchCodecs(dataDir, 'w', p)));
    expect(codecs).toEqual(new Set([4]));
  });
});

/** The codec id of every batch of a partition's first segment. */
function batchCodecs(dataDir: string, topic: string, partition: number): number[] {
  const bytes = fs.readFileSync(
    path.join(dataDir, `${topic}-${partition}`, '00000000000000000000.log'));
  const codecs: number[] = [];
  for (let position = 0; bytes.readInt32BE(position + 8) > 0;
    position += bytes.readInt32BE(position + 8) + 12) {
    codecs.push(readBatchHeader(bytes, position).compression);
  }
  return codecs;
}

