// Sends one record after the broker has closed, and reports the error code it gets.
import { parentPort, workerData } from 'node:worker_threads';
import { Producer } from '../../../dist/src/index.js';

const producer = Producer.attach(workerData.handle);
await producer.send('w', { value: 'before' });
parentPort.postMessage('ready');
parentPort.once('message', async () => {
  try {
    await producer.send('w', { value: 'after' });
    parentPort.postMessage('sent');
  } catch (error) {
    parentPort.postMessage(error.code ?? String(error));
  }
});
