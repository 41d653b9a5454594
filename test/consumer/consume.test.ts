import { describe, expect, it, vi } from 'vitest';
import { MambaError, type ConsumedMessage } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openBroker, produce, seen, take, text, type Seen } from './helpers.js';

function checkInOrder(records: Seen[], partitions: number, count: number): void {
  expect(records).toHaveLength(count);
  const next = new Array<number>(partitions).fill(0);
  for (const r of records) {
    expect(r.offset).toBe(next[r.partition]);
    next[r.partition]++;
    const i = Number(r.value.slice(1));
    expect(i % partitions).toBe(r.partition);
  }
  expect(new Set(records.map((r) => r.value)).size).toBe(count);
}

describe('consumer: reading the log', () => {
  it('consumes every record from the beginning, in order per partition, values intact',
    async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('orders', { partitions: 3, segmentBytes: 1 << 20 });
      await produce(broker, 'orders', 3, 6000);
      const iterated = broker.consumer({ fromBeginning: true });
      await iterated.subscribe('orders');
      checkInOrder(await take(iterated, 6000), 3, 6000);
      await iterated.close();

      const viaRun = broker.consumer({ fromBeginning: true });
      await viaRun.subscribe(['orders']);
      const records: Seen[] = [];
      let headersOk = true;
      const running = viaRun.run({
        eachMessage: async (m: ConsumedMessage) => {
          records.push(seen(m));
          headersOk &&= text(m.headers.n) === text(m.value)!.slice(1);
          expect(text(m.valueCopy())).toBe(text(m.value));
          if (records.length === 6000) void viaRun.close();
        },
      });
      await running;
      checkInOrder(records, 3, 6000);
      expect(headersOk).toBe(true);
    } finally {
      await broker.close();
    }
  });

  it('hands eachBatch whole runs of one partition, and keeps partitions apart', async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('b', { partitions: 2, segmentBytes: 1 << 20 });
      await produce(broker, 'b', 2, 3000);
      const consumer = broker.consumer({ fromBeginning: true, maxBatchBytes: 4096 });
      await consumer.subscribe('b');
      const records: Seen[] = [];
      let batches = 0;
      await consumer.run({
        partitionsConsumedConcurrently: 2,
        eachBatch: async (batch) => {
          batches++;
          for (const m of batch.messages) {
            expect(m.partition).toBe(batch.partition);
            records.push(seen(m));
          }
          expect(batch.nextOffset).toBe(batch.messages.at(-1)!.offset + 1);
          if (records.length === 3000) void consumer.close();
        },
      });
      const perPartition = [0, 1].map((p) => records.filter((r) => r.partition === p));
      checkInOrder([...perPartition[0], ...perPartition[1]], 2, 3000);
      expect(batches).toBeGreaterThan(2);
    } finally {
      await broker.close();
    }
  });

  it('a consumer waiting at the high-watermark wakes on a produce', async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('w', { partitions: 1, segmentBytes: 1 << 20 });
      const consumer = broker.consumer({ maxWaitMs: 60_000 });
      await consumer.subscribe('w');
      const first = take(consumer, 1);
      // The iterator is parked on the change word (nothing to read, a minute's timeout).
      await new Promise((resolve) => setImmediate(resolve));
      await broker.producer({ acks: 1 }).send('w', { value: 'ping' });
      expect((await first)[0]).toEqual({ partition: 0, offset: 0, value: 'ping' });
      await consumer.close();
    } finally {
      await broker.close();
    }
  });

  it('seeks by offset and by timestamp', async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('s', { partitions: 2, segmentBytes: 1 << 20 });
      const producer = broker.producer({ acks: 1 });
      for (let i = 0; i < 40; i++) {
        await producer.sendBatch('s', Array.from({ length: 5 }, (_, j) => ({
          partition: 0, value: `t${i * 5 + j}`, timestamp: 1_000 * (i * 5 + j + 1),
        })));
      }
      const consumer = broker.consumer({ fromBeginning: true });
      await consumer.subscribe('s');
      expect(consumer.seek('s', 0, 123)).toBe(123);
      expect((await take(consumer, 1))[0].offset).toBe(123);
      // Timestamps are 1000 × (offset + 1): the first at or after 57 500 is offset 57.
      expect(consumer.seek('s', 0, { timestamp: 57_500 })).toBe(57);
      expect((await take(consumer, 2)).map((r) => r.value)).toEqual(['t57', 't58']);
      expect(consumer.seek('s', 0, { timestamp: 0 })).toBe(0);
      expect(consumer.seek('s', 0, { timestamp: 10_000_000 })).toBe(200);
      expect(consumer.seek('s', 1, { timestamp: 5 })).toBe(0);
      await consumer.close();
    } finally {
      await broker.close();
    }
  });

  it('pause stops a partition and resume restarts it; lag follows the log', async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('p', { partitions: 2, segmentBytes: 1 << 20 });
      await produce(broker, 'p', 2, 200);
      const consumer = broker.consumer({ groupId: 'pg', fromBeginning: true });
      await consumer.subscribe('p');
      consumer.pause([{ topic: 'p', partitions: [1] }]);
      expect(consumer.paused()).toEqual([{ topic: 'p', partition: 1 }]);
      const firstHundred = await take(consumer, 100);
      expect(firstHundred.every((r) => r.partition === 0)).toBe(true);
      await consumer.commit();
      const lag = consumer.lag();
      expect(lag.find((l) => l.partition === 0)).toMatchObject({ highWatermark: 100, lag: 0 });
      expect(lag.find((l) => l.partition === 1)).toMatchObject({ highWatermark: 100, lag: 100 });
      consumer.resume([{ topic: 'p' }]);
      const rest = await take(consumer, 100);
      expect(rest.every((r) => r.partition === 1)).toBe(true);
      expect(rest.map((r) => r.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      await consumer.commit();
      expect(consumer.lag().map((l) => l.lag)).toEqual([0, 0]);
      await consumer.close();
      expect(broker.committedOffset('pg', 'p', 1)).toBe(100);
    } finally {
      await broker.close();
    }
  });

  it('reports every bad input by its code and commits nothing for it', async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('x', { partitions: 2, segmentBytes: 1 << 20 });
      await produce(broker, 'x', 2, 10);
      const code = (f: () => unknown) => {
        try {
          f();
        } catch (error) {
          return (error as MambaError).code;
        }
        return 'none';
      };
      const codeOf = (p: Promise<unknown>) => p.then(() => 'none',
        (error: MambaError) => error.code);
      expect(code(() => broker.consumer({ maxWaitMs: -1 }))).toBe('INVALID_CONFIG');
      expect(code(() => broker.consumer({ autoOffsetReset: 'middle' as 'latest' })))
        .toBe('INVALID_CONFIG');
      expect(code(() => broker.consumerHandle({ groupId: '' }))).toBe('INVALID_CONFIG');
      const consumer = broker.consumer({ groupId: 'bad', fromBeginning: true });
      expect(await codeOf(consumer.subscribe('nope'))).toBe('UNKNOWN_TOPIC');
      expect(await codeOf(consumer.run({ eachMessage: () => undefined })))
        .toBe('ILLEGAL_STATE');
      await consumer.subscribe('x');
      expect(code(() => consumer.seek('x', 0, -1))).toBe('INVALID_OFFSET');
      expect(code(() => consumer.seek('x', 2, 0))).toBe('INVALID_PARTITION');
      expect(code(() => consumer.seek('x', -1, 0))).toBe('INVALID_PARTITION');
      expect(code(() => consumer.seek('nope', 0, 0))).toBe('UNKNOWN_TOPIC');
      expect(code(() => consumer.seek('x', 0, { at: 1 } as never))).toBe('INVALID_CONFIG');
      expect(code(() => consumer.pause([{ topic: 'x', partitions: [7] }])))
        .toBe('INVALID_PARTITION');
      expect(await codeOf(consumer.commit([{ topic: 'x', partition: 9, offset: 1 }])))
        .toBe('INVALID_PARTITION');
      expect(await codeOf(consumer.commit([{ topic: 'x', partition: 0, offset: -5 }])))
        .toBe('INVALID_OFFSET');
      expect(await codeOf(consumer.run({ eachMessage: 5 as never }))).toBe('INVALID_CONFIG');
      const notAFunction = new URL('../groups/fixtures/not-a-function.mjs', import.meta.url);
      expect(await codeOf(consumer.run({ handler: notAFunction }))).toBe('INVALID_HANDLER');
      expect(await codeOf(consumer.run({ handler: 42 as never }))).toBe('INVALID_HANDLER');
      expect(broker.committedOffset('bad', 'x', 0)).toBeUndefined();
      expect(broker.committedOffset('bad', 'x', 1)).toBeUndefined();
      await consumer.close();
      expect(await codeOf(consumer.subscribe('x'))).toBe('CONSUMER_CLOSED');
      expect(code(() => consumer.seek('x', 0, 0))).toBe('CONSUMER_CLOSED');
      expect(await codeOf(consumer.commit())).toBe('CONSUMER_CLOSED');
      const loner = broker.consumer();
      await loner.subscribe('x');
      expect(await codeOf(loner.commit())).toBe('INVALID_CONFIG');
      await loner.close();
    } finally {
      await broker.close();
    }
  });
});

