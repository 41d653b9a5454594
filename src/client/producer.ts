/**
 * The producer: batches records per partition (`lingerMs`, `batchBytes`), encodes each batch
 * as RecordBatch v2 in its own thread, hands it to the partition's actor through the session's
 * ring, and resolves each send with the offset the actor assigned.
 *
 * Idempotence (default on): the producer has a random 47-bit id and an epoch, and numbers the
 * records of each partition from 0; the actor appends a batch at most once per (id, epoch,
 * sequence), so a batch replayed after an actor crash is not duplicated. When a batch fails,
 * the epoch is bumped and sequences restart at 0, since the failed batch left a gap.
 */
import { randomInt } from 'node:crypto';
import { MambaError, closed, unknownTopic } from '../errors.js';
import { delayedTopicName, inFlightBatchesPerPartitionMax } from '../constants.js';
import {
  resolveProducerOptions, type PartitionerName, type ProducerConfig, type ProducerOptions,
} from '../options.js';
import { TopicDirectory, type TopicLocation } from '../shm/index.js';
import {
  ATTRIBUTE_TRANSACTIONAL, codecNamed, compressionReady, initCompression, type BatchMeta,
  type CompressionCodec, type RecordInput,
} from '../records/index.js';
import { ACKS_ALL, ACKS_LEADER, ACKS_NONE } from '../shm/index.js';
import { PartitionChooser } from './partitioner.js';
import { ProducerBuffer } from './producer-buffer.js';
import { ProducerSession, type OutgoingBatch } from './producer-session.js';
import type { SessionHandle } from '../shm/index.js';
import { RoutingTable, checkPartition as checkRoutedPartition } from './routing-rules.js';
import { backoffDelayMs, resolveBackoff, type BackoffPolicy } from './retry-policy.js';
import { dueTimeMs, hasDelay, parkedHeaders, type DelayFields } from './delayed-message.js';
import { TransactionManager, type Transaction, type TransactionLink } from './transaction.js';

export interface Message extends DelayFields {
  key?: string | Uint8Array | null;
  value: string | Uint8Array | null;
  headers?: Record<string, string | Uint8Array>;
  partition?: number;
  timestamp?: number;
}

export interface SendResult {
  topic: string;
  partition: number;
  /** The record's offset; -1 with `acks: 0`, which does not wait for the actor, and -1 for a
   * delayed message, which has no offset in its topic until it is delivered. */
  offset: number;
  /** A delayed message's due time (epoch ms): it is durable, parked until then. */
  deliverAtMs?: number;
}

/**
 * Options of a producer in another thread: a partitioner function cannot be sent to another
 * thread, so only the named partitioners are allowed.
 */
export type ProducerHandleOptions = Omit<ProducerOptions, 'partitioner'> & {
  partitioner?: PartitionerName;
};

/** A producer handle for another worker thread: pass it in `workerData` or `postMessage`. */
export interface ProducerHandle {
  session: SessionHandle;
  options: ProducerHandleOptions;
}

interface Waiter {
  /** Index of this waiter's first record in the batch. */
  first: number;
  count: number;
  done(error: Error | undefined, firstOffset: number): void;
}

interface RecordGroup {
  /** Arrays made for this request (never the caller's): a batch may adopt one as it is. */
  records: RecordInput[];
  /** Each record's index in the request; undefined when the group is the whole request. */
  indexes: number[] | undefined;
  sizeBytes: number;
}

interface OpenBatch {
  topic: string;
  partition: number;
  slot: number;
  records: RecordInput[];
  sizeBytes: number;
  waiters: Waiter[];
  /** Sends of this batch that failed with a retriable error and were retried. */
  retries: number;
}

const encoder = new TextEncoder();
const ackLevels: Record<string, number> = { 0: ACKS_NONE, 1: ACKS_LEADER, all: ACKS_ALL };
/** Per-record overhead on top of key, value and headers: lengths, deltas, attributes. */
const recordOverheadBytes = 24;

