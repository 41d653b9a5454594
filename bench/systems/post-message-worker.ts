/**
 * The worker of the `postMessage` baseline: it receives records or packed batches, acknowledges
 * each batch back on the port it came from, and forwards what it received to its consumers
 * (round robin). It keeps nothing: this is a thread hop, not a log.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { assert, assertNever } from '../../src/assert.js';
import type { PostControl, PostWorkerData } from './post-message-protocol.js';

const config = workerData as PostWorkerData;
const consumers: MessagePort[] = [];
let nextConsumer = 0;

function forward(bytes: Uint8Array, transfer: boolean): void {
  if (consumers.length === 0) return;
  const port = consumers[nextConsumer++ % consumers.length]!;
  if (transfer) port.postMessage(bytes, [bytes.buffer as ArrayBuffer]);
  else port.postMessage(bytes);
}

function serveProducer(port: MessagePort): void {
  let recordsInBatch = 0;
  let batchId = 0;
  port.on('message', (bytes: Uint8Array) => {
    if (config.mode === 'packed') {
      port.postMessage(batchId++);
      forward(bytes, true);
      return;
    }
    forward(bytes, false);
    if (++recordsInBatch === config.batchMessageCount) {
      recordsInBatch = 0;
      port.postMessage(batchId++);
    }
  });
}

assert(parentPort !== null, 'post-message-worker runs in a worker thread');
parentPort.on('message', (control: PostControl) => {
  switch (control.type) {
    case 'producer': serveProducer(control.port); break;
    case 'consumer': consumers.push(control.port); break;
    default: assertNever(control, 'post-message control');
  }
});