describe('consumer: delivery', () => {
  it('every group sees every record; committing before processing is at-most-once',
    async () => {
      const broker = await openBroker();
      try {
        await broker.createTopic('ps', { partitions: 2, segmentBytes: 1 << 20 });
        await produce(broker, 'ps', 2, 100);
        const groups = ['g1', 'g2'].map((groupId) =>
          broker.consumer({ groupId, fromBeginning: true }));
        for (const consumer of groups) await consumer.subscribe('ps');
        const [one, two] = await Promise.all(groups.map((consumer) => take(consumer, 100)));
        expect(new Set(one.map((r) => r.value)).size).toBe(100);
        expect(new Set(two.map((r) => r.value)).size).toBe(100);
        await Promise.all(groups.map((consumer) => consumer.close()));

        const atMostOnce = broker.consumer({
          groupId: 'g3', fromBeginning: true, autoCommit: false,
        });
        await atMostOnce.subscribe('ps');
        const failure = await atMostOnce.run({
          maxAttempts: 1,
          eachMessage: async (m) => {
            await atMostOnce.commit([
              { topic: m.topic, partition: m.partition, offset: m.offset + 1 },
            ]);
            if (m.partition === 0 && m.offset === 10) throw new Error('lost in processing');
          },
        }).then(() => undefined, (error: MambaError) => error);
        expect(failure).toMatchObject({ code: 'HANDLER_FAILED' });
        expect((failure?.cause as Error).message).toBe('lost in processing');
        await atMostOnce.close();
        expect(broker.committedOffset('g3', 'ps', 0)).toBe(11);
      } finally {
        await broker.close();
      }
    });
});

