/**
 * The producer of `Broker.connect()`: the embedded producer's API (`send`, `sendBatch`,
 * `flush`, `close`, the same options and results) over Kafka's Produce request.
 *
 * Batching: records gather per partition in an open batch, sealed at `batchBytes`, after
 * `lingerMs`, or when the partition's previous request is answered: one Produce request per
 * partition is in flight at a time (Kafka takes one batch per partition per request), so while
 * one travels the next batch fills, and ordering within a partition needs no more than that.
 *
 * Idempotence (default on, as embedded): the producer asks the cluster for a producer id
 * (InitProducerId) and numbers each partition's batches with Kafka's sequence numbers. A batch
 * whose request failed in a retriable way (the connection was cut, the request timed out, the
 * leader moved) is sent again unchanged, same sequence, on a new connection: if the broker had
 * appended it before the cut, it recognises the sequence and does not append it twice. After a
 * batch fails for good, the producer takes a new producer id so the gap it leaves is no error.
 *
 * Memory: records count against `maxBufferedBytes` from `send` until they settle; a send that
 * finds it full waits (up to `requestTimeoutMs`, then TIMEOUT).
 */
import { MambaError, closed, invalidConfig, unknownTopic } from '../errors.js';
import { resolveProducerOptions, type ProducerConfig, type ProducerOptions } from '../options.js';
import {
  codecNamed, compressBatch, encodeBatch, initCompression, type CompressionCodec,
  type RecordInput,
} from '../records/index.js';
import {
  PartitionChooser, recordSizeBytes, toRecord, type Message, type SendResult,
} from '../client/index.js';
import {
  ApiKey, type InitProducerIdResponse, type ProduceResponse,
} from '../protocol/index.js';
import type { Cluster, TopicMetadata } from './cluster.js';
import { fromKafkaCode, kafkaErrorName } from './kafka-error.js';

interface Pending {
  record: RecordInput;
  sizeBytes: number;
  resolve(result: SendResult): void;
  reject(error: unknown): void;
}

interface PartitionQueue {
  topic: string;
  partition: number;
  open: Pending[];
  openBytes: number;
  sending: boolean;
  lingerTimer: NodeJS.Timeout | undefined;
  /** The next sequence number of this partition (idempotent producers). */
  sequence: number;
  /** The producer id the sequence belongs to. */
  producerId: bigint;
}

const ackValues = { 0: 0, 1: 1, all: -1 } as const;

export class RemoteProducer {
  private readonly config: ProducerConfig;
  private readonly chooser: PartitionChooser;
  private readonly codec: CompressionCodec | undefined;
  private readonly queues = new Map<string, PartitionQueue>();
  private identity: Promise<{ producerId: bigint; epoch: number }> | undefined;
  private heldBytes = 0;
  private readonly roomWaiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private isClosed = false;

  constructor(private readonly cluster: Cluster, options: ProducerOptions | undefined,
    private readonly onClose: () => void) {
    this.config = resolveProducerOptions(options);
    if (this.config.transactionalId !== undefined) {
      // Transactions over Broker.connect are not built yet: refused rather than ignored.
      throw invalidConfig('options.transactionalId', this.config.transactionalId,
        'absent: transactional producers are embedded only (broker.producer() on Broker.open)');
    }
    this.chooser = new PartitionChooser(this.config.partitioner);
    this.codec = codecNamed(this.config.compression);
  }

  send(topic: string, message: Message): Promise<SendResult> {
    return this.sendBatch(topic, [message]).then((results) => results[0]);
  }

