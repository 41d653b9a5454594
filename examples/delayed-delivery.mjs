import { Broker } from 'mamba-mq';

const broker = await Broker.open({ dataDir: process.argv[2] ?? './data' });
await broker.createTopic('reminders', { partitions: 2 });
const consumer = broker.consumer();
await consumer.subscribe('reminders');
const producer = broker.producer({ acks: 'all' });
const { partition, deliverAtMs } = await producer.send('reminders',
  { key: 'user-7', value: 'renew', delayMs: 2_000 });
console.log(`parked for partition ${partition}, due at ${deliverAtMs}`);
await producer.sendBatch('reminders', [
  { key: 'user-8', value: 'now' },
  { key: 'user-9', value: 'soon', deliverAt: new Date(Date.now() + 1_500) },
]);
let seen = 0;
await consumer.run({
  eachMessage: async (message) => {
    // Absent on 'now', which was not delayed.
    const due = message.headers['mamba.delay.due'] ?? '-';
    console.log(`${message.value} due ${due} seen ${Date.now()}`);
    if (++seen === 3) void consumer.close();
  },
});
await broker.close();
