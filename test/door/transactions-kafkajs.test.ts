/**
 * kafkajs 2.2.4's transactions against a real `broker.listen()`: `producer.transaction()` with
 * sends to several topics and partitions, commit and abort, seen by kafkajs consumers of both
 * isolation levels; `sendOffsets` committing a group's offsets only with the transaction; a
 * second producer with the same transactional id fencing the first; kcat reading
 * read_committed stopping at the last stable offset while a transaction is open; and
 * @platformatic/kafka's `beginTransaction()` (flexible versions: AddPartitionsToTxn v3, …).
 *
 * "Caught up" is never a sleep: after the transaction ends, a plain (non-transactional)
 * sentinel is sent to every partition, and a consumer is done once it has seen them all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer, type EachMessagePayload, type Producer } from 'kafkajs';
import { Producer as PlatformaticProducer, stringSerializers } from '@platformatic/kafka';
import { Broker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { kcat, requireKcat } from './kcat.js';

let broker: Broker | undefined;
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await broker?.close();
  broker = undefined;
});

const SENTINEL = 'sentinel';

let bootstrap = '';

async function open() {
  broker = await Broker.open({ dataDir: tempDir(), actors: 2 });
  await broker.createTopic('orders', { partitions: 2 });
  await broker.createTopic('audit', { partitions: 1 });
  const door = await broker.listen({ host: '127.0.0.1', port: 0 });
  const { host, port } = door.address();
  bootstrap = `${host}:${port}`;
  return new Kafka({
    clientId: 'txn-test', brokers: [bootstrap], logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 50 },
  });
}

async function transactionalProducer(kafka: Kafka, transactionalId: string): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 30_000,
  });
  await producer.connect();
  closers.push(() => producer.disconnect());
  return producer;
}

const partitions = [['orders', 0], ['orders', 1], ['audit', 0]] as const;

/** Sends one value to each of the three partitions inside `transaction`. */
async function sendEverywhere(transaction: Awaited<ReturnType<Producer['transaction']>>,
  tag: string): Promise<void> {
  await transaction.send({ topic: 'orders', messages: [
    { value: `${tag}-o0`, partition: 0 }, { value: `${tag}-o1`, partition: 1 },
  ] });
  await transaction.send({ topic: 'audit', messages: [{ value: `${tag}-a0`, partition: 0 }] });
}

async function sendSentinels(kafka: Kafka): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  for (const [topic, partition] of partitions) {
    await producer.send({ topic, messages: [{ value: SENTINEL, partition }] });
  }
  await producer.disconnect();
}

/**
 * Everything a fresh group's consumer of `isolation` reads from the beginning until it has
 * seen the sentinel of every partition: the values, sentinels left out, in arrival order.
 */
async function consumeUntilSentinels(kafka: Kafka, readUncommitted: boolean): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({
    groupId: `reader-${Math.random()}`, readUncommitted, sessionTimeout: 10_000,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  closers.push(() => consumer.disconnect());
  await consumer.subscribe({ topics: ['orders', 'audit'], fromBeginning: true });
  const values: string[] = [];
  const sentinels = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    consumer.run({
      eachMessage: async ({ topic, partition, message }: EachMessagePayload) => {
        const value = message.value?.toString() ?? '<null>';
        if (value === SENTINEL) sentinels.add(`${topic}-${partition}`);
        else values.push(value);
        if (sentinels.size === partitions.length) resolve();
      },
    }).catch(reject);
  });
  await consumer.stop();
  return values.sort();
}

