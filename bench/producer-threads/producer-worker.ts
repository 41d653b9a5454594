/**
 * A producer thread of the bench (worker entry): attaches a Mamba producer to the session in
 * its handle (`Producer.attach`) and runs the same produce loop as a main-thread producer, with
 * its own measurement; the main thread adds the threads' tallies up.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Producer } from '../../src/index.js';
import type { BenchProducer } from '../harness/bench-system.js';
import type { MessageBatch } from '../harness/message-batch.js';
import { Measurement } from '../harness/measurement.js';
import { produceLoop } from '../harness/produce-loop.js';
import type {
  FromProducerThread, ProducerThreadData, ToProducerThread,
} from './thread-protocol.js';

const data = workerData as ProducerThreadData;
const port = parentPort!;

function post(message: FromProducerThread): void {
  port.postMessage(message);
}

/** The bench's producer contract over a Mamba producer; record arrays made once per batch. */
function benchProducer(producer: Producer, topic: string): BenchProducer {
  const records = new WeakMap<MessageBatch, { value: Uint8Array }[]>();
  return {
    sendBatch: async (batch) => {
      let messages = records.get(batch);
      if (messages === undefined) {
        messages = batch.values.map((value) => ({ value }));
        records.set(batch, messages);
      }
      await producer.sendBatch(topic, messages);
    },
    close: () => producer.close(),
  };
}

const producer = Producer.attach(data.handle);

async function runThread(window: ToProducerThread['window']): Promise<void> {
  const measurement = new Measurement(data.scenario.messageSizeBytes);
  try {
    await produceLoop(benchProducer(producer, data.topic), data.scenario, window, measurement);
  } finally {
    await producer.close();
  }
  post({
    type: 'done',
    tally: {
      sentCount: measurement.sentCount, ackedCount: measurement.ackedCount,
      measureStartNs: measurement.measureStartNs, lastAckNs: measurement.lastAckNs,
      ackLatencyEncoded: measurement.ackLatency.encode(),
    },
  });
}

port.once('message', (message: ToProducerThread) => {
  runThread(message.window).then(
    () => port.close(),
    (error: unknown) => {
      post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
      port.close();
    },
  );
});
post({ type: 'ready' });
