/**
 * Consumer retries with exponential backoff and jitter (`run({ retry })`), dead letters
 * (`deadLetter`) and retry topics (`retry: { mode: 'topics' }`), issue 13.
 */
import { describe, expect, it } from 'vitest';
import { MambaError, type Broker, type ConsumedMessage } from '../../src/index.js';
import { backoffDelayMs } from '../../src/client/retry-policy.js';
import { scanPartition } from '../../src/client/partition-scan.js';
import { openBroker } from '../consumer/helpers.js';

async function brokerWith(topic: string, values: string[], partitions = 1): Promise<Broker> {
  const broker = await openBroker();
  await broker.createTopic(topic, { partitions });
  const producer = broker.producer({ acks: 1 });
  await producer.sendBatch(topic, values.map((value, i) => ({ value, key: `k${i}`,
    partition: i % partitions, headers: { n: String(i) } })));
  await producer.close();
  return broker;
}

/** Every record of a topic's partition, read straight from its files. */
function recordsOf(broker: Broker, topic: string, partition = 0): ConsumedMessage[] {
  const internal = broker as unknown as { controlBlock: never; directory: never };
  const out: ConsumedMessage[] = [];
  scanPartition({ controlBlock: internal.controlBlock, directory: internal.directory,
    dataDir: broker.dataDir }, topic, partition, 0, (m) => { out.push(m); });
  return out;
}

function header(m: ConsumedMessage, name: string): string | undefined {
  return m.headers[name]?.toString('utf8');
}

describe('backoff', () => {
  it('grows by the multiplier up to the cap, within the jitter', () => {
    const policy = { retries: 5, initialRetryTimeMs: 100, maxRetryTimeMs: 1000, multiplier: 3,
      jitter: 0.5 };
    expect([1, 2, 3, 4].map((n) => backoffDelayMs({ ...policy, jitter: 0 }, n)))
      .toEqual([100, 300, 900, 1000]);
    expect(backoffDelayMs(policy, 2, () => 0)).toBe(150);
    expect(backoffDelayMs(policy, 2, () => 1)).toBe(450);
  });

  it('rejects bad retry options at the edge', async () => {
    const broker = await brokerWith('t', ['a']);
    try {
      const consumer = broker.consumer({ groupId: 'g' });
      await consumer.subscribe('t');
      const bad = [
        { retry: { retries: 2 }, maxAttempts: 2 },
        { retry: { retires: 2 } },
        { retry: { multiplier: 0.5 } },
        { retry: { mode: 'topics', delaysMs: [10] } },
        { retry: { mode: 'topics', delaysMs: [] }, deadLetter: { topic: 'd' } },
        { deadLetter: { topic: '' } },
      ];
      for (const options of bad) {
        const error = await consumer.run({ eachMessage: () => undefined, ...options } as never)
          .then(() => undefined, (e: unknown) => e);
        expect(MambaError.is(error, 'INVALID_CONFIG')).toBe(true);
      }
      await consumer.close();
      // A dead letter's step commits past the record: it needs a group.
      const groupless = broker.consumer();
      await groupless.subscribe('t');
      const error = await groupless.run({ eachMessage: () => undefined,
        deadLetter: { topic: 'dlq' } }).then(() => undefined, (e: unknown) => e);
      expect(MambaError.is(error, 'INVALID_CONFIG')).toBe(true);
      expect((error as MambaError).message).toContain('options.groupId');
      await groupless.close();
    } finally {
      await broker.close();
    }
  });
});

describe('blocking retries', () => {
  it('retries a record in place, the partition waiting, then goes on', async () => {
    const broker = await brokerWith('t', ['a', 'b', 'c']);
    try {
      const consumer = broker.consumer({ groupId: 'g', fromBeginning: true });
      await consumer.subscribe('t');
      const calls: number[] = [];
      let failures = 0;
      const running = consumer.run({
        retry: { retries: 3, initialRetryTimeMs: 5, multiplier: 2, jitter: 0.2 },
        eachMessage: async (m) => {
          calls.push(m.offset);
          if (m.offset === 1 && failures++ < 2) throw new Error('not yet');
          if (m.offset === 2) void consumer.close();
        },
      });
      await running;
      await consumer.close();
      expect(calls).toEqual([0, 1, 1, 1, 2]);
      expect(broker.committedOffset('g', 't', 0)).toBe(3);
    } finally {
      await broker.close();
    }
  });

  it('keeps heartbeating while a retry waits longer than the session timeout', async () => {
    const broker = await brokerWith('t', ['a', 'b']);
    try {
      const consumer = broker.consumer({ groupId: 'g', fromBeginning: true,
        sessionTimeoutMs: 300, heartbeatIntervalMs: 50 });
      const revoked: string[] = [];
      consumer.on('revoked', (_partitions, reason) => revoked.push(reason));
      await consumer.subscribe('t');
      const calls: number[] = [];
      await consumer.run({
        retry: { retries: 1, initialRetryTimeMs: 900, jitter: 0 },
        eachMessage: (m) => {
          calls.push(m.offset);
          if (m.offset === 0 && calls.length === 1) throw new Error('slow retry');
          if (m.offset === 1) void consumer.close();
        },
      });
      await consumer.close();
      expect(calls).toEqual([0, 0, 1]);
      // The member was never expelled for a missed session, which would show as 'lost'.
      expect(revoked).not.toContain('lost');
      expect(broker.committedOffset('g', 't', 0)).toBe(2);
    } finally {
      await broker.close();
    }
  });
});

