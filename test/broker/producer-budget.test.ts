/**
 * Bounded producers (issue 10, gap 3): a producer holds at most `maxBufferedBytes` of records
 * between `send` and their acknowledgement. While its partition's actor is down (held stopped
 * by a long restart backoff after a crash), sending ten times the budget makes the senders wait
 * instead of growing the producer's queues, and once the actor is back every record is stored
 * exactly once.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Broker, MambaError } from '../../src/index.js';
import type { Producer } from '../../src/index.js';
import { readTopic } from '../helpers/log-contents.js';
import { tempDir } from '../helpers/temp-dir.js';

const budgetBytes = 2 * 1024 * 1024;
const valueBytes = 1000;
const perBatch = 50;
/** Concurrent senders: together they ask for more than the budget (64 × ~50 KiB). */
const loops = 64;
/** The actor stays down this long after its crash: long enough to fill the budget many times. */
const actorDownMs = 2_500;

async function brokerWithActorDown(dataDir: string): Promise<Broker> {
  const broker = await Broker.open({
    dataDir, actors: 1, restart: { backoffMsMin: actorDownMs, backoffMsMax: actorDownMs },
  });
  await broker.createTopic('b', { partitions: 2 });
  await broker.producer().send('b', { value: 'warm-up' });
  await broker.crashActor(0, 'terminate');
  return broker;
}

function expectEachOnce(dataDir: string, label: string, count: number): void {
  const mine = readTopic(dataDir, 'b', 2).filter((r) => r.value.startsWith(`${label}:`));
  const indexes = mine.map((r) => Number(r.value.split(':')[1]));
  expect(indexes).toHaveLength(count);
  expect(new Set(indexes).size).toBe(count);
}

async function sendTenBudgets(producer: Producer, label: string):
Promise<{ recordCount: number; maxBufferedBytes: number }> {
  const recordCount = Math.ceil(10 * budgetBytes / valueBytes);
  let maxBufferedBytes = 0;
  let next = 0;
  const sample = () => {
    maxBufferedBytes = Math.max(maxBufferedBytes, producer.bufferedBytes);
  };
  const loop = async () => {
    while (next < recordCount) {
      const batch = [];
      while (batch.length < perBatch && next < recordCount) {
        const value = new Uint8Array(valueBytes).fill(next % 251);
        value.set(new TextEncoder().encode(`${label}:${next++}:`));
        batch.push({ value });
      }
      const sent = producer.sendBatch('b', batch);
      sample();
      await sent;
    }
  };
  const timer = setInterval(sample, 2);
  await Promise.all(Array.from({ length: loops }, loop));
  clearInterval(timer);
  return { recordCount, maxBufferedBytes };
}

describe('a producer with a byte budget', () => {
  it('waits for room while the actor is down and stores every record once', async () => {
    const dataDir = tempDir();
    const broker = await brokerWithActorDown(dataDir);
    const producer = broker.producer({ acks: 1, maxBufferedBytes: budgetBytes });
    const { recordCount, maxBufferedBytes } =
      await sendTenBudgets(producer, 'main');
    await producer.close();
    await broker.close();
    // The budget filled (the senders were held back) and was never exceeded.
    expect(maxBufferedBytes).toBeLessThanOrEqual(budgetBytes);
    expect(maxBufferedBytes).toBeGreaterThan(budgetBytes - 2 * perBatch * (valueBytes + 64));
    expectEachOnce(dataDir, 'main', recordCount);
  });

  it('bounds a producer in another worker thread the same way', async () => {
    const dataDir = tempDir();
    const broker = await brokerWithActorDown(dataDir);
    const worker = new Worker(new URL('./workers/budget-producer-worker.mjs', import.meta.url), {
      workerData: {
        handle: broker.producerHandle({ acks: 1, maxBufferedBytes: budgetBytes }), topic: 'b',
        totalBytes: 10 * budgetBytes, valueBytes, perBatch, loops, label: 'worker',
      },
    });
    const output = new Promise<{ recordCount: number; maxBufferedBytes: number }>(
      (resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    // The broker's metrics see what the worker's producer holds (shared session words).
    const heldBytes = async () => {
      const line = (await broker.metrics()).split('\n')
        .find((l) => l.startsWith('mamba_producer_buffered_bytes '));
      return Number(line?.split(' ')[1]);
    };
    const deadline = Date.now() + 20_000;
    let seenBytes = await heldBytes();
    while (seenBytes < budgetBytes / 2 && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
      seenBytes = await heldBytes();
    }
    expect(seenBytes).toBeGreaterThan(budgetBytes / 2);
    expect(seenBytes).toBeLessThanOrEqual(budgetBytes);
    const { recordCount, maxBufferedBytes } = await output;
    expect(await heldBytes()).toBe(0);
    await broker.close();
    expect(maxBufferedBytes).toBeLessThanOrEqual(budgetBytes);
    expect(maxBufferedBytes).toBeGreaterThan(budgetBytes - 2 * perBatch * (valueBytes + 64));
    expectEachOnce(dataDir, 'worker', recordCount);
  });

  it('refuses a request larger than the whole budget, queuing none of it', async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 1 });
    await broker.createTopic('b', { partitions: 2 });
    const producer = broker.producer({ acks: 1, maxBufferedBytes: 1024 });
    const refused = producer.sendBatch('b', [{ value: 'never-1' }, { value: 'never-2' },
      { value: new Uint8Array(1000) }]);
    await expect(refused).rejects.toMatchObject({ code: 'RECORD_TOO_LARGE' });
    expect(producer.bufferedBytes).toBe(0);
    await producer.send('b', { value: 'after' });
    await producer.close();
    await broker.close();
    const stored = readTopic(dataDir, 'b', 2).map((r) => r.value);
    expect(stored).toEqual(['after']);
  });

  it('rejects a bad maxBufferedBytes at the edge', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    try {
      for (const bad of [0, -1, 1.5, 'big']) {
        expect(() => broker.producer({ maxBufferedBytes: bad as number }))
          .toThrow(MambaError);
        expect(() => broker.producer({ maxBufferedBytes: bad as number }))
          .toThrow(/maxBufferedBytes/);
      }
    } finally {
      await broker.close();
    }
  });
});
