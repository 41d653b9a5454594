// Retries, dead letters, retry topics, filters and routing rules (README: "Delivery features").
// Run after `npm run build`: node examples/delivery.mjs [dataDir]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Broker } from 'mamba-mq';

const dataDir = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-delivery-'));
const broker = await Broker.open({ dataDir, actors: 2 });
await broker.createTopic('orders', { partitions: 2 });
await broker.createTopic('orders-eu', { partitions: 1 });
await broker.createTopic('refunds', { partitions: 1 });

// Routing rules: first match wins, else the partitioner. Retries: retriable errors only.
const producer = broker.producer({
  routing: [
    { match: { headers: { region: 'eu' } }, topic: 'orders-eu' },
    { match: { key: /^vip-/ }, partition: 0 },
  ],
  retry: { retries: 5, initialRetryTimeMs: 100, maxRetryTimeMs: 2000 },
});
const routed = await producer.sendBatch('orders', [
  { key: 'vip-1', value: 'gold order', headers: { type: 'order', amount: '250' } },
  { key: 'c-2', value: 'eu order', headers: { type: 'order', region: 'eu', amount: '80' } },
  { key: 'c-3', value: 'broken order', headers: { type: 'order', amount: '120' } },
  { key: 'c-4', value: 'a refund', headers: { type: 'refund', amount: '30' } },
]);
console.log('routed:', routed.map((r) => `${r.topic}/${r.partition}`).join(' '));

// A filter in the SQL subset, a blocking retry with backoff, then a dead letter with a
// compensating message published in the same step.
const billing = broker.consumer({ groupId: 'billing', fromBeginning: true });
await billing.subscribe('orders', { filter: "type = 'order' AND amount > 100" });
const running = billing.run({
  retry: { retries: 2, initialRetryTimeMs: 50, multiplier: 2, jitter: 0.2 },
  deadLetter: {
    topic: 'orders.DLQ',
    onDeadLetter: async (message, error, send) => {
      await send('refunds', { key: message.key, value: `undo ${message.value}` });
    },
  },
  eachMessage: async (message) => {
    if (message.value.toString() === 'broken order') throw new Error('payment declined');
    console.log(`billed ${message.value} (offset ${message.offset})`);
  },
});
// Filtered-out records count as consumed: the group's lag drops to 0 once all are handled.
while (billing.assignment().length < 2 || billing.lag().some((l) => l.lag > 0)) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
console.log('skipped by the filter:', billing.lag().map((l) => l.filteredCount).join(' + '));
await billing.close();
await running;

for (const letter of broker.listDeadLetters({ topic: 'orders.DLQ' })) {
  console.log(`dead letter ${letter.value}: ${letter.headers['mamba.dlq.error.message']} ` +
    `after ${letter.headers['mamba.dlq.attempts']} attempts`);
}
const replay = await broker.replayDeadLetters({ topic: 'orders.DLQ', to: 'orders',
  where: "\"mamba.dlq.error.message\" = 'payment declined'" });
console.log(`replayed ${replay.replayed} dead letter(s) to orders`);
await producer.close();
await broker.close();
