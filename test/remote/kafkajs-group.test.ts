/**
 * A `Broker.connect()` consumer and a kafkajs consumer in one group over the door: the
 * ConsumerProtocol bytes each writes are read by the other, the four partitions are split two
 * and two, and each record produced is read by exactly one of them.
 */
import { afterEach, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer as KafkajsConsumer } from 'kafkajs';
import { Broker, type RemoteBroker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const closers: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('shares a group with a kafkajs member, two partitions each, each record once', async () => {
  const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
  closers.push(() => broker.close());
  const door = await broker.listen({ port: 0 });
  const bootstrap = `127.0.0.1:${door.address().port}`;
  const topic = 'shared';
  const groupId = 'mixed';
  await broker.createTopic(topic, { partitions: 4 });

  const kafka = new Kafka({ clientId: 'kafkajs-member', brokers: [bootstrap],
    logLevel: logLevel.NOTHING });
  const kafkajs: KafkajsConsumer = kafka.consumer({ groupId, sessionTimeout: 10_000,
    heartbeatInterval: 200, rebalanceTimeout: 10_000 });
  closers.push(() => kafkajs.disconnect());
  let kafkajsPartitions: number[] = [];
  kafkajs.on(kafkajs.events.GROUP_JOIN, (event) => {
    kafkajsPartitions = event.payload.memberAssignment[topic] ?? [];
  });
  const byKafkajs: string[] = [];
  await kafkajs.connect();
  await kafkajs.subscribe({ topic, fromBeginning: true });
  await kafkajs.run({ eachMessage: async ({ message }) => {
    byKafkajs.push(message.value!.toString());
  } });
  await waitFor(() => kafkajsPartitions.length === 4);

  const remote: RemoteBroker = await Broker.connect({ brokers: [bootstrap] });
  closers.push(() => remote.close());
  const member = remote.consumer({ groupId, fromBeginning: true, heartbeatIntervalMs: 200 });
  const byRemote: string[] = [];
  await member.subscribe(topic);
  void member.run({ eachMessage: (m) => { byRemote.push(m.value!.toString()); } });
  await waitFor(() => member.assignment().length === 2 && kafkajsPartitions.length === 2);
  const owned = [...member.assignment().map((tp) => tp.partition), ...kafkajsPartitions];
  expect(owned.sort()).toEqual([0, 1, 2, 3]);

  const producer = broker.producer();
  const values = Array.from({ length: 40 }, (_, i) => `r${i}`);
  await producer.sendBatch(topic, values.map((value, i) => ({ value, partition: i % 4 })));
  await waitFor(() => byKafkajs.length + byRemote.length >= values.length);
  expect([...byKafkajs, ...byRemote].sort()).toEqual([...values].sort());
  expect(byRemote).toHaveLength(20);
});
