/**
 * @platformatic/kafka 1.35, a client that speaks only flexible versions (compact encodings,
 * tagged fields, request header v2, Metadata v12, Produce v11, Fetch v17 by topic ID,
 * CreateTopics v7): admin, an idempotent producer, and a fetch of what it wrote.
 */
import { afterEach, expect, it } from 'vitest';
import {
  Admin, Connection, Producer, fetchV17, stringSerializers,
} from '@platformatic/kafka';
import { Broker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

let broker: Broker | undefined;
const closers: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await broker?.close();
  broker = undefined;
});

it('creates a topic, produces idempotently and fetches by topic ID', async () => {
  broker = await Broker.open({ dataDir: tempDir(), actors: 2 });
  const { port } = (await broker.listen({ port: 0 })).address();
  const bootstrapBrokers = [`127.0.0.1:${port}`];

  const admin = new Admin({ clientId: 'pk-admin', bootstrapBrokers });
  closers.push(() => admin.close());
  await admin.createTopics({ topics: ['flex'], partitions: 2, replicas: 1 });
  expect(await admin.listTopics()).toContain('flex');
  const metadata = await admin.metadata({ topics: ['flex'] });
  const topic = metadata.topics.get('flex')!;
  expect(topic.partitionsCount).toBe(2);
  expect(topic.id).toMatch(/^[0-9a-f-]{36}$/);

  const producer = new Producer({
    clientId: 'pk-producer', bootstrapBrokers, serializers: stringSerializers, idempotent: true,
  });
  closers.push(() => producer.close());
  const result = await producer.send({
    messages: [
      { topic: 'flex', key: 'a', value: 'first', partition: 1, headers: new Map([['h', 'v']]) },
      { topic: 'flex', key: 'b', value: 'second', partition: 1 },
    ],
    acks: -1,
  });
  expect(result.offsets?.map((o) => Number(o.offset))).toEqual([0]);

  const connection = new Connection('pk-fetch');
  closers.push(() => connection.close());
  await connection.connect('127.0.0.1', port);
  const fetched = await fetchV17.api.async(connection, 100, 1, 1 << 20, 0, 0, -1, [{
    topicId: topic.id,
    partitions: [{ partition: 1, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1,
      partitionMaxBytes: 1 << 20 }],
  }], [], '');
  const partition = fetched.responses[0].partitions[0];
  expect(partition.errorCode).toBe(0);
  expect(partition.highWatermark).toBe(2n);
  const records = partition.records!.flatMap((batch) => batch.records.map((record) => ({
    offset: Number(batch.firstOffset) + record.offsetDelta,
    key: record.key?.toString(), value: record.value?.toString(),
  })));
  expect(records).toEqual([
    { offset: 0, key: 'a', value: 'first' }, { offset: 1, key: 'b', value: 'second' },
  ]);
});
