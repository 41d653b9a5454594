/**
 * One contract, two brokers: every case runs against the embedded broker (`Broker.open`) and
 * against `Broker.connect()` to a `mamba serve` child process. The remote calls that must ask
 * the broker (`listTopics`, `describeTopic`, `seek`, `lag`) return promises there; the cases
 * `await` every call, which works for both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Broker, MambaError, type ConsumedMessage, type RemoteBroker,
} from '../../src/index.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killServed, serve, type Served } from '../remote/serve-process.js';

type AnyBroker = Broker | RemoteBroker;
type AnyConsumer = ReturnType<AnyBroker['consumer']>;

interface Target {
  name: string;
  open(): Promise<AnyBroker>;
  close(): Promise<void>;
}

function embedded(): Target {
  let broker: Broker | undefined;
  return {
    name: 'Broker.open (embedded)',
    open: async () => broker = await Broker.open({ dataDir: suiteDir(), actors: 1 }),
    close: async () => { await broker?.close(); },
  };
}

function remote(): Target {
  let served: Served | undefined;
  let broker: RemoteBroker | undefined;
  return {
    name: 'Broker.connect (mamba serve)',
    open: async () => {
      served = await serve(suiteDir());
      return broker = await Broker.connect({ brokers: [`127.0.0.1:${served.port}`],
        clientId: 'contract' });
    },
    close: async () => {
      await broker?.close();
      await served?.stop();
      killServed();
    },
  };
}

/** A data directory for the whole describe block (tempDir's go after each test). */
function suiteDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-contract-'));
  dirs.push(dir);
  return dir;
}
const dirs: string[] = [];

let topicCount = 0;
function topicName(): string {
  return `contract-${process.pid}-${++topicCount}`;
}

/** Reads `count` messages with the iterator, bounded in time by the test timeout. */
async function take(consumer: AnyConsumer, count: number): Promise<ConsumedMessage[]> {
  const out: ConsumedMessage[] = [];
  if (count === 0) return out;
  for await (const message of consumer) {
    out.push(message);
    if (out.length === count) break;
  }
  return out;
}

async function expectCode(promise: unknown, code: string): Promise<void> {
  const error = await Promise.resolve().then(() => promise).then(() => undefined,
    (e: unknown) => e);
  expect(error, `expected ${code}`).toBeInstanceOf(MambaError);
  expect((error as MambaError).code).toBe(code);
}

function thrown(call: () => unknown): Promise<unknown> {
  return Promise.resolve().then(call);
}

