/**
 * @platformatic/kafka 1.35's consumer group, which speaks only flexible versions (JoinGroup v9,
 * SyncGroup v5, Heartbeat v4, OffsetCommit and OffsetFetch v9, ListGroups v5, DescribeGroups
 * v5, DeleteGroups v2): it joins, reads, commits, is listed and described, leaves, and its group
 * is deleted.
 */
import { afterEach, expect, it } from 'vitest';
import {
  Admin, Consumer, Producer, stringDeserializers, stringSerializers,
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

it('joins, commits, is described and deleted with flexible versions only', async () => {
  broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
  await broker.createTopic('pk', { partitions: 2 });
  const { port } = (await broker.listen({ port: 0 })).address();
  const bootstrapBrokers = [`127.0.0.1:${port}`];
  const producer = new Producer({
    clientId: 'p', bootstrapBrokers, serializers: stringSerializers,
  });
  closers.push(() => producer.close());
  await producer.send({ messages: [
    { topic: 'pk', value: 'x', partition: 0 }, { topic: 'pk', value: 'y', partition: 1 },
  ] });

  const consumer = new Consumer({ clientId: 'c', groupId: 'pkg', bootstrapBrokers,
    deserializers: stringDeserializers, sessionTimeout: 6000, heartbeatInterval: 500 });
  const stream = await consumer.consume({ topics: ['pk'], mode: 'earliest', autocommit: false });
  const values: string[] = [];
  for await (const message of stream) {
    values.push(message.value);
    await message.commit();
    if (values.length === 2) break;
  }
  expect(values.sort()).toEqual(['x', 'y']);
  expect([broker.committedOffset('pkg', 'pk', 0), broker.committedOffset('pkg', 'pk', 1)])
    .toEqual([1, 1]);

  const admin = new Admin({ clientId: 'a', bootstrapBrokers });
  closers.push(() => admin.close());
  const listed = [...(await admin.listGroups()).values()];
  expect(listed).toContainEqual(expect.objectContaining({ id: 'pkg', state: 'STABLE' }));
  const [described] = [...(await admin.describeGroups({ groups: ['pkg'] })).values()];
  expect(described.members.size).toBe(1);
  await stream.close();
  await consumer.close();
  const [left] = [...(await admin.describeGroups({ groups: ['pkg'] })).values()];
  expect(left.state).toBe('EMPTY');
  await admin.deleteGroups({ groups: ['pkg'] });
  expect(broker.committedOffset('pkg', 'pk', 0)).toBeUndefined();
}, 60_000);
