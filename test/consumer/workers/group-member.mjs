// A consumer-group member in its own worker thread. It attaches a consumer handle, counts every
// record it processes in `hits` (one Int32 per record: partition * perPartition + offset) and
// in `counts[0]`, reports its assignment after each change, and closes when told to.
import { parentPort, workerData } from 'node:worker_threads';
import { Consumer } from '../../../dist/src/index.js';

const { handle, topic, perPartition, hits, counts } = workerData;
const consumer = Consumer.attach(handle);
const report = () =>
  parentPort.postMessage({ type: 'assignment', assignment: consumer.assignment() });
consumer.on('assigned', report);
consumer.on('revoked', report);
parentPort.on('message', async (message) => {
  if (message === 'close') {
    await consumer.close();
    parentPort.postMessage({ type: 'closed' });
    parentPort.close();
  }
});
await consumer.subscribe(topic);
report();
await consumer.run({
  eachMessage: async (m) => {
    Atomics.add(hits, m.partition * perPartition + m.offset, 1);
    Atomics.add(counts, 0, 1);
  },
});