describe.each([embedded(), remote()])('$name', (target) => {
  let broker: AnyBroker;

  beforeAll(async () => { broker = await target.open(); });
  afterAll(async () => {
    await target.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([0, 1, 'all'] as const)('produces with acks %s and consumes keys, values and headers',
    async (acks) => {
      const topic = topicName();
      await broker.createTopic(topic, { partitions: 1 });
      const producer = broker.producer({ acks });
      const results = await Promise.all([0, 1, 2].map((i) => producer.send(topic, {
        key: `k${i}`, value: `v${i}`, headers: { trace: `t${i}` },
      })));
      await producer.close();
      if (acks === 0) expect(results.map((r) => r.offset)).toEqual([-1, -1, -1]);
      else expect(results.map((r) => r.offset)).toEqual([0, 1, 2]);
      const consumer = broker.consumer({ fromBeginning: true });
      await consumer.subscribe(topic);
      const messages = await take(consumer, 3);
      await consumer.close();
      expect(messages.map((m) => [m.offset, m.key?.toString(), m.value?.toString(),
        m.headers.trace?.toString()])).toEqual([
        [0, 'k0', 'v0', 't0'], [1, 'k1', 'v1', 't1'], [2, 'k2', 'v2', 't2']]);
    });

  it('creates, lists, describes and deletes topics', async () => {
    const topic = topicName();
    await broker.createTopic(topic, { partitions: 3, retentionMs: 3_600_000 });
    expect(await broker.listTopics()).toContain(topic);
    const producer = broker.producer();
    await producer.sendBatch(topic, [{ value: 'a', partition: 1 }, { value: 'b', partition: 1 }]);
    await producer.close();
    const description = await broker.describeTopic(topic);
    expect(description.topic).toBe(topic);
    expect(description.config.partitions).toBe(3);
    expect(description.config.retentionMs).toBe(3_600_000);
    expect(description.partitions.map((p) => [p.partition, p.logStartOffset, p.highWatermark]))
      .toEqual([[0, 0, 0], [1, 0, 2], [2, 0, 0]]);
    await broker.deleteTopic(topic);
    expect(await broker.listTopics()).not.toContain(topic);
  });

  it('raises the same typed errors', async () => {
    const topic = topicName();
    await broker.createTopic(topic, { partitions: 1 });
    await expectCode(broker.createTopic(topic), 'TOPIC_EXISTS');
    await expectCode(thrown(() => broker.createTopic('bad name!')), 'INVALID_CONFIG');
    await expectCode(thrown(() => broker.createTopic(topicName(), { partitions: 0 })),
      'INVALID_CONFIG');
    await expectCode(thrown(() => broker.producer({ acks: 2 as 1 })), 'INVALID_CONFIG');
    await expectCode(thrown(() => broker.consumer({ groupd: 'x' } as object)), 'INVALID_CONFIG');
    const producer = broker.producer();
    await expectCode(thrown(() => producer.send('no-such-topic', { value: 'x' })),
      'UNKNOWN_TOPIC');
    await expectCode(thrown(() => producer.send(topic, { value: 'x', partition: 5 })),
      'INVALID_PARTITION');
    await producer.close();
    const consumer = broker.consumer();
    await expectCode(thrown(() => consumer.subscribe('no-such-topic')), 'UNKNOWN_TOPIC');
    await consumer.close();
    await expectCode(thrown(() => broker.deleteTopic('no-such-topic')), 'UNKNOWN_TOPIC');
  });

  it('seeks to an offset and to a timestamp', async () => {
    const topic = topicName();
    await broker.createTopic(topic, { partitions: 1 });
    const producer = broker.producer();
    const base = Date.now() - 100_000;
    await producer.sendBatch(topic, Array.from({ length: 10 }, (_, i) => ({
      value: `m${i}`, timestamp: base + i * 1000 })));
    await producer.close();
    const consumer = broker.consumer({ fromBeginning: true });
    await consumer.subscribe(topic);
    expect(await consumer.seek(topic, 0, 6)).toBe(6);
    expect((await take(consumer, 1))[0].offset).toBe(6);
    expect(await consumer.seek(topic, 0, { timestamp: base + 3000 })).toBe(3);
    expect((await take(consumer, 2)).map((m) => m.value?.toString())).toEqual(['m3', 'm4']);
    await expectCode(thrown(() => consumer.seek(topic, 0, -1)), 'INVALID_OFFSET');
    await expectCode(thrown(() => consumer.seek(topic, 3, 0)), 'INVALID_PARTITION');
    await consumer.close();
  });

  it('pauses and resumes partitions', async () => {
    const topic = topicName();
    await broker.createTopic(topic, { partitions: 2 });
    const producer = broker.producer();
    await producer.sendBatch(topic, [0, 1, 0, 1].map((partition, i) =>
      ({ value: `p${partition}-${i}`, partition })));
    await producer.close();
    const consumer = broker.consumer({ fromBeginning: true });
    await consumer.subscribe(topic);
    consumer.pause([{ topic, partitions: [0] }]);
    expect(consumer.paused()).toEqual([{ topic, partition: 0 }]);
    const first = await take(consumer, 2);
    expect(first.map((m) => m.partition)).toEqual([1, 1]);
    consumer.resume([{ topic }]);
    expect(consumer.paused()).toEqual([]);
    const rest = await take(consumer, 2);
    expect(rest.map((m) => [m.partition, m.value?.toString()])).toEqual([[0, 'p0-0'],
      [0, 'p0-2']]);
    await consumer.close();
  });

  it('commits processed offsets and reports lag; a new member resumes after them', async () => {
    const topic = topicName();
    const groupId = `g-${topic}`;
    await broker.createTopic(topic, { partitions: 1 });
    const producer = broker.producer();
    await producer.sendBatch(topic, Array.from({ length: 6 }, (_, i) => ({ value: `m${i}` })));
    await producer.close();
    const consumer = broker.consumer({ groupId, fromBeginning: true, autoCommit: false });
    await consumer.subscribe(topic);
    const read = await take(consumer, 4);
    expect(read.map((m) => m.offset)).toEqual([0, 1, 2, 3]);
    await consumer.commit([{ topic, partition: 0, offset: 4 }]);
    const lag = await consumer.lag();
    expect(lag.map((l) => [l.partition, l.highWatermark, l.committed, l.lag]))
      .toEqual([[0, 6, 4, 2]]);
    await expectCode(thrown(() => consumer.commit([{ topic, partition: 0, offset: 99 }])),
      'OFFSET_OUT_OF_RANGE');
    await consumer.close();
    const next = broker.consumer({ groupId, fromBeginning: true });
    await next.subscribe(topic);
    expect((await take(next, 2)).map((m) => m.offset)).toEqual([4, 5]);
    await next.close();
  });

  it('splits partitions between the two members of a group', async () => {
    const topic = topicName();
    const groupId = `g-${topic}`;
    await broker.createTopic(topic, { partitions: 4 });
    const options = { groupId, fromBeginning: true, assignor: 'range' as const,
      sessionTimeoutMs: 6_000, heartbeatIntervalMs: 200 };
    const first = broker.consumer(options);
    await first.subscribe(topic);
    expect(first.assignment()).toHaveLength(4);
    const second = broker.consumer(options);
    const revoked = new Promise<void>((resolve) => first.once('revoked', () => resolve()));
    const joining = second.subscribe(topic);
    // The first member learns of the rebalance from its heartbeat and joins again.
    await revoked;
    await joining;
    await waitFor(() => first.assignment().length + second.assignment().length === 4);
    const owned = [...first.assignment(), ...second.assignment()].map((tp) => tp.partition);
    expect(owned.sort()).toEqual([0, 1, 2, 3]);
    expect(first.assignment()).toHaveLength(2);
    await second.close();
    await first.close();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
