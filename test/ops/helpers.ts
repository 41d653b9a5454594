import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Broker, Consumer } from '../../src/index.js';

/** Polls `condition` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string,
  timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface Receiver {
  url: string;
  /** Every JSON body received with a 2xx answer, in order. */
  messages: unknown[];
  /** Requests answered 500 (the next `failures` requests are). */
  failed: number;
  failures: number;
  close(): Promise<void>;
}

/** A local webhook receiver (Alertmanager's side of the webhook). */
export async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    url: '', messages: [], failed: 0, failures: 0, close: async () => undefined,
  };
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (receiver.failures > 0) {
        receiver.failures--;
        receiver.failed++;
        response.writeHead(500).end();
        return;
      }
      receiver.messages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return receiver;
}

/** A group member that counts what it consumed, with manual commits. */
export interface CountingConsumer {
  consumer: Consumer;
  processed: () => number;
  running: Promise<void>;
}

export async function countingConsumer(broker: Broker, groupId: string, topic: string):
  Promise<CountingConsumer> {
  const consumer = broker.consumer({ groupId, fromBeginning: true, autoCommit: false });
  await consumer.subscribe(topic);
  let processed = 0;
  const running = consumer.run({ eachMessage: async () => { processed++; } });
  return { consumer, processed: () => processed, running };
}

export async function produce(broker: Broker, topic: string, count: number): Promise<void> {
  const producer = broker.producer({ acks: 1 });
  await Promise.all(Array.from({ length: count },
    (_, i) => producer.send(topic, { partition: 0, value: `v${i}` })));
  await producer.close();
}

/**
 * Commits every partition of `topic` at its high watermark. Called once the handler has seen
 * every record: `commit()` without entries could still miss the last one, which the consumer
 * marks processed only after its handler's promise settles.
 */
export async function commitThrough(broker: Broker, consumer: Consumer, topic: string):
  Promise<void> {
  const { partitions } = await broker.describeTopic(topic);
  await consumer.commit(partitions.map((p) => ({
    topic, partition: p.partition, offset: p.highWatermark,
  })));
}