export class Producer {
  private readonly config: ProducerConfig;
  private readonly chooser: PartitionChooser;
  private producerId: bigint;
  private epoch = 0;
  /** Set for a producer with a transactionalId (transaction.ts); its batches are transactional. */
  private readonly txn: TransactionManager | undefined;
  private readonly batchAttributes: number;
  private readonly sequences = new Map<number, number>();
  private readonly open = new Map<number, OpenBatch>();
  /** Per partition slot: batches submitted and not yet settled, and sealed ones waiting. */
  private readonly inFlightBySlot = new Map<number, number>();
  private readonly waitingBySlot = new Map<number, OutgoingBatch[]>();
  private flushScheduled = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private isClosed = false;
  private readonly buffer: ProducerBuffer;
  private readonly codec: CompressionCodec | undefined;
  /** zstd's wasm starting in this thread; sends wait for it (only until it has started). */
  private codecStarting: Promise<void> | undefined;
  private readonly routing: RoutingTable | undefined;
  private readonly retry: BackoffPolicy | undefined;

  constructor(
    private readonly session: ProducerSession,
    private readonly directory: TopicDirectory,
    options: ProducerOptions | undefined,
    private readonly ownsSession: boolean,
    transactions?: TransactionLink,
  ) {
    this.config = resolveProducerOptions(options);
    this.txn = this.transactionManager(transactions);
    this.batchAttributes = this.txn === undefined ? 0 : ATTRIBUTE_TRANSACTIONAL;
    this.chooser = new PartitionChooser(this.config.partitioner);
    this.buffer = new ProducerBuffer(this.config.maxBufferedBytes, this.config.requestTimeoutMs,
      session.bufferedBytesWord);
    // Random 47-bit ids: unique across restarts without a registry, and exact as a number.
    this.producerId = this.config.idempotent ? BigInt(randomInt(1, 2 ** 47)) : -1n;
    this.codec = codecNamed(this.config.compression);
    this.routing = this.config.routing === undefined ? undefined
      : new RoutingTable(this.config.routing, directory);
    this.retry = this.config.retry === undefined ? undefined
      : resolveBackoff(this.config.retry, 'options.retry');
    if (this.codec !== undefined && !compressionReady()) {
      this.codecStarting = initCompression().then(() => { this.codecStarting = undefined; });
    }
  }

  /**
   * Inside another worker: a producer over the session in a handle from `producerHandle()`.
   * Transactional producers live on the broker's thread (`broker.producer`), where the
   * coordinator is: a handle never carries a transactionalId.
   */
  static attach(handle: ProducerHandle): Producer {
    const session = new ProducerSession(handle.session);
    const directory = new TopicDirectory(handle.session.topicDirectory);
    return new Producer(session, directory, handle.options, true);
  }

  /**
   * Sends one message. Waits for room when the producer holds `maxBufferedBytes` already
   * (TIMEOUT after `requestTimeoutMs`). Failures reject on a later turn of the event loop, never
   * on the microtask queue, so a retry loop around a failing send lets timers run.
   */
  send(topic: string, message: Message): Promise<SendResult> {
    // A transactional send takes the general path: it registers the partition with the
    // coordinator and is tracked by the open transaction (client/transaction.ts).
    if (this.routing !== undefined || this.codecStarting !== undefined || hasDelay(message) ||
      this.txn !== undefined) {
      return this.sendRecords(topic, [message]).then((results) => results[0]);
    }
    return this.sendOne(topic, message);
  }

  /**
   * `send` without routing or delay: the same checks, steps and errors as `sendToTopic`, with
   * one promise per message and nothing else made per message but its result (a loop of single
   * sends was ~4× the CPU per message of `sendBatch`, mostly in promises and arrays).
   */
  private sendOne(topic: string, message: Message): Promise<SendResult> {
    let record: RecordInput;
    let location: TopicLocation;
    let sizeBytes: number;
    try {
      location = this.locate(topic);
      record = toRecord(message);
      const explicit = message.partition;
      if (explicit !== undefined) checkPartition(topic, explicit, location.partitionCount);
      sizeBytes = recordSizeBytes(record);
      // No room now: the general path queues the request until there is.
      if (!this.buffer.tryReserve(sizeBytes)) return this.sendOneLater(topic, message);
    } catch (error) {
      return rejectLater(error);
    }
    let partition: number;
    try {
      partition = this.partitionFor(topic, message, record, location.partitionCount);
      checkRecordSize(location, partition, record);
    } catch (error) {
      this.buffer.release(sizeBytes);
      return rejectLater(error);
    }
    return new Promise<SendResult>((resolve, reject) => {
      const group = { records: [record], indexes: undefined, sizeBytes };
      this.add(topic, partition, location.firstSlot + partition, group, (error, offset) => {
        if (error !== undefined) reject(error);
        else resolve({ topic, partition, offset: offset < 0 ? -1 : offset });
      });
    });
  }

