/**
 * The delay benchmark's consumer, in a worker thread of its own so that its work does not
 * share the main thread with the producer and the delay service: it reads the topic and
 * records, per message, the time it saw it minus its due time (`mamba.delay.due`). It reports
 * its count every 200 ms and, on `stop`, the lateness of every message it saw.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../src/assert.js';
import { Consumer, type ConsumerHandle } from '../src/client/index.js';

export interface DelayConsumerData {
  handle: ConsumerHandle;
  topic: string;
  expected: number;
}

export type DelayConsumerReport =
  | { kind: 'subscribed' }
  | { kind: 'count'; received: number }
  | { kind: 'lateness'; received: number; latenessMs: Float64Array };

const data = workerData as DelayConsumerData;
assert(parentPort !== null, 'the delay consumer runs in a worker thread');
const port = parentPort;
const decoder = new TextDecoder();
const latenessMs = new Float64Array(data.expected);
let received = 0;

const consumer = Consumer.attach(data.handle);
await consumer.subscribe(data.topic);
port.postMessage({ kind: 'subscribed' } satisfies DelayConsumerReport);
const timer = setInterval(() => {
  port.postMessage({ kind: 'count', received } satisfies DelayConsumerReport);
}, 200);
port.once('message', () => { void consumer.close(); });
await consumer.run({
  eachMessage: async (message) => {
    const nowMs = Date.now();
    const dueMs = Number(decoder.decode(message.headers['mamba.delay.due']));
    if (received < data.expected) latenessMs[received] = nowMs - dueMs;
    received++;
  },
});
clearInterval(timer);
port.postMessage({ kind: 'lateness', received, latenessMs } satisfies DelayConsumerReport,
  [latenessMs.buffer]);
