/**
 * The consume benchmark's baseline: a worker that sends `recordCount` records of
 * `recordSizeBytes` to the main thread by `postMessage`, `recordsPerMessage` of them packed
 * into one transferred buffer per message (the batched way; DESIGN.md §5 measured ~8–10 M
 * records/s for 100 per message). It waits for a go, and for credit so that at most
 * `inFlightMessagesMax` messages are queued, as a bounded queue must.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../src/assert.js';

export interface BaselineWorkerData {
  recordCount: number;
  recordSizeBytes: number;
  recordsPerMessage: number;
  inFlightMessagesMax: number;
}

const config = workerData as BaselineWorkerData;
assert(parentPort !== null, 'the baseline runs in a worker thread');
const port = parentPort;
let credit = config.inFlightMessagesMax;
let sent = 0;
let waiting = false;

function pump(): void {
  waiting = false;
  while (credit > 0 && sent < config.recordCount) {
    const count = Math.min(config.recordsPerMessage, config.recordCount - sent);
    // Each record is a length word and its bytes, as a log would frame it.
    const bytes = new Uint8Array(count * (4 + config.recordSizeBytes));
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < count; i++) {
      view.setUint32(i * (4 + config.recordSizeBytes), config.recordSizeBytes, true);
    }
    port.postMessage(bytes, [bytes.buffer]);
    sent += count;
    credit--;
  }
}

port.on('message', (message: number) => {
  credit += message;
  if (!waiting) {
    waiting = true;
    setImmediate(pump);
  }
});