  private async sendOneLater(topic: string, message: Message): Promise<SendResult> {
    return (await this.sendToTopic(topic, [message]))[0];
  }

  /**
   * Sends many messages; one result per message, in order. All of them are queued at once or,
   * when no room came within `requestTimeoutMs`, none (TIMEOUT).
   */
  sendBatch(topic: string, messages: readonly Message[]): Promise<SendResult[]> {
    if (!Array.isArray(messages)) {
      return rejectLater(new MambaError('INVALID_RECORD', 'sendBatch takes an array of messages'));
    }
    return this.sendRecords(topic, messages);
  }

  /**
   * Opens this producer's transaction (a producer with a `transactionalId`; one open at a
   * time): see client/transaction.ts. The first call gets the producer id and epoch from the
   * transaction coordinator, fencing any earlier producer with the same transactionalId.
   */
  transaction(): Promise<Transaction> {
    if (this.txn === undefined) {
      return rejectLater(new MambaError('INVALID_TXN_STATE',
        'transaction() needs a producer made with a transactionalId'));
    }
    if (this.isClosed) return rejectLater(closed('PRODUCER_CLOSED', 'producer'));
    return this.txn.begin();
  }

  private transactionManager(link: TransactionLink | undefined): TransactionManager | undefined {
    const { transactionalId, transactionTimeoutMs } = this.config;
    if (transactionalId === undefined) return undefined;
    if (link === undefined) {
      throw new MambaError('INVALID_CONFIG', 'a transactional producer is made by ' +
        'broker.producer() on the broker\'s thread (not Producer.attach, not Broker.connect)',
      { detail: { option: 'transactionalId' } });
    }
    return new TransactionManager(link, transactionalId, transactionTimeoutMs, {
      send: (topic, message) => this.send(topic, message),
      sendBatch: (topic, messages) => this.sendBatch(topic, messages),
      flush: () => this.flush(),
      setIdentity: (producerId, producerEpoch) => {
        this.producerId = BigInt(producerId);
        this.epoch = producerEpoch;
        this.sequences.clear();
      },
    });
  }

  private sendRecords(topic: string, messages: readonly Message[]): Promise<SendResult[]> {
    if (this.txn !== undefined) {
      return this.txn.track(messages, () => this.routeAndSend(topic, messages));
    }
    return this.routeAndSend(topic, messages);
  }

  private routeAndSend(topic: string, messages: readonly Message[]): Promise<SendResult[]> {
    if (this.routing === undefined) return this.sendToTopic(topic, messages);
    let routes: Map<string, number[]>;
    let routed: Message[];
    try {
      ({ routes, routed } = this.routeAll(topic, messages));
    } catch (error) {
      return rejectLater(error);
    }
    if (routes.size === 1 && routes.has(topic)) return this.sendToTopic(topic, routed);
    const results = new Array<SendResult>(messages.length);
    return Promise.all([...routes].map(async ([target, indexes]) => {
      const sent = await this.sendToTopic(target, indexes.map((i) => routed[i]));
      indexes.forEach((index, i) => { results[index] = sent[i]; });
    })).then(() => results);
  }

