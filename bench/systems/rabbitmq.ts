/**
 * Peer: RabbitMQ through amqplib, one connection and confirm channel per producer. A batch is
 * a run of `sendToQueue` calls, resolved when the broker has confirmed every message in it
 * (asynchronous publisher confirms, the fast way to use them); several batches are in flight
 * per channel. A consumer uses prefetch 1000 and acknowledges every 100th message with
 * `multiple`.
 *
 * Durability:
 * - acks=all, system `rabbitmq-queue`: a durable classic queue, persistent messages
 *   (delivery mode 2), publisher confirms. RabbitMQ confirms a persistent message once it is
 *   fsync'd to disk, or once every queue it went to has delivered it and had it acknowledged
 *   (so with a fast consumer some confirms need no fsync).
 * - acks=1, system `rabbitmq-stream`: a stream queue (`x-queue-type: stream`), publisher
 *   confirms. A stream confirms once the message is written to its segment file; streams do
 *   not fsync (they rely on replication), so this is the page-cache level.
 */
import type {
  BenchConsumer, BenchProducer, BenchSystem, BenchSystemFactory, ConsumeSink,
} from '../harness/bench-system.js';
import { asBuffer, type MessageBatch } from '../harness/message-batch.js';
import type { AcksLevel, Scenario } from '../harness/scenario.js';
import { importOptional } from '../peers/optional-import.js';
import { isPortOpen, peerScenarioLimits } from '../peers/peer-checks.js';
import { peerHost, peerPorts, peersScriptHint } from '../peers/peer-ports.js';

/** The part of amqplib this system uses. */
interface AmqpModule {
  connect(url: string): Promise<AmqpConnection>;
}
interface AmqpConnection {
  createChannel(): Promise<AmqpChannel>;
  createConfirmChannel(): Promise<AmqpChannel>;
  close(): Promise<void>;
}
interface AmqpMessage { readonly content: Buffer }
interface AmqpChannel {
  assertQueue(queue: string, options: Record<string, unknown>): Promise<unknown>;
  deleteQueue(queue: string): Promise<unknown>;
  sendToQueue(queue: string, content: Buffer, options: Record<string, unknown>,
    callback: (error: unknown) => void): boolean;
  prefetch(count: number): Promise<unknown>;
  consume(queue: string, onMessage: (message: AmqpMessage | null) => void,
    options: Record<string, unknown>): Promise<{ consumerTag: string }>;
  cancel(consumerTag: string): Promise<unknown>;
  ack(message: AmqpMessage, allUpTo: boolean): void;
  close(): Promise<void>;
}

const prefetchCount = 1000;
const ackEveryMessages = 100;

class RabbitMqSystem implements BenchSystem {
  readonly name: string;
  readonly durability: string;
  private readonly queue: string;
  private readonly queueOptions: Record<string, unknown>;
  private amqp: AmqpModule | undefined;
  private connections: AmqpConnection[] = [];

  constructor(readonly acks: 1 | 'all') {
    const stream = acks === 1;
    this.name = stream ? 'rabbitmq-stream' : 'rabbitmq-queue';
    this.queue = stream ? 'mamba-bench-stream' : 'mamba-bench-queue';
    this.queueOptions = stream
      ? { durable: true, arguments: { 'x-queue-type': 'stream' } }
      : { durable: true };
    this.durability = stream
      ? 'stream queue, publisher confirms (written to segment, no fsync; page cache)'
      : 'durable classic queue, persistent messages, publisher confirms (fsync before confirm)';
  }

  async unsupportedReason(scenario: Scenario): Promise<string | undefined> {
    const limit = peerScenarioLimits(scenario);
    if (limit !== undefined) return limit;
    this.amqp = await importOptional<AmqpModule>('amqplib');
    if (this.amqp === undefined) return 'amqplib is not installed (npm install amqplib)';
    if (!(await isPortOpen(peerPorts.rabbitmq))) {
      return `no RabbitMQ on ${peerHost}:${peerPorts.rabbitmq} (${peersScriptHint})`;
    }
    return undefined;
  }

  private async connect(): Promise<AmqpConnection> {
    const connection = await this.amqp!.connect(
      `amqp://guest:guest@${peerHost}:${peerPorts.rabbitmq}`);
    this.connections.push(connection);
    return connection;
  }

  async setup(): Promise<void> {
    const channel = await (await this.connect()).createChannel();
    await channel.deleteQueue(this.queue);
    await channel.assertQueue(this.queue, this.queueOptions);
    await channel.close();
  }

  async openProducer(): Promise<BenchProducer> {
    const channel = await (await this.connect()).createConfirmChannel();
    const queue = this.queue;
    return {
      sendBatch(batch: MessageBatch): Promise<void> {
        return new Promise<void>((resolve, reject) => {
          let unconfirmed = batch.count;
          const confirmed = (error: unknown): void => {
            if (error) reject(error instanceof Error ? error : new Error('message nacked'));
            else if (--unconfirmed === 0) resolve();
          };
          for (const value of batch.values) {
            channel.sendToQueue(queue, asBuffer(value), { persistent: true }, confirmed);
          }
        });
      },
      close: () => channel.close(),
    };
  }

  async openConsumer(_consumerIndex: number, sink: ConsumeSink): Promise<BenchConsumer> {
    const channel = await (await this.connect()).createChannel();
    await channel.prefetch(prefetchCount);
    let received = 0;
    const options = this.acks === 1
      ? { noAck: false, arguments: { 'x-stream-offset': 'first' } }
      : { noAck: false };
    const { consumerTag } = await channel.consume(this.queue, (message) => {
      if (message === null) return;
      sink.receivedValues([message.content]);
      if (++received % ackEveryMessages === 0) channel.ack(message, true);
    }, options);
    return {
      close: async () => {
        await channel.cancel(consumerTag);
        await channel.close();
      },
    };
  }

  async teardown(): Promise<void> {
    if (this.connections.length > 0) {
      const channel = await this.connections[0]!.createChannel().catch(() => undefined);
      await channel?.deleteQueue(this.queue).catch(() => undefined);
    }
    await Promise.all(this.connections.map((connection) =>
      connection.close().catch(() => undefined)));
    this.connections = [];
  }
}

export const rabbitMqFactory: BenchSystemFactory = {
  name: 'rabbitmq',
  create: (acks: AcksLevel) => (acks === 0 ? undefined : new RabbitMqSystem(acks)),
};