describe('dead letters', () => {
  it('moves a record whose retries ran out to the DLQ with its story, and goes on',
    async () => {
      const broker = await brokerWith('orders', ['ok0', 'bad', 'ok2'], 1);
      try {
        await broker.createTopic('compensations');
        const consumer = broker.consumer({ groupId: 'billing', fromBeginning: true });
        await consumer.subscribe('orders');
        const handled: string[] = [];
        const hooked: string[] = [];
        await consumer.run({
          retry: { retries: 2, initialRetryTimeMs: 1 },
          deadLetter: {
            topic: 'orders.DLQ',
            onDeadLetter: async (m, error, send) => {
              hooked.push(`${m.offset}:${(error as Error).message}`);
              await send('compensations', { value: `undo-${m.offset}` });
            },
          },
          eachMessage: (m) => {
            const value = m.value!.toString();
            if (value === 'bad') throw new TypeError('cannot bill');
            handled.push(value);
            if (value === 'ok2') void consumer.close();
          },
        });
        await consumer.close();
        expect(handled).toEqual(['ok0', 'ok2']);
        expect(hooked).toEqual(['1:cannot bill']);
        expect(broker.committedOffset('billing', 'orders', 0)).toBe(3);
        const letters = recordsOf(broker, 'orders.DLQ');
        expect(letters).toHaveLength(1);
        const letter = letters[0];
        expect(letter.value!.toString()).toBe('bad');
        expect(letter.key!.toString()).toBe('k1');
        expect(header(letter, 'n')).toBe('1');
        expect(header(letter, 'mamba.dlq.original.topic')).toBe('orders');
        expect(header(letter, 'mamba.dlq.original.partition')).toBe('0');
        expect(header(letter, 'mamba.dlq.original.offset')).toBe('1');
        expect(Number(header(letter, 'mamba.dlq.original.timestamp'))).toBeGreaterThan(0);
        expect(header(letter, 'mamba.dlq.group')).toBe('billing');
        expect(header(letter, 'mamba.dlq.error.class')).toBe('TypeError');
        expect(header(letter, 'mamba.dlq.error.message')).toBe('cannot bill');
        expect(header(letter, 'mamba.dlq.attempts')).toBe('3');
        const first = Number(header(letter, 'mamba.dlq.failure.first'));
        const last = Number(header(letter, 'mamba.dlq.failure.last'));
        expect(last).toBeGreaterThanOrEqual(first);
        expect(recordsOf(broker, 'compensations').map((m) => m.value!.toString()))
          .toEqual(['undo-1']);
      } finally {
        await broker.close();
      }
    });

  it('dead-letters only the failing records of an eachBatch batch', async () => {
    const broker = await brokerWith('orders', ['a', 'bad', 'c']);
    try {
      const consumer = broker.consumer({ groupId: 'g', fromBeginning: true });
      await consumer.subscribe('orders');
      const handled: string[] = [];
      await consumer.run({
        retry: { retries: 1, initialRetryTimeMs: 1 },
        deadLetter: { topic: 'dlq' },
        eachBatch: (batch) => {
          if (batch.messages.some((m) => m.value!.toString() === 'bad')) {
            throw new Error('bad batch');
          }
          for (const m of batch.messages) handled.push(m.value!.toString());
          if (handled.includes('c')) void consumer.close();
        },
      });
      await consumer.close();
      expect(handled).toEqual(['a', 'c']);
      expect(recordsOf(broker, 'dlq').map((m) => m.value!.toString())).toEqual(['bad']);
      expect(broker.committedOffset('g', 'orders', 0)).toBe(3);
    } finally {
      await broker.close();
    }
  });
});

describe('retry topics', () => {
  it('moves a failed record through the retry topics while the partition goes on', async () => {
    const broker = await brokerWith('orders', ['a', 'bad', 'c'], 2);
    try {
      const consumer = broker.consumer({ groupId: 'g', fromBeginning: true });
      await consumer.subscribe('orders');
      const seen: Array<{ topic: string; value: string; atMs: number }> = [];
      let bad = 0;
      const startMs = Date.now();
      await consumer.run({
        retry: { mode: 'topics', delaysMs: [100, 200] },
        deadLetter: { topic: 'orders.DLQ' },
        partitionsConsumedConcurrently: 2,
        eachMessage: (m) => {
          const value = m.value!.toString();
          seen.push({ topic: m.topic, value, atMs: Date.now() - startMs });
          if (value === 'bad' && ++bad <= 3) {
            if (bad === 3) setImmediate(() => void consumer.close());
            throw new Error(`fail ${bad}`);
          }
        },
      });
      const badSeen = seen.filter((s) => s.value === 'bad');
      expect(badSeen.map((s) => s.topic)).toEqual(['orders', 'orders.retry.1',
        'orders.retry.2']);
      // The other records were handled before the retries were due.
      const others = seen.filter((s) => s.value !== 'bad');
      expect(others.map((s) => s.value).sort()).toEqual(['a', 'c']);
      expect(badSeen[1].atMs - badSeen[0].atMs).toBeGreaterThanOrEqual(90);
      expect(badSeen[2].atMs - badSeen[1].atMs).toBeGreaterThanOrEqual(190);
      await consumer.close();
      const retried = recordsOf(broker, 'orders.retry.2', 1);
      expect(retried).toHaveLength(1);
      expect(header(retried[0], 'mamba.retry.original.topic')).toBe('orders');
      expect(header(retried[0], 'mamba.retry.attempts')).toBe('2');
      const letters = recordsOf(broker, 'orders.DLQ', 1);
      expect(letters).toHaveLength(1);
      expect(header(letters[0], 'mamba.dlq.original.offset')).toBe('0');
      expect(header(letters[0], 'mamba.dlq.original.partition')).toBe('1');
      expect(header(letters[0], 'mamba.dlq.attempts')).toBe('3');
    } finally {
      await broker.close();
    }
  });
});