  /**
   * The routing rules applied to messages without a partition of their own: each message with
   * the partition its rule named, grouped by the topic it goes to (indexes into `messages`).
   */
  private routeAll(topic: string, messages: readonly Message[]):
  { routes: Map<string, number[]>; routed: Message[] } {
    const routes = new Map<string, number[]>();
    const routed = messages.map((message, index) => {
      let target = topic;
      let result = message;
      if (typeof message === 'object' && message !== null && message.partition === undefined) {
        const route = this.routing!.route(topic, message.key, message.headers);
        if (route !== undefined) {
          target = route.topic;
          if (route.partition !== undefined) {
            checkRoutedPartition(this.directory, target, route.partition);
            result = { ...message, partition: route.partition };
          }
        }
      }
      const list = routes.get(target);
      if (list === undefined) routes.set(target, [index]);
      else list.push(index);
      return result;
    });
    return { routes, routed };
  }

  /**
   * Sends to one topic, routing done. `prepared`: the messages already converted to records
   * (parked delayed messages).
   */
  private async sendToTopic(topic: string, messages: readonly Message[],
    prepared?: RecordInput[]): Promise<SendResult[]> {
    if (prepared === undefined && messages.some(hasDelay)) {
      return this.sendWithDelays(topic, messages);
    }
    let records: RecordInput[];
    let sizeBytes = 0;
    try {
      if (this.codecStarting !== undefined) await this.codecStarting;
      // Everything that can be wrong with the request fails before it takes any room.
      const location = this.locate(topic);
      records = prepared ?? messages.map(toRecord);
      for (let i = 0; i < records.length; i++) {
        const { partition } = messages[i];
        if (partition !== undefined) checkPartition(topic, partition, location.partitionCount);
        sizeBytes += recordSizeBytes(records[i]);
      }
      if (!this.buffer.tryReserve(sizeBytes)) await this.buffer.reserve(sizeBytes);
    } catch (error) {
      return rejectLater(error);
    }
    let groups: Map<number, RecordGroup>;
    let firstSlot: number;
    try {
      // Placed only now: the topic may have been deleted or recreated while the request waited.
      const location = this.locate(topic);
      firstSlot = location.firstSlot;
      groups = this.groupByPartition(topic, messages, records, location);
      // In a transaction, a partition is registered with the coordinator before its first batch.
      const registering = this.txn?.register(topic, groups.keys());
      if (registering !== undefined) await registering;
    } catch (error) {
      this.buffer.release(sizeBytes);
      return rejectLater(error);
    }
    const results = new Array<SendResult>(messages.length);
    const sendGroup = ([partition, group]: [number, RecordGroup]) =>
      new Promise<void>((resolve, reject) => {
        const { indexes } = group;
        const count = group.records.length;
        this.add(topic, partition, firstSlot + partition, group, (error, offset) => {
          if (error !== undefined) return reject(error);
          for (let i = 0; i < count; i++) {
            results[indexes === undefined ? i : indexes[i]] =
              { topic, partition, offset: offset < 0 ? -1 : offset + i };
          }
          resolve();
        });
      });
    await Promise.all([...groups].map(sendGroup));
    return results;
  }

