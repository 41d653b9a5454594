/**
 * An embedded consumer and a kafkajs consumer in one group. The embedded member (assignor
 * `round-robin`) joins with Kafka's ConsumerProtocol, answering to kafkajs's RoundRobinAssigner
 * too, so each can be the leader: first the embedded member leads and assigns to kafkajs, then,
 * once it has left, kafkajs leads and assigns to a new embedded member. Every record is read
 * once by the member that owns its partition, and the offsets they commit are one store.
 */
import { afterEach, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { Broker, Consumer } from '../../src/index.js';
import { openBroker, produce } from '../consumer/helpers.js';
import { waitFor } from './wait-for.js';

let broker: Broker | undefined;

afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

interface Side {
  partitions: number[];
  values: string[];
  isLeader?: boolean;
}

function embedded(b: Broker): { consumer: Consumer; side: Side; running: Promise<void> } {
  const consumer = b.consumer({ groupId: 'mixed', assignor: 'round-robin', fromBeginning: true,
    sessionTimeoutMs: 6000, heartbeatIntervalMs: 200 });
  const side: Side = { partitions: [], values: [] };
  const running = consumer.subscribe('mixed').then(() => consumer.run({
    eachMessage: (m) => {
      side.values.push(new TextDecoder().decode(m.value!));
    },
  }));
  return { consumer, side, running };
}

it('shares a group between an embedded and a kafkajs consumer, either one leading', async () => {
  broker = await openBroker();
  await broker.createTopic('mixed', { partitions: 4 });
  const { port } = (await broker.listen({ host: '127.0.0.1', port: 0 })).address();
  await produce(broker, 'mixed', 4, 20, 'a');
  const first = embedded(broker);
  await waitFor(() => first.consumer.assignment().length === 4, 20_000, 'the first alone');

  const kafka = new Kafka({ clientId: 'kjs', brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
  const remote = kafka.consumer({ groupId: 'mixed', sessionTimeout: 6000, heartbeatInterval: 200 });
  const kjs: Side = { partitions: [], values: [] };
  remote.on(remote.events.GROUP_JOIN, ({ payload }) => {
    kjs.partitions = payload.memberAssignment.mixed ?? [];
    kjs.isLeader = payload.isLeader;
  });
  await remote.connect();
  await remote.subscribe({ topic: 'mixed', fromBeginning: true });
  await remote.run({ eachMessage: async ({ message }) => {
    kjs.values.push(message.value!.toString());
  } });
  // The embedded member led the group; kafkajs got its half from it.
  await waitFor(() => kjs.partitions.length === 2 && first.consumer.assignment().length === 2,
    30_000, 'a split between the two');
  expect(kjs.isLeader).toBe(false);
  const mine = first.consumer.assignment().map((tp) => tp.partition);
  expect([...mine, ...kjs.partitions].sort()).toEqual([0, 1, 2, 3]);
  await produce(broker, 'mixed', 4, 20, 'b');
  const owner = (v: string) => Number(v.slice(1)) % 4;
  await waitFor(() => kjs.values.filter((v) => v.startsWith('b')).length === 10, 30_000,
    'kafkajs reading its half');
  expect(kjs.values.filter((v) => v.startsWith('b')).every((v) =>
    kjs.partitions.includes(owner(v)))).toBe(true);

  await first.consumer.close();
  await first.running;
  await waitFor(() => kjs.partitions.length === 4, 30_000, 'kafkajs alone');
  // Now kafkajs leads, and assigns to a new embedded member.
  const second = embedded(broker);
  await waitFor(() => kjs.partitions.length === 2 && second.consumer.assignment().length === 2,
    30_000, 'a split led by kafkajs');
  expect(kjs.isLeader).toBe(true);
  await produce(broker, 'mixed', 4, 20, 'c');
  const theirs = second.consumer.assignment().map((tp) => tp.partition);
  await waitFor(() => second.side.values.filter((v) => v.startsWith('c')).length === 10, 30_000,
    'the embedded member reading its half');
  expect(second.side.values.filter((v) => v.startsWith('c')).every((v) =>
    theirs.includes(owner(v)))).toBe(true);
  // Nothing is skipped: every record of every round is read by one side or the other (those
  // a member had not reached when it left are read by the member that took its partitions).
  const all = () => new Set([...first.side.values, ...second.side.values, ...kjs.values]);
  const expected = ['a', 'b', 'c'].flatMap((label) =>
    Array.from({ length: 20 }, (_, i) => `${label}${i}`));
  await waitFor(() => expected.every((v) => all().has(v)), 30_000, 'every record read');
  await remote.disconnect();
  await second.consumer.close();
  await second.running;
}, 120_000);

it('keeps the metadata an embedded consumer commits, for a Kafka admin to read', async () => {
  broker = await openBroker();
  await broker.createTopic('noted', { partitions: 2 });
  const { port } = (await broker.listen({ host: '127.0.0.1', port: 0 })).address();
  await produce(broker, 'noted', 2, 6, 'n');
  const consumer = broker.consumer({ groupId: 'noting', fromBeginning: true });
  await consumer.subscribe('noted');
  await consumer.commit([{ topic: 'noted', partition: 0, offset: 2, metadata: 'batch 41' },
    { topic: 'noted', partition: 1, offset: 1 }]);
  await expect(consumer.commit([{ topic: 'noted', partition: 0, offset: 3,
    metadata: 'm'.repeat(5000) }])).rejects.toMatchObject({ code: 'OFFSET_METADATA_TOO_LARGE' });
  await consumer.close();

  const kafka = new Kafka({ clientId: 'admin', brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const [offsets] = await admin.fetchOffsets({ groupId: 'noting', topics: ['noted'] });
  await admin.disconnect();
  expect(offsets.partitions.map((p) => [p.partition, p.offset, p.metadata]).sort())
    .toEqual([[0, '2', 'batch 41'], [1, '1', null]]);
}, 60_000);