describe('kafkajs transactions through the door', () => {
  it('commit: a read_committed consumer sees every record of the transaction', async () => {
    const kafka = await open();
    const producer = await transactionalProducer(kafka, 'committer');
    const transaction = await producer.transaction();
    await sendEverywhere(transaction, 'c');
    await transaction.commit();
    await sendSentinels(kafka);
    expect(await consumeUntilSentinels(kafka, false)).toEqual(['c-a0', 'c-o0', 'c-o1']);
  });

  it('abort: read_committed sees none; read_uncommitted sees them, never a marker', async () => {
    const kafka = await open();
    const producer = await transactionalProducer(kafka, 'aborter');
    const aborted = await producer.transaction();
    await sendEverywhere(aborted, 'x');
    await aborted.abort();
    const committed = await producer.transaction();
    await sendEverywhere(committed, 'c');
    await committed.commit();
    await sendSentinels(kafka);
    expect(await consumeUntilSentinels(kafka, false)).toEqual(['c-a0', 'c-o0', 'c-o1']);
    // Markers take offsets but are control batches: kafkajs skips them, so an offset they
    // hold never shows up as a message (a marker sent as a plain batch would, with a
    // 6-byte value).
    expect(await consumeUntilSentinels(kafka, true))
      .toEqual(['c-a0', 'c-o0', 'c-o1', 'x-a0', 'x-o0', 'x-o1']);
    expect((await broker!.describeTopic('audit')).partitions[0].highWatermark)
      .toBe(5); // x-a0, abort marker, c-a0, commit marker, sentinel
  });

  it('sendOffsets commits the group\'s offsets only when the transaction commits', async () => {
    const kafka = await open();
    const admin = kafka.admin();
    await admin.connect();
    closers.push(() => admin.disconnect());
    const committed = async () =>
      (await admin.fetchOffsets({ groupId: 'etl', topics: ['orders'] }))[0]
        .partitions.map((p) => [p.partition, p.offset]).sort();
    const producer = await transactionalProducer(kafka, 'etl-step');
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'audit', messages: [{ value: 'out-1' }] });
    await aborted.sendOffsets({ consumerGroupId: 'etl', topics: [
      { topic: 'orders', partitions: [{ partition: 0, offset: '5' }] },
    ] });
    await aborted.abort();
    expect(await committed()).toEqual([[0, '-1'], [1, '-1']]);
    const done = await producer.transaction();
    await done.send({ topic: 'audit', messages: [{ value: 'out-2' }] });
    await done.sendOffsets({ consumerGroupId: 'etl', topics: [
      { topic: 'orders',
        partitions: [{ partition: 0, offset: '7' }, { partition: 1, offset: '3' }] },
    ] });
    expect(await committed()).toEqual([[0, '-1'], [1, '-1']]);
    await done.commit();
    expect(await committed()).toEqual([[0, '7'], [1, '3']]);
  });

  it('a second producer with the same transactional id fences the first', async () => {
    const kafka = await open();
    const first = await transactionalProducer(kafka, 'worker');
    const open1 = await first.transaction();
    await open1.send({ topic: 'orders', messages: [{ value: 'zombie', partition: 0 }] });
    // kafkajs sends InitProducerId with the transactional id on a producer's first
    // transaction(): the second's bumps the epoch and aborts the first's open transaction.
    const second = await transactionalProducer(kafka, 'worker');
    const live = await second.transaction();
    const error = await open1.commit().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED'])
      .toContain((error as { type?: string }).type);
    await live.send({ topic: 'orders', messages: [{ value: 'live', partition: 1 }] });
    await live.commit();
    await sendSentinels(kafka);
    expect(await consumeUntilSentinels(kafka, false)).toEqual(['live']);
  });

  it('kcat read_committed stops at the last stable offset while a transaction is open',
    async () => {
      requireKcat();
      const kafka = await open();
      const plain = kafka.producer();
      await plain.connect();
      closers.push(() => plain.disconnect());
      await plain.send({ topic: 'audit', messages: [{ value: 'before' }] });
      const producer = await transactionalProducer(kafka, 'slow');
      const transaction = await producer.transaction();
      await transaction.send({ topic: 'audit', messages: [{ value: 'pending' }] });
      // After the open transaction's first offset: past the LSO until it ends.
      await plain.send({ topic: 'audit', messages: [{ value: 'after' }] });
      const read = async (isolation: string) => (await kcat(['-b', bootstrap, '-C', '-t',
        'audit', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o:%s\\n',
        '-X', `isolation.level=${isolation}`])).stdout.trim().split('\n');
      expect(await read('read_committed')).toEqual(['0:before']);
      expect(await read('read_uncommitted')).toEqual(['0:before', '1:pending', '2:after']);
      await transaction.commit();
      // The marker holds offset 3 and is never shown.
      expect(await read('read_committed')).toEqual(['0:before', '1:pending', '2:after']);
    });

  it('@platformatic/kafka: beginTransaction, send to two topics, commit; abort', async () => {
    const kafka = await open();
    const producer = new PlatformaticProducer({
      clientId: 'pk-txn', bootstrapBrokers: [bootstrap], serializers: stringSerializers,
      idempotent: true, transactionalId: 'pk',
    });
    closers.push(() => producer.close());
    const committed = await producer.beginTransaction();
    await committed.send({ messages: [
      { topic: 'orders', value: 'p-o1', partition: 1 }, { topic: 'audit', value: 'p-a0' },
    ] });
    await committed.commit();
    const aborted = await producer.beginTransaction();
    await aborted.send({ messages: [{ topic: 'orders', value: 'p-x', partition: 0 }] });
    await aborted.abort();
    await sendSentinels(kafka);
    expect(await consumeUntilSentinels(kafka, false)).toEqual(['p-a0', 'p-o1']);
    expect(await consumeUntilSentinels(kafka, true)).toEqual(['p-a0', 'p-o1', 'p-x']);
  });
});