  /** Sends messages of one topic; resolves with each one's partition and offset, in order. */
  async sendBatch(topic: string, messages: readonly Message[]): Promise<SendResult[]> {
    if (this.isClosed) throw closed('PRODUCER_CLOSED', 'producer');
    if (!Array.isArray(messages)) {
      throw new MambaError('INVALID_RECORD', 'sendBatch takes an array of messages');
    }
    const records = messages.map((message) => toRecord(message));
    if (this.codec !== undefined) await initCompression();
    const metadata = await this.cluster.topic(topic).catch((error: unknown) => {
      throw MambaError.is(error, 'UNKNOWN_TOPIC') ? unknownTopic(topic) : error;
    });
    const partitionCount = metadata.partitions.length;
    const targets = messages.map((message, i) => this.partitionOf(metadata, message,
      records[i], partitionCount));
    const sizes = records.map(recordSizeBytes);
    await this.waitForRoom(sizes.reduce((a, b) => a + b, 0));
    return Promise.all(records.map((record, i) => new Promise<SendResult>((resolve, reject) => {
      this.heldBytes += sizes[i];
      this.enqueue(topic, targets[i], { record, sizeBytes: sizes[i], resolve, reject });
    })));
  }

  private partitionOf(metadata: TopicMetadata, message: Message, record: RecordInput,
    partitionCount: number): number {
    if (message.partition === undefined) {
      return this.chooser.choose(metadata.name, record.key ?? null, partitionCount);
    }
    const partition = message.partition;
    if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
      throw new MambaError('INVALID_PARTITION', `partition ${partition} out of range: topic ` +
        `${metadata.name} has ${partitionCount}`, { detail: { topic: metadata.name, partition } });
    }
    return partition;
  }

  private async waitForRoom(sizeBytes: number): Promise<void> {
    const deadlineMs = Date.now() + this.config.requestTimeoutMs;
    while (this.heldBytes > 0 &&
      this.heldBytes + sizeBytes > this.config.maxBufferedBytes) {
      const leftMs = deadlineMs - Date.now();
      if (leftMs <= 0) {
        throw new MambaError('TIMEOUT', `no room in the producer's buffer of ` +
          `${this.config.maxBufferedBytes} bytes within ${this.config.requestTimeoutMs} ms`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, leftMs);
        this.roomWaiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  private enqueue(topic: string, partition: number, pending: Pending): void {
    const key = `${topic}\0${partition}`;
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = { topic, partition, open: [], openBytes: 0, sending: false, lingerTimer: undefined,
        sequence: 0, producerId: -1n };
      this.queues.set(key, queue);
    }
    queue.open.push(pending);
    queue.openBytes += pending.sizeBytes;
    if (queue.sending) return;
    if (queue.openBytes >= this.config.batchBytes || this.config.lingerMs === 0) {
      // Sent on the next tick, so that the records of one synchronous burst share a batch.
      if (queue.lingerTimer === undefined) {
        queue.lingerTimer = setTimeout(() => this.sendNext(queue), 0);
      }
      return;
    }
    queue.lingerTimer ??= setTimeout(() => this.sendNext(queue), this.config.lingerMs);
  }

  /** Seals the partition's open batch and sends it; repeats while records keep arriving. */
  private sendNext(queue: PartitionQueue): void {
    if (queue.lingerTimer !== undefined) clearTimeout(queue.lingerTimer);
    queue.lingerTimer = undefined;
    if (queue.sending || queue.open.length === 0) {
      this.checkIdle();
      return;
    }
    const batch = this.takeBatch(queue);
    this.chooser.batchSealed(queue.topic);
    queue.sending = true;
    void this.deliver(queue, batch).finally(() => {
      queue.sending = false;
      for (const pending of batch) this.heldBytes -= pending.sizeBytes;
      for (const wake of this.roomWaiters.splice(0)) wake();
      if (queue.open.length > 0) this.sendNext(queue);
      else this.checkIdle();
    });
  }

  private takeBatch(queue: PartitionQueue): Pending[] {
    let bytes = 0;
    let count = 0;
    while (count < queue.open.length && (count === 0 ||
      bytes + queue.open[count].sizeBytes <= this.config.batchBytes)) {
      bytes += queue.open[count++].sizeBytes;
    }
    queue.openBytes -= bytes;
    return queue.open.splice(0, count);
  }

  private async deliver(queue: PartitionQueue, batch: Pending[]): Promise<void> {
    try {
      const baseOffset = await this.produce(queue, batch.map((p) => p.record));
      batch.forEach((pending, i) => pending.resolve({
        topic: queue.topic, partition: queue.partition,
        offset: baseOffset < 0 ? -1 : baseOffset + i,
      }));
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }

  /** Encodes and sends one batch, retrying it unchanged on retriable failures. */
  private async produce(queue: PartitionQueue, records: RecordInput[]): Promise<number> {
    const meta = this.config.idempotent ? await this.sequenceFor(queue, records.length)
      : undefined;
    let bytes = encodeBatch(records, meta);
    if (this.codec !== undefined) bytes = compressBatch(bytes, this.codec);
    const acks = ackValues[this.config.acks];
    const what = `produce to ${queue.topic}/${queue.partition}`;
    try {
      return await this.cluster.retrying(what, async () => {
        const topic = await this.cluster.topic(queue.topic);
        const connection = await this.cluster.connectionTo(
          this.cluster.leaderOf(topic, queue.partition));
        const body = {
          transactionalId: null, acks, timeoutMs: this.config.requestTimeoutMs,
          topicData: [{ name: queue.topic, partitionData: [{ index: queue.partition,
            records: bytes }] }],
        };
        if (acks === 0) {
          await connection.request(ApiKey.PRODUCE, body, { noResponse: true });
          return -1;
        }
        const response = await connection.request<ProduceResponse>(ApiKey.PRODUCE, body);
        const result = response.responses[0]?.partitionResponses[0];
        if (result === undefined) throw fromKafkaCode(-1, what, 'an empty Produce response');
        // A batch the broker had appended before a cut comes back as a duplicate: it is in.
        if (result.errorCode === 0 || kafkaErrorName(result.errorCode) ===
          'DUPLICATE_SEQUENCE_NUMBER') return Number(result.baseOffset);
        throw fromKafkaCode(result.errorCode, what, result.errorMessage,
          { topic: queue.topic, partition: queue.partition });
      });
    } catch (error) {
      // The batch left a gap in the sequence: later batches go under a new producer id.
      if (meta !== undefined) this.identity = undefined;
      throw error;
    }
  }

  private async sequenceFor(queue: PartitionQueue, count: number):
  Promise<{ producerId: bigint; producerEpoch: number; baseSequence: number }> {
    const { producerId, epoch } = await (this.identity ??= this.initProducerId());
    if (queue.producerId !== producerId) {
      queue.producerId = producerId;
      queue.sequence = 0;
    }
    const baseSequence = queue.sequence;
    queue.sequence = (queue.sequence + count) % 2 ** 31;
    return { producerId, producerEpoch: epoch, baseSequence };
  }

  private initProducerId(): Promise<{ producerId: bigint; epoch: number }> {
    const identity = this.cluster.retrying('InitProducerId', async () => {
      const connection = await this.cluster.anyConnection();
      const response = await connection.request<InitProducerIdResponse>(
        ApiKey.INIT_PRODUCER_ID, { transactionalId: null, transactionTimeoutMs: -1 });
      if (response.errorCode !== 0) throw fromKafkaCode(response.errorCode, 'InitProducerId');
      return { producerId: response.producerId, epoch: response.producerEpoch };
    });
    identity.catch(() => { if (this.identity === identity) this.identity = undefined; });
    return identity;
  }

  /** Bytes of records this producer holds now (never more than `maxBufferedBytes`). */
  get bufferedBytes(): number {
    return this.heldBytes;
  }

  /** Sends every open batch and waits until everything sent so far is settled. */
  async flush(): Promise<void> {
    for (const queue of this.queues.values()) {
      if (!queue.sending && queue.open.length > 0) this.sendNext(queue);
    }
    while (this.heldBytes > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  private checkIdle(): void {
    if (this.heldBytes > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await this.flush();
    this.onClose();
  }
}
