/**
 * Delayed delivery end to end (issue 13): messages sent with `delayMs` / `deliverAt` reach
 * their topic at their time, never before, once; the limits are refused at the edge; a restart
 * rebuilds the wheel from the delayed log and the checkpoint.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Broker, MambaError, type ConsumedMessage } from '../../src/index.js';
import { delayMsMax } from '../../src/constants.js';
import { tempDir } from '../helpers/temp-dir.js';
import { delayServiceDrained, readDelivered } from './delay-helpers.js';

const decoder = new TextDecoder();
let broker: Broker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('delayed delivery', () => {
  it('delivers each delayed message once, at its time and not before, with key and headers',
    async () => {
      const dataDir = tempDir();
      broker = await Broker.open({ dataDir, actors: 2 });
      await broker.createTopic('orders', { partitions: 3 });
      const consumer = broker.consumer();
      await consumer.subscribe('orders');
      const seen: Array<{ message: ConsumedMessage; atMs: number }> = [];
      const running = consumer.run({
        eachMessage: async (message) => { seen.push({ message, atMs: Date.now() }); },
      });
      const producer = broker.producer();
      const sentAtMs = Date.now();
      const batch = Array.from({ length: 300 }, (_, i) => ({
        key: `key-${i % 11}`, value: `v${i}`, headers: { n: String(i) },
        ...(i % 3 === 0 ? {} : i % 3 === 1 ? { delayMs: (i * 13) % 700 }
          : { deliverAt: new Date(sentAtMs + (i * 17) % 900) }),
      }));
      const results = await producer.sendBatch('orders', batch);
      const plain = await producer.send('orders', { key: 'key-0', value: 'plain' });
      expect(plain.offset).toBeGreaterThanOrEqual(0);
      for (const [i, result] of results.entries()) {
        if (i % 3 === 0) expect(result.deliverAtMs).toBeUndefined();
        else expect(result).toMatchObject({ topic: 'orders', offset: -1 });
      }
      await waitFor(() => seen.length === 301);
      await consumer.close();
      await running;
      const byValue = new Map(seen.map((entry) => [decoder.decode(entry.message.value!), entry]));
      expect(byValue.size).toBe(301);
      // A keyed delayed message lands where the same key undelayed does.
      const partitionOfKey = new Map<string, number>();
      for (const { message } of seen) {
        const key = decoder.decode(message.key!);
        expect(partitionOfKey.get(key) ?? message.partition).toBe(message.partition);
        partitionOfKey.set(key, message.partition);
      }
      for (const [i, result] of results.entries()) {
        const { message, atMs } = byValue.get(`v${i}`)!;
        expect(decoder.decode(message.headers.n)).toBe(String(i));
        if (i % 3 === 0) continue;
        expect(message.partition).toBe(result.partition);
        const dueMs = Number(decoder.decode(message.headers['mamba.delay.due']));
        expect(dueMs).toBe(result.deliverAtMs);
        expect(atMs).toBeGreaterThanOrEqual(dueMs);
        expect(message.timestamp).toBeGreaterThanOrEqual(dueMs);
        expect(message.headers['mamba.delay.topic']).toBeUndefined();
      }
      await waitFor(() => broker!.delayStats()!.deliveredCount === 200);
      expect(broker.delayStats()).toMatchObject({ droppedCount: 0, pendingCount: 0 });
    });

  it('refuses bad delays with INVALID_RECORD before anything is sent', async () => {
    broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    await broker.createTopic('t');
    const producer = broker.producer();
    const bad = [
      { value: 'x', delayMs: -1 },
      { value: 'x', delayMs: delayMsMax + 1 },
      { value: 'x', delayMs: Number.NaN },
      { value: 'x', delayMs: '5' as unknown as number },
      { value: 'x', deliverAt: Date.now() + delayMsMax + 60_000 },
      { value: 'x', deliverAt: new Date(Number.NaN) },
      { value: 'x', delayMs: 5, deliverAt: Date.now() },
      { value: 'x', delayMs: 5, headers: { 'mamba.delay.topic': 'elsewhere' } },
    ];
    for (const message of bad) {
      await expect(producer.send('t', message)).rejects.toMatchObject({
        code: 'INVALID_RECORD', retriable: false,
      });
      await expect(producer.sendBatch('t', [{ value: 'ok' }, message])).rejects
        .toBeInstanceOf(MambaError);
    }
    // The longest delay is accepted; nothing of the refused batches was stored. Its timer is
    // capped at what setTimeout keeps: a longer one would fire every millisecond (Node warns).
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      await producer.send('t', { value: 'far', delayMs: delayMsMax });
      expect((await broker.describeTopic('t')).partitions[0].highWatermark).toBe(0);
      await waitFor(() => broker!.delayStats()!.pendingCount === 1);
      // Warnings are emitted on a later tick: let one pass before looking.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('keeps its topic to itself and can be turned off', async () => {
    const dataDir = tempDir();
    broker = await Broker.open({ dataDir, actors: 1 });
    expect(broker.listTopics()).toEqual([]);
    await expect(broker.createTopic('__mamba_mine')).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    await expect(broker.deleteTopic('__mamba_delayed')).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    await broker.close();
    await expect(Broker.open({ dataDir, delayedDelivery: 'yes' as unknown as boolean }))
      .rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    broker = await Broker.open({ dataDir: tempDir(), actors: 1, delayedDelivery: false });
    await broker.createTopic('t');
    expect(broker.delayStats()).toBeUndefined();
    await expect(broker.producer().send('t', { value: 'x', delayMs: 10 })).rejects
      .toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('rebuilds the pending messages from the delayed log and its checkpoint on restart',
    async () => {
      const dataDir = tempDir();
      broker = await Broker.open({ dataDir, actors: 1 });
      await broker.createTopic('later', { partitions: 2 });
      const producer = broker.producer({ acks: 'all' });
      const early = await producer.sendBatch('later',
        Array.from({ length: 100 }, (_, i) => ({ value: `e${i}`, delayMs: 0 })));
      await waitFor(() => broker!.delayStats()!.deliveredCount === 100);
      const late = await producer.sendBatch('later',
        Array.from({ length: 100 }, (_, i) => ({ value: `l${i}`, delayMs: 3_000 + i })));
      await waitFor(() => broker!.delayStats()!.pendingCount === 100);
      await broker.close();
      broker = await Broker.open({ dataDir, actors: 1 });
      // The checkpoint said the first 100 are done: only the later 100 are taken up again
      // (some may be due already by now, on a slow machine).
      const stats = broker.delayStats()!;
      expect(stats.lowOffset).toBe(100);
      expect(stats.pendingCount + stats.inFlightCount + stats.deliveredCount).toBe(100);
      await delayServiceDrained(broker);
      await broker.close();
      broker = undefined;
      const stored = readDelivered(dataDir, 'later', 2);
      expect(stored.map((r) => r.value).sort()).toEqual(
        [...early.map((_, i) => `e${i}`), ...late.map((_, i) => `l${i}`)].sort());
      for (const record of stored) {
        expect(record.timestamp).toBeGreaterThanOrEqual(Number(record.headers['mamba.delay.due']));
      }
    });
});

describe('delayed delivery memory', () => {
  it('keeps 100 k pending messages in compact slots, not messages', async () => {
    broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    await broker.createTopic('far', { partitions: 2 });
    const producer = broker.producer({ acks: 1 });
    const value = new Uint8Array(200);
    for (let sent = 0; sent < 100_000; sent += 10_000) {
      await producer.sendBatch('far', Array.from({ length: 10_000 },
        (_, i) => ({ key: `k${sent + i}`, value, delayMs: 3_600_000 })));
    }
    await waitFor(() => broker!.delayStats()!.pendingCount === 100_000, 60_000);
    const stats = broker.delayStats()!;
    // 20 bytes a slot, grown by doubling (131072 slots), plus the buckets; the 200-byte values
    // (20 MB) stay in the delayed log.
    expect(stats.wheelMemoryBytes).toBeLessThanOrEqual(131_072 * 20 + 8 * 1024);
    expect(stats.deliveredSetMemoryBytes).toBeLessThanOrEqual(1024);
    expect(stats).toMatchObject({ inFlightCount: 0, deliveredCount: 0, lowOffset: 0 });
  });
});
