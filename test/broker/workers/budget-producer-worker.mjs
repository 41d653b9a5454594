// A producer in another worker thread that sends `totalBytes` in `loops` concurrent sendBatch
// loops and reports the most bytes it ever held (sampled at every send and on a timer).
import { parentPort, workerData } from 'node:worker_threads';
import { Producer } from '../../../dist/src/index.js';

const { handle, topic, totalBytes, valueBytes, perBatch, loops, label } = workerData;
const producer = Producer.attach(handle);
const recordCount = Math.ceil(totalBytes / valueBytes);
let next = 0;
let maxBufferedBytes = 0;
const sample = () => { maxBufferedBytes = Math.max(maxBufferedBytes, producer.bufferedBytes); };
const timer = setInterval(sample, 2);
async function loop() {
  while (next < recordCount) {
    const batch = [];
    while (batch.length < perBatch && next < recordCount) {
      const value = new Uint8Array(valueBytes).fill(next % 251);
      value.set(new TextEncoder().encode(`${label}:${next++}:`));
      batch.push({ value });
    }
    const sent = producer.sendBatch(topic, batch);
    sample();
    await sent;
    sample();
  }
}
await Promise.all(Array.from({ length: loops }, loop));
clearInterval(timer);
await producer.close();
parentPort.postMessage({ recordCount, maxBufferedBytes });