  /**
   * Messages with `delayMs` or `deliverAt` are parked in the delayed topic (delayed-message.ts),
   * each with the partition this producer's partitioner chose for it now; the others go to
   * `topic` as usual. The parked ones resolve when they are durable at this producer's acks.
   */
  private async sendWithDelays(topic: string, messages: readonly Message[]):
  Promise<SendResult[]> {
    const delayed: number[] = [];
    const plain: number[] = [];
    const parked: RecordInput[] = [];
    const results = new Array<SendResult>(messages.length);
    try {
      const location = this.locate(topic);
      if (this.directory.lookup(delayedTopicName) === undefined) {
        throw new MambaError('INVALID_CONFIG', 'delayed delivery is off in this broker ' +
          '(Broker.open({ delayedDelivery: false }))');
      }
      const nowMs = Date.now();
      messages.forEach((message, index) => (hasDelay(message) ? delayed : plain).push(index));
      for (const index of delayed) {
        const message = messages[index];
        const dueMs = dueTimeMs(message, nowMs);
        const record = toRecord(message);
        const partition = this.partitionFor(topic, message, record, location.partitionCount);
        checkRecordSize(location, partition, record);
        const headers = parkedHeaders(record.headers ?? undefined, topic, partition,
          record.timestamp ?? nowMs);
        parked.push({ key: record.key ?? null, value: record.value, timestamp: dueMs, headers });
        results[index] = { topic, partition, offset: -1, deliverAtMs: dueMs };
      }
    } catch (error) {
      return rejectLater(error);
    }
    // One partition takes every parked message: chunks of about `batchBytes` keep each batch
    // within a ring frame, however many messages one sendBatch parks.
    const chunks: RecordInput[][] = [[]];
    let chunkBytes = 0;
    for (const record of parked) {
      const sizeBytes = recordSizeBytes(record);
      if (chunkBytes + sizeBytes > this.config.batchBytes && chunks[chunks.length - 1].length > 0) {
        chunks.push([]);
        chunkBytes = 0;
      }
      chunks[chunks.length - 1].push(record);
      chunkBytes += sizeBytes;
    }
    // A parked record is a message without partition or delay: its own Message view.
    const sendChunk = (chunk: RecordInput[]) =>
      this.sendToTopic(delayedTopicName, chunk as Message[], chunk);
    const [, plainResults] = await Promise.all([
      Promise.all(chunks.map(sendChunk)),
      plain.length === 0 ? [] : this.sendToTopic(topic, plain.map((index) => messages[index])),
    ]);
    plain.forEach((index, i) => { results[index] = plainResults[i]; });
    return results;
  }

  /**
   * The records per partition. A request whose records all go to one partition (keyless records
   * with the sticky partitioner, one key, one explicit partition) is one group over `records`
   * itself: no copy and no index per record.
   */
  private groupByPartition(topic: string, messages: readonly Message[], records: RecordInput[],
    location: TopicLocation): Map<number, RecordGroup> {
    const groups = new Map<number, RecordGroup>();
    let firstPartition = -1;
    let firstSizeBytes = 0;
    for (let index = 0; index < messages.length; index++) {
      const record = records[index];
      const partition = this.partitionFor(topic, messages[index], record,
        location.partitionCount);
      const sizeBytes = checkRecordSize(location, partition, record);
      if (index === 0) firstPartition = partition;
      if (groups.size === 0) {
        if (partition === firstPartition) {
          firstSizeBytes += sizeBytes;
          continue;
        }
        // The first record for another partition: the run so far becomes a group of its own.
        groups.set(firstPartition, { records: records.slice(0, index),
          indexes: Array.from({ length: index }, (_, i) => i), sizeBytes: firstSizeBytes });
      }
      let group = groups.get(partition);
      if (group === undefined) {
        groups.set(partition, group = { records: [], indexes: [], sizeBytes: 0 });
      }
      group.records.push(record);
      group.indexes!.push(index);
      group.sizeBytes += sizeBytes;
    }
    if (groups.size === 0 && messages.length > 0) {
      groups.set(firstPartition, { records, indexes: undefined, sizeBytes: firstSizeBytes });
    }
    return groups;
  }

  /** Bytes of records this producer holds now (never more than `maxBufferedBytes`). */
  get bufferedBytes(): number {
    return this.buffer.bufferedBytes;
  }