describe('consumer: offsets across restarts and retention', () => {
  it('committed offsets survive an actor crash and a broker close/reopen', async () => {
    const dataDir = tempDir();
    let broker = await openBroker(dataDir);
    await broker.createTopic('c', { partitions: 2, segmentBytes: 1 << 20 });
    await produce(broker, 'c', 2, 400);
    const consumer = broker.consumer({ groupId: 'cg', fromBeginning: true });
    await consumer.subscribe('c');
    const before = await take(consumer, 400);
    await consumer.commit();
    await broker.crashActor(0, 'terminate');
    await broker.crashActor(1, 'terminate');
    await broker.settled();
    await produce(broker, 'c', 2, 100, 'w');
    const after = await take(consumer, 100);
    expect(after.every((r) => r.value.startsWith('w'))).toBe(true);
    await consumer.close();
    expect([0, 1].map((p) => broker.committedOffset('cg', 'c', p))).toEqual([250, 250]);
    expect(before).toHaveLength(400);
    await broker.close();

    broker = await openBroker(dataDir);
    try {
      expect([0, 1].map((p) => broker.committedOffset('cg', 'c', p))).toEqual([250, 250]);
      await produce(broker, 'c', 2, 2, 'z');
      const again = broker.consumer({ groupId: 'cg', fromBeginning: true });
      await again.subscribe('c');
      const next = await take(again, 2);
      expect(next.map((r) => r.value).sort()).toEqual(['z0', 'z1']);
      expect(next.map((r) => r.offset)).toEqual([250, 250]);
      await again.close();
    } finally {
      await broker.close();
    }
  });

  it('retention under a reader gives OFFSET_OUT_OF_RANGE, handled per autoOffsetReset',
    async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('r', {
        partitions: 1, segmentBytes: 64 * 1024, retentionBytes: 128 * 1024,
      });
      const earliest = broker.consumer({ fromBeginning: true, autoOffsetReset: 'earliest' });
      const latest = broker.consumer({ fromBeginning: true, autoOffsetReset: 'latest' });
      for (const consumer of [earliest, latest]) {
        await consumer.subscribe('r');
        consumer.pause([{ topic: 'r' }]);
      }
      const producer = broker.producer({ acks: 1 });
      const filler = 'x'.repeat(900);
      for (let i = 0; i < 20; i++) {
        await producer.sendBatch('r', Array.from({ length: 50 }, () => ({ value: filler })));
      }
      // Retention runs on the actor's clock; wait for the log start to move (a condition).
      await vi.waitFor(async () => {
        const [p] = (await broker.describeTopic('r')).partitions;
        expect(p.logStartOffset).toBeGreaterThan(0);
      }, { timeout: 20_000, interval: 50 });
      const { logStartOffset } = (await broker.describeTopic('r')).partitions[0];
      earliest.resume([{ topic: 'r' }]);
      const [first] = await take(earliest, 1);
      expect(first.offset).toBeGreaterThanOrEqual(logStartOffset);
      expect(first.value).toBe(filler);

      latest.resume([{ topic: 'r' }]);
      const next = take(latest, 1);
      await new Promise((resolve) => setImmediate(resolve));
      await producer.send('r', { value: 'after' });
      expect((await next)[0].value).toBe('after');
      await Promise.all([earliest.close(), latest.close()]);
    } finally {
      await broker.close();
    }
  });

  it('deleting a topic drops its committed offsets', async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('d', { partitions: 1, segmentBytes: 1 << 20 });
      await produce(broker, 'd', 1, 10);
      const consumer = broker.consumer({ groupId: 'dg', fromBeginning: true });
      await consumer.subscribe('d');
      await take(consumer, 10);
      await consumer.close();
      expect(broker.committedOffset('dg', 'd', 0)).toBe(10);
      await broker.deleteTopic('d');
      expect(broker.committedOffset('dg', 'd', 0)).toBeUndefined();
    } finally {
      await broker.close();
    }
  });
});
