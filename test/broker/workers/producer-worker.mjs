// A producer in another worker thread: attaches a handle and sends `count` records.
import { parentPort, workerData } from 'node:worker_threads';
import { Producer } from '../../../dist/src/index.js';

const { handle, topic, count, label } = workerData;
const producer = Producer.attach(handle);
const results = [];
for (let i = 0; i < count; i += 50) {
  const batch = Array.from({ length: Math.min(50, count - i) }, (_, j) => ({
    key: `${label}-${(i + j) % 8}`, value: `${label}:${i + j}`,
  }));
  results.push(...await producer.sendBatch(topic, batch));
}
await producer.close();
parentPort.postMessage({ results });