  /**
   * Seals every open batch and waits until each batch sent so far, including sends still
   * waiting for room, is settled.
   */
  async flush(): Promise<void> {
    for (;;) {
      this.sealAll();
      if (this.inFlight === 0 && this.buffer.waitingCount === 0) return;
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    await this.txn?.close();
    await this.flush();
    this.isClosed = true;
    if (this.ownsSession) this.session.close();
  }

  private locate(topic: string): TopicLocation {
    if (this.isClosed) throw closed('PRODUCER_CLOSED', 'producer');
    const location = this.directory.lookup(topic);
    if (location === undefined) throw unknownTopic(topic);
    return location;
  }

  private partitionFor(topic: string, message: Message, record: RecordInput,
    partitionCount: number): number {
    const { partition } = message;
    if (partition === undefined) {
      return this.chooser.choose(topic, record.key ?? null, partitionCount);
    }
    checkPartition(topic, partition, partitionCount);
    return partition;
  }

  private add(topic: string, partition: number, slot: number, group: RecordGroup,
    done: Waiter['done']): void {
    const { records } = group;
    let batch = this.open.get(slot);
    if (batch === undefined) {
      // The group's array was made for this request: the batch takes it over, uncopied.
      batch = { topic, partition, slot, records, sizeBytes: group.sizeBytes,
        waiters: [{ first: 0, count: records.length, done }], retries: 0 };
      this.open.set(slot, batch);
    } else {
      batch.waiters.push({ first: batch.records.length, count: records.length, done });
      for (let i = 0; i < records.length; i++) batch.records.push(records[i]);
      batch.sizeBytes += group.sizeBytes;
    }
    if (batch.sizeBytes >= this.config.batchBytes) {
      this.seal(batch);
      return;
    }
    this.scheduleSeal();
  }

  private scheduleSeal(): void {
    if (this.config.lingerMs === 0) {
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      queueMicrotask(() => this.sealAll());
    } else if (this.lingerTimer === undefined) {
      this.lingerTimer = setTimeout(() => this.sealAll(), this.config.lingerMs);
    }
  }

  private sealAll(): void {
    this.flushScheduled = false;
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    for (const batch of [...this.open.values()]) this.seal(batch);
  }

  private seal(open: OpenBatch): void {
    this.open.delete(open.slot);
    this.chooser.batchSealed(open.topic);
    this.inFlight++;
    let meta: BatchMeta | undefined;
    const batch: OutgoingBatch = {
      slot: open.slot,
      topic: open.topic,
      partition: open.partition,
      acks: ackLevels[String(this.config.acks)],
      records: open.records,
      timeoutMs: this.config.requestTimeoutMs,
      // A retried batch is sent again with the sequence it had, so the actor recognises it if
      // the first send was appended after all (a TIMEOUT that came before the ack).
      meta: () => meta ??= this.nextMeta(open.slot, open.records.length),
      settle: (error, baseOffset) => {
        if (error !== undefined && this.retrySend(open, batch, error)) return;
        this.settled(open, error, baseOffset);
      },
      compression: this.codec,
    };
    const inFlight = this.inFlightBySlot.get(open.slot) ?? 0;
    // With retries, one batch per partition at a time: a batch sent again must not follow a
    // later one, whose sequence would then be out of order.
    const inFlightMax = this.retry === undefined ? inFlightBatchesPerPartitionMax : 1;
    if (inFlight >= inFlightMax) {
      // The actor recognises a replayed batch only among a partition's last
      // inFlightBatchesPerPartitionMax batches per producer, so no more may be outstanding.
      const waiting = this.waitingBySlot.get(open.slot) ?? [];
      waiting.push(batch);
      this.waitingBySlot.set(open.slot, waiting);
      return;
    }
    this.inFlightBySlot.set(open.slot, inFlight + 1);
    this.session.submit(batch);
  }

  /**
   * Sends a batch again after a retriable error, up to `retry.retries` times, after the
   * backoff; false when it is to fail instead. The batch keeps its place (slot, buffer room).
   */
  private retrySend(open: OpenBatch, batch: OutgoingBatch, error: Error): boolean {
    const retry = this.retry;
    if (retry === undefined || !(error instanceof MambaError) || !error.retriable ||
      open.retries >= retry.retries || this.isClosed) {
      return false;
    }
    open.retries++;
    setTimeout(() => this.session.submit(batch), backoffDelayMs(retry, open.retries));
    return true;
  }

  private releaseSlot(slot: number): void {
    const next = this.waitingBySlot.get(slot)?.shift();
    if (next !== undefined) {
      this.session.submit(next);
      return;
    }
    const inFlight = (this.inFlightBySlot.get(slot) ?? 1) - 1;
    if (inFlight === 0) this.inFlightBySlot.delete(slot);
    else this.inFlightBySlot.set(slot, inFlight);
  }

  private nextMeta(slot: number, recordCount: number): BatchMeta {
    if (this.producerId < 0n) return {};
    const baseSequence = this.sequences.get(slot) ?? 0;
    this.sequences.set(slot, (baseSequence + recordCount) % 0x8000_0000);
    return { producerId: this.producerId, producerEpoch: this.epoch, baseSequence,
      attributes: this.batchAttributes };
  }

  private settled(open: OpenBatch, error: Error | undefined, baseOffset: number): void {
    if (error !== undefined && this.producerId >= 0n && this.txn === undefined) {
      // The failed batch left a gap in this partition's sequence: start a new epoch. (A
      // transactional producer's epoch is the coordinator's: transaction.ts asks for one.)
      this.epoch = (this.epoch + 1) & 0x7fff;
      this.sequences.clear();
    }
    this.releaseSlot(open.slot);
    this.buffer.release(open.sizeBytes);
    const settle = (): void => {
      for (const waiter of open.waiters) {
        waiter.done(error, baseOffset < 0 ? -1 : baseOffset + waiter.first);
      }
    };
    // A failure can come straight from submit (a failed partition, a closed broker): settle it
    // on a later turn of the event loop, like an I/O error, so retry loops let timers run.
    if (error === undefined) settle();
    else setImmediate(settle);
    if (--this.inFlight === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}

function checkPartition(topic: string, partition: number, partitionCount: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
    throw new MambaError('INVALID_PARTITION',
      `partition ${partition} out of range: topic ${topic} has ${partitionCount}`,
      { detail: { topic, partition } });
  }
}

/** A rejection delivered on a later turn of the event loop (issue 17, item 3). */
function rejectLater<T>(error: unknown): Promise<T> {
  return new Promise((_resolve, reject) => { setImmediate(reject, error); });
}

function toBytes(value: unknown, what: string): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return encoder.encode(value);
  if (value instanceof Uint8Array) return value;
  throw new MambaError('INVALID_RECORD', `${what} must be a string or a Uint8Array`);
}

export function toRecord(message: Message): RecordInput {
  if (typeof message !== 'object' || message === null) {
    throw new MambaError('INVALID_RECORD', 'a message must be an object with a value');
  }
  if (isRecordAlready(message)) {
    // Bytes in, no headers or timestamp to convert: the message is encoded as it is, with no
    // allocation per record (the hot path of sendBatch).
    return message;
  }
  const record: RecordInput = {
    key: toBytes(message.key, 'message.key'),
    value: toBytes(message.value, 'message.value'),
  };
  if (message.headers !== undefined) {
    record.headers = Object.entries(message.headers).map(([name, value]) =>
      [name, toBytes(value, `message.headers.${name}`) ?? new Uint8Array(0)]);
  }
  if (message.timestamp !== undefined) {
    if (!Number.isSafeInteger(message.timestamp) || message.timestamp < 0) {
      throw new MambaError('INVALID_RECORD', 'message.timestamp must be a non-negative integer');
    }
    record.timestamp = message.timestamp;
  }
  return record;
}

function isRecordAlready(message: Message): message is Message & RecordInput {
  const { key, value } = message;
  return message.headers === undefined && message.timestamp === undefined &&
    (value === null || value instanceof Uint8Array) &&
    (key === undefined || key === null || key instanceof Uint8Array);
}

/**
 * A record over its topic's `maxRecordBytes` (counted by `recordSizeBytes`, as documented on
 * TopicOptions) is refused before it joins a batch, naming where it was going. Returns its size.
 */
function checkRecordSize(location: TopicLocation, partition: number, record: RecordInput,
): number {
  const sizeBytes = recordSizeBytes(record);
  const { topic, maxRecordBytes } = location;
  if (sizeBytes <= maxRecordBytes) return sizeBytes;
  throw new MambaError('RECORD_TOO_LARGE', `${topic}/${partition}: record of ${sizeBytes} ` +
    `bytes exceeds maxRecordBytes ${maxRecordBytes}`,
  { detail: { topic, partition, sizeBytes, maxRecordBytes } });
}

/** Key, value, header names (UTF-8 at most 3 bytes a character) and values, and framing. */
export function recordSizeBytes(record: RecordInput): number {
  let size = recordOverheadBytes + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  if (!record.headers) return size;
  for (const [name, value] of record.headers) size += name.length * 3 + value.length + 10;
  return size;
}
