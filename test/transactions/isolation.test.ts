/**
 * Issue 16, embedded consumers: read_committed (the default) stops at the last stable offset
 * and skips aborted records; read_uncommitted reads everything; neither hands out a marker, and
 * both move their position and committed offset past markers, so lag reaches 0.
 */
import { describe, expect, it } from 'vitest';
import { Broker, Consumer, type ConsumedMessage } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { TxnSender, highWatermark, lastStableOffset } from './helpers.js';

const decoder = new TextDecoder();

function valueOf(m: ConsumedMessage): string {
  return decoder.decode(m.value!);
}

/** Runs `consumer` on topic 'iso' with eachBatch, collecting (offset, value) pairs. */
function collect(consumer: Consumer) {
  const records: Array<[number, string]> = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const state = { records, nextOffset: -1 };
  const running = consumer.subscribe('iso').then(() => consumer.run({
    eachBatch: (batch) => {
      for (const m of batch.messages) records.push([m.offset, valueOf(m)]);
      state.nextOffset = batch.nextOffset;
      for (const waiter of waiters.splice(0)) {
        if (records.length >= waiter.count) waiter.resolve();
        else waiters.push(waiter);
      }
    },
  }));
  return {
    get records() { return records; },
    get nextOffset() { return state.nextOffset; },
    until: (count: number) => new Promise<void>((resolve) => {
      if (records.length >= count) resolve();
      else waiters.push({ count, resolve });
    }),
    stop: async () => {
      await consumer.close();
      await running;
    },
  };
}

/**
 * Offsets: 0 p0 | 1-2 a (txn A) | 3 b (txn B) | 4 p1 | 5 A commit | 6 B abort | 7 p2 |
 * 8 c (txn C, left open) | 9 p3.
 */
async function mixedLog(broker: Broker): Promise<{ c: TxnSender }> {
  await broker.createTopic('iso', { partitions: 1 });
  const plain = broker.producer({ acks: 'all' });
  const a = new TxnSender(broker, 501);
  const b = new TxnSender(broker, 502);
  const c = new TxnSender(broker, 503);
  await plain.send('iso', { value: 'p0', partition: 0 });
  await a.send('iso', 0, ['a1', 'a2']);
  await b.send('iso', 0, ['b1']);
  await plain.send('iso', { value: 'p1', partition: 0 });
  await a.marker('iso', 0, true);
  await b.marker('iso', 0, false);
  await plain.send('iso', { value: 'p2', partition: 0 });
  await c.send('iso', 0, ['c1']);
  await plain.send('iso', { value: 'p3', partition: 0 });
  expect(highWatermark(broker, 'iso', 0)).toBe(10);
  expect(lastStableOffset(broker, 'iso', 0)).toBe(8);
  return { c };
}

describe('consumer isolation', () => {
  it('read_committed stops at the LSO and skips aborted records; read_uncommitted does not',
    async () => {
      const broker = await Broker.open({ dataDir: tempDir(), actors: 1, delayedDelivery: false });
      try {
        const { c } = await mixedLog(broker);
        const committed = collect(broker.consumer({ fromBeginning: true }));
        await committed.until(5);
        expect(committed.records).toEqual([
          [0, 'p0'], [1, 'a1'], [2, 'a2'], [4, 'p1'], [7, 'p2'],
        ]);
        // The batches handed out end at the open transaction, past both markers.
        expect(committed.nextOffset).toBe(8);

        const uncommitted = collect(broker.consumer({ fromBeginning: true,
          isolation: 'read_uncommitted' }));
        await uncommitted.until(8);
        expect(uncommitted.records).toEqual([
          [0, 'p0'], [1, 'a1'], [2, 'a2'], [3, 'b1'], [4, 'p1'], [7, 'p2'], [8, 'c1'], [9, 'p3'],
        ]);
        expect(uncommitted.nextOffset).toBe(10);
        // A consumer attached from a handle (another thread's way in) takes the option too.
        const attached = collect(Consumer.attach(broker.consumerHandle({ fromBeginning: true,
          isolation: 'read_uncommitted' })));
        await attached.until(8);
        expect(attached.records).toEqual(uncommitted.records);
        await attached.stop();

        await c.marker('iso', 0, true);
        await committed.until(7);
        expect(committed.records.slice(5)).toEqual([[8, 'c1'], [9, 'p3']]);
        expect(committed.nextOffset).toBe(11);
        await committed.stop();
        await uncommitted.stop();
        expect(() => broker.consumer({ isolation: 'serializable' as never }))
          .toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
      } finally {
        await broker.close();
      }
    });

  it('a group commits past the markers at the log end: lag reaches 0, both levels',
    async () => {
      const broker = await Broker.open({ dataDir: tempDir(), actors: 1, delayedDelivery: false });
      try {
        const { c } = await mixedLog(broker);
        await c.marker('iso', 0, false);
        expect(lastStableOffset(broker, 'iso', 0)).toBe(11);
        for (const isolation of ['read_committed', 'read_uncommitted'] as const) {
          const groupId = `g-${isolation}`;
          const consumer = broker.consumer({ groupId, fromBeginning: true, isolation });
          await consumer.subscribe('iso');
          const values: string[] = [];
          const expected = isolation === 'read_committed'
            ? ['p0', 'a1', 'a2', 'p1', 'p2', 'p3']
            : ['p0', 'a1', 'a2', 'b1', 'p1', 'p2', 'c1', 'p3'];
          let resolveAll: () => void = () => undefined;
          const all = new Promise<void>((resolve) => { resolveAll = resolve; });
          const running = consumer.run({
            eachMessage: (m) => {
              values.push(valueOf(m));
              if (values.length === expected.length) resolveAll();
            },
          });
          await all;
          await consumer.close();
          await running;
          expect(values).toEqual(expected);
          // The abort marker of C (offset 10) is the last offset: committed past it.
          expect(broker.committedOffset(groupId, 'iso', 0)).toBe(11);
        }
      } finally {
        await broker.close();
      }
    });
});

describe('remote consumer (Broker.connect) and markers', () => {
  it('never hands out a marker and moves its position past them', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1, delayedDelivery: false });
    const { port } = (await broker.listen({ host: '127.0.0.1', port: 0 })).address();
    const remote = await Broker.connect({ brokers: [`127.0.0.1:${port}`] });
    try {
      await broker.createTopic('iso', { partitions: 1 });
      const a = new TxnSender(broker, 601);
      const plain = broker.producer({ acks: 'all' });
      await a.send('iso', 0, ['a1']);
      await a.marker('iso', 0, true);
      await plain.send('iso', { value: 'p1', partition: 0 });
      await a.send('iso', 0, ['a2']);
      await a.marker('iso', 0, true);
      for (const isolation of ['read_committed', 'read_uncommitted'] as const) {
        const consumer = remote.consumer({ fromBeginning: true, isolation });
        await consumer.subscribe('iso');
        const seen: Array<[number, string]> = [];
        let nextOffset = -1;
        let resolveAll: () => void = () => undefined;
        const all = new Promise<void>((resolve) => { resolveAll = resolve; });
        const running = consumer.run({
          eachBatch: (batch) => {
            for (const m of batch.messages) seen.push([m.offset, valueOf(m)]);
            nextOffset = batch.nextOffset;
            if (nextOffset === 5) resolveAll();
          },
        });
        await all;
        await consumer.close();
        await running;
        expect(seen).toEqual([[0, 'a1'], [2, 'p1'], [3, 'a2']]);
      }
    } finally {
      await remote.close();
      await broker.close();
    }
  });
});
