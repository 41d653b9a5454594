import { Broker } from 'mamba-mq';

const broker = await Broker.open({ dataDir: process.argv[2] ?? './data', actors: 2 });
if (!broker.listTopics().includes('orders')) {
  await broker.createTopic('orders', { partitions: 4 });
}

const producer = broker.producer({ acks: 'all' }); // idempotent by default
const sent = await producer.send('orders', { key: 'customer-7', value: 'hello' });
console.log(`sent hello to orders/${sent.partition} at offset ${sent.offset}`);
await producer.sendBatch('orders', [{ value: 'a' }, { value: 'b' }]);

// A group resumes where it committed: each run reads the three records it sent.
const consumer = broker.consumer({ groupId: 'billing', fromBeginning: true });
await consumer.subscribe('orders');
let received = 0;
for await (const message of consumer) {
  console.log(`received ${message.value.toString()} from orders/${message.partition} ` +
    `at offset ${message.offset}`);
  if (++received === 3) {
    // Leaving the loop does not count the record it was on as processed: commit it, then stop.
    const { topic, partition, offset } = message;
    await consumer.commit([{ topic, partition, offset: offset + 1 }]);
    break;
  }
}
await broker.close();
console.log('closed');
