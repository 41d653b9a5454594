/**
 * Baseline: a worker thread fed by `postMessage`, the naive way to move records off the main
 * thread. Two modes: one message per record, and records packed into one buffer per batch.
 * One worker per partition; producer i writes to worker i mod partitions.
 *
 * Durability: none, held in the worker's memory only. At acks=1 a batch is acknowledged when
 * the worker has it (a round trip); at acks=0 as soon as it is posted.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { workerUrl } from '../../src/worker-url.js';
import type {
  BenchConsumer, BenchProducer, BenchSystem, BenchSystemFactory, ConsumeSink,
} from '../harness/bench-system.js';
import type { MessageBatch } from '../harness/message-batch.js';
import type { AcksLevel, Scenario } from '../harness/scenario.js';
import type { PostControl, PostMode, PostWorkerData } from './post-message-protocol.js';

class PostMessageSystem implements BenchSystem {
  readonly name: string;
  readonly durability: string;
  private workers: Worker[] = [];
  private ports: MessagePort[] = [];
  private scenario: Scenario | undefined;

  constructor(private readonly mode: PostMode, readonly acks: 0 | 1) {
    this.name = mode === 'packed' ? 'postmessage-packed' : 'postmessage-record';
    this.durability = acks === 0
      ? 'worker memory only; acknowledged when posted'
      : 'worker memory only; acknowledged when the worker has the batch (round trip)';
  }

  async unsupportedReason(): Promise<string | undefined> {
    return undefined;
  }

  async setup(scenario: Scenario): Promise<void> {
    this.scenario = scenario;
    const data: PostWorkerData = { mode: this.mode, batchMessageCount: scenario.batchMessageCount };
    const url = workerUrl('./post-message-worker.js', import.meta.url);
    for (let index = 0; index < scenario.partitionCount; index++) {
      const worker = new Worker(url, { workerData: data });
      await new Promise<void>((resolve, reject) => {
        worker.once('online', resolve);
        worker.once('error', reject);
      });
      this.workers.push(worker);
    }
  }

  private connect(workerIndex: number, type: PostControl['type']): MessagePort {
    const channel = new MessageChannel();
    const control: PostControl = { type, port: channel.port2 };
    this.workers[workerIndex % this.workers.length]!.postMessage(control, [channel.port2]);
    this.ports.push(channel.port1);
    return channel.port1;
  }

  async openProducer(producerIndex: number): Promise<BenchProducer> {
    const port = this.connect(producerIndex, 'producer');
    const pending: Array<() => void> = [];
    port.on('message', () => pending.shift()?.());
    const mode = this.mode;
    const acks = this.acks;
    return {
      sendBatch(batch: MessageBatch): Promise<void> {
        if (mode === 'packed') port.postMessage(batch.packed);
        else for (const value of batch.values) port.postMessage(value);
        if (acks === 0) {
          pending.push(() => undefined);
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => { pending.push(resolve); });
      },
      close: async () => undefined,
    };
  }

  async openConsumer(_consumerIndex: number, sink: ConsumeSink): Promise<BenchConsumer> {
    const messageSizeBytes = this.scenario!.messageSizeBytes;
    // Every worker forwards to every consumer, so each consumer connects to all of them.
    for (let index = 0; index < this.workers.length; index++) {
      const port = this.connect(index, 'consumer');
      port.on('message', (bytes: Uint8Array) => {
        if (bytes.byteLength === messageSizeBytes) sink.receivedValues([bytes]);
        else sink.receivedPacked(bytes, messageSizeBytes);
      });
    }
    return { close: async () => undefined };
  }

  async teardown(): Promise<void> {
    for (const port of this.ports) port.close();
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.ports = [];
    this.workers = [];
  }
}

function factory(mode: PostMode): BenchSystemFactory {
  return {
    name: mode === 'packed' ? 'postmessage-packed' : 'postmessage-record',
    create: (acks: AcksLevel) => (acks === 'all' ? undefined : new PostMessageSystem(mode, acks)),
  };
}

export const postMessageRecordFactory = factory('per-record');
export const postMessagePackedFactory = factory('packed');
