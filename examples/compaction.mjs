// A compacted topic as a table of current state: `node examples/compaction.mjs [dataDir]`
// after `npm run build`. It runs again and again on the same directory.
import { Broker } from 'mamba-mq';

const broker = await Broker.open({ dataDir: process.argv[2] ?? './data-compaction', actors: 1 });
if (!broker.listTopics().includes('prices')) {
  await broker.createTopic('prices', {
    cleanupPolicy: 'compact', // keep the latest record per key
    deleteRetentionMs: 60_000, // a tombstone (null value) stays a minute, then goes
  });
}

// 10 000 updates of 100 keys, then one delete.
const producer = broker.producer({ acks: 1 });
for (let round = 0; round < 100; round++) {
  await producer.sendBatch('prices', Array.from({ length: 100 },
    (_, i) => ({ key: `item-${i}`, value: String(round * 100 + i) })));
}
await producer.send('prices', { key: 'item-7', value: null });

const [result] = await broker.compact('prices'); // the cleaner also runs by itself
console.log(`cleaned ${result.segmentsCleaned} segments: ${result.recordsBefore} records ` +
  `-> ${result.recordsAfter}, ${result.bytesBefore} bytes -> ${result.bytesAfter}`);

// A consumer from the beginning rebuilds the table; offsets kept their numbers (gaps appear).
const end = (await broker.describeTopic('prices')).partitions[0].highWatermark;
const consumer = broker.consumer({ fromBeginning: true });
await consumer.subscribe('prices');
const table = new Map();
for await (const message of consumer) {
  if (message.value === null) table.delete(message.key.toString());
  else table.set(message.key.toString(), message.value.toString());
  if (message.offset === end - 1) break;
}
await consumer.close();
console.log(`${table.size} items; item-99 = ${table.get('item-99')}; ` +
  `item-7 ${table.has('item-7') ? 'present' : 'deleted'}`);
await broker.close();
