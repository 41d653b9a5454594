/**
 * A consumer follows a subscribed topic that is deleted and created again under the same name
 * (issue 17 item 2): it reads the new incarnation from its start, and `assignment()` shows the
 * new partitions; it never stalls silently.
 */
import { describe, expect, it } from 'vitest';
import type { ConsumedMessage, Consumer } from '../../src/index.js';
import { openBroker, text } from './helpers.js';
import { waitUntil } from './helpers.js';

async function oneRecordPerPartition(broker: Awaited<ReturnType<typeof openBroker>>,
  partitions: number, label: string): Promise<void> {
  const producer = broker.producer({ acks: 1 });
  await Promise.all(Array.from({ length: partitions }, (_, partition) =>
    producer.send('t', { partition, value: `${label}${partition}` })));
  await producer.close();
}

function collect(consumer: Consumer): { values: string[]; running: Promise<void> } {
  const values: string[] = [];
  const running = consumer.run({
    eachMessage: (m: ConsumedMessage) => { values.push(text(m.value)!); },
  });
  return { values, running };
}

describe.each([
  ['without a group', undefined],
  ['in a group', 'g'],
] as const)('a consumer %s whose topic is deleted and created again', (_name, groupId) => {
  it.each([2, 3])('reads the new incarnation with %i partitions from its start',
    async (newPartitions) => {
      const broker = await openBroker();
      try {
        await broker.createTopic('t', { partitions: 2 });
        const consumer = broker.consumer({ groupId, fromBeginning: true });
        await consumer.subscribe('t');
        const { values, running } = collect(consumer);
        await oneRecordPerPartition(broker, 2, 'old');
        await waitUntil(() => values.length === 2);
        await broker.deleteTopic('t');
        await broker.createTopic('t', { partitions: newPartitions });
        await oneRecordPerPartition(broker, newPartitions, 'new');
        await waitUntil(() => values.length === 2 + newPartitions);
        expect(values.slice(2).sort()).toEqual(
          Array.from({ length: newPartitions }, (_, p) => `new${p}`));
        await waitUntil(() => consumer.assignment().length === newPartitions);
        expect(consumer.assignment().map((tp) => tp.partition).sort()).toEqual(
          Array.from({ length: newPartitions }, (_, p) => p));
        await consumer.close();
        await running;
      } finally {
        await broker.close();
      }
    });
});
