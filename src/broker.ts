/**
 * The embedded broker: the one object a program opens. It owns the data directory (and its
 * lock), the supervisor and its partition actors, the shared control block and topic
 * directory, and the main thread's producer session.
 *
 * ```ts
 * const broker = await Broker.open({ dataDir: './data', actors: 2 });
 * await broker.createTopic('orders', { partitions: 4 });
 * const producer = broker.producer({ acks: 'all' });
 * const { partition, offset } = await producer.send('orders', { key: 'k', value: 'v' });
 * await broker.close();
 * ```
 */
import { initCompression } from './records/index.js';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { BroadcastChannel } from 'node:worker_threads';
import { assert } from './assert.js';
import { MambaError, closed, invalidConfig } from './errors.js';
import {
  isCompacted, resolveBrokerOptions, resolveProducerOptions, resolveTopicOptions,
  validateTopicName,
  type BrokerConfig, type BrokerOptions, type ProducerOptions, type TopicConfig,
  type TopicOptions,
} from './options.js';
import { resolveListenOptions, type ListenOptions } from './listen-options.js';
import { BROKER_EVENTS, type BrokerEventMap } from './broker-events.js';
import { ControlBlock, PartitionState, TopicDirectory } from './shm/index.js';
import { CRASH_MODES, type ActorStats, type CrashMode } from './actors/index.js';
import {
  DataDirLock, LogCleaner, SessionFactory, Supervisor, TopicRegistry, type CompactionResult,
} from './supervisor/index.js';
import {
  Consumer, Producer, ProducerSession, listDeadLetters, localGroupClient, partitionDirectory,
  replayDeadLetters,
  resolveConsumerOptions, type ConsumedMessageJson, type DeadLetterQuery, type ReplayOptions,
  type ReplayResult, type ScanContext,
  serveGroupChannel, type ConsumerHandle, type ConsumerOptions, type ProducerHandle,
  type ProducerHandleOptions,
} from './client/index.js';
import { GroupRegistry, OffsetStore, serveClassicRequest } from './coordinator/index.js';
import { Door, type DoorBackend } from './door/index.js';
import { backupDataDir, type BackupReport } from './ops/index.js';
import { RemoteBroker, type ConnectOptions } from './remote/index.js';
import {
  BrokerOps, type AlertConfigInput, type AlertEngine, type HttpListenOptions, type OpsGroup,
  type OpsHttpServer, type OpsSource,
} from './ops/index.js';
import { DelayService, type DelayStats } from './delay/index.js';
import {
  TransactionCoordinator, emptyTransactionLog, loadTransactionLog,
  type TransactionDescription, type TransactionLogWriter,
} from './transactions/index.js';
import {
  delayedRetentionMs, delayedSegmentSizeBytes, delayedTopicName, internalTopicPrefix,
  recordSizeBytesMax, transactionLogSegmentSizeBytes, transactionLogTopicName,
} from './constants.js';

export interface PartitionDescription {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  durableOffset: number;
  actorIndex: number;
  state: 'unassigned' | 'recovering' | 'ready' | 'failed' | 'deleted';
}

export interface TopicDescription {
  topic: string;
  config: TopicConfig;
  partitions: PartitionDescription[];
}

export type { BrokerEvent } from './broker-events.js';

export type { ListenOptions } from './listen-options.js';

const stateNames: PartitionDescription['state'][] =
  ['unassigned', 'recovering', 'ready', 'failed', 'deleted'];

export class Broker extends EventEmitter<BrokerEventMap> {
  private readonly producers = new Set<Producer>();
  private readonly sessions: SessionFactory;
  private mainSession: ProducerSession | undefined;
  private isClosed = false;
  private closing: Promise<void> | undefined;
  // The read side: committed offsets, the group coordinators, consumers in this thread, and
  // the channels that serve group requests of consumers in other threads.
  private offsets!: OffsetStore;
  private groups!: GroupRegistry;
  private readonly consumers = new Set<Consumer>();
  private readonly groupChannels = new Set<BroadcastChannel>();
  private readonly doors = new Set<Door>();
  private readonly cleaner: LogCleaner;
  // Metrics, the HTTP port and alert rules (src/ops/).
  private ops!: BrokerOps;
  private delayService: DelayService | undefined;
  // Transactions (src/transactions/): the coordinator, and the producer and topic of its log,
  // both made on the first transactional call.
  private transactions!: TransactionCoordinator;
  private transactionLogProducer: Producer | undefined;
  private transactionLogReady: Promise<void> | undefined;

  private constructor(
    readonly config: BrokerConfig,
    private readonly lock: DataDirLock,
    private readonly controlBlock: ControlBlock,
    private readonly directory: TopicDirectory,
    private readonly supervisor: Supervisor,
    private readonly topics: TopicRegistry,
  ) {
    super();
    this.sessions = new SessionFactory(config.actors, supervisor, controlBlock, directory);
    this.cleaner = new LogCleaner(supervisor, topics);
    for (const event of BROKER_EVENTS) {
      supervisor.on(event, (payload: BrokerEventMap[typeof event][0]) => {
        (this.emit as (name: string, ...args: unknown[]) => boolean)(event, payload);
      });
    }
  }

  /** Opens (or creates) the data directory, starts the actors and recovers every partition. */
  static async open(options: BrokerOptions): Promise<Broker> {
    const config = resolveBrokerOptions(options);
    const lock = DataDirLock.acquire(config.dataDir);
    let supervisor: Supervisor | undefined;
    let offsets: OffsetStore | undefined;
    try {
      // The codecs' one asynchronous start (zstd's wasm), so that producers and consumers of
      // this thread compress and inflate synchronously.
      await initCompression();
      offsets = await OffsetStore.open(config.dataDir);
      const controlBlock = ControlBlock.create();
      const directory = TopicDirectory.create();
      supervisor = new Supervisor(controlBlock, config.actors, config);
      const topics = TopicRegistry.load(config.dataDir, config.actors, supervisor, controlBlock,
        directory);
      const broker = new Broker(config, lock, controlBlock, directory, supervisor, topics);
      broker.openGroups(offsets);
      broker.ops = new BrokerOps(broker.opsSource());
      await supervisor.start();
      broker.mainSession = new ProducerSession(broker.sessions.create());
      await topics.openAll();
      await broker.clampCommittedOffsets();
      broker.startTransactions();
      if (config.delayedDelivery) await broker.startDelayService();
      return broker;
    } catch (error) {
      await supervisor?.stop().catch(() => undefined);
      await offsets?.close().catch(() => undefined);
      lock.release();
      throw error;
    }
  }

  /**
   * A client of a broker across the network — `mamba serve` or any Kafka-compatible cluster —
   * with this class's API: `producer()`, `consumer()`, the topic calls and `close()` (see
   * src/remote/remote-broker.ts for what differs). Moving a program from embedded to remote is
   * changing `Broker.open({ dataDir })` into `Broker.connect({ brokers })`.
   */
  static connect(options: ConnectOptions): Promise<RemoteBroker> {
    return RemoteBroker.connect(options);
  }

  get dataDir(): string {
    return this.config.dataDir;
  }

  get actorCount(): number {
    return this.config.actors;
  }

  async createTopic(topic: string, options: TopicOptions = {}): Promise<void> {
    this.checkOpen();
    validateTopicName(topic);
    checkNotInternal(topic);
    await this.topics.create(topic, resolveTopicOptions(options, this.config.maxRecordBytes));
    this.groups.topicsChanged();
  }

  /** Creates `topic` unless it exists (dead-letter and retry topics, made on first use). */
  private async ensureTopic(topic: string, partitions: number): Promise<void> {
    if (this.directory.lookup(topic) !== undefined) return;
    try {
      await this.createTopic(topic, { partitions });
    } catch (error) {
      if (!MambaError.is(error, 'TOPIC_EXISTS')) throw error;
    }
  }

  async deleteTopic(topic: string): Promise<void> {
    this.checkOpen();
    checkNotInternal(topic);
    await this.topics.remove(this.topics.get(topic));
    await this.offsets.deleteTopic(topic);
    this.groups.topicsChanged();
  }

  /**
   * Compacts a topic now (cleanupPolicy 'compact' or 'compact,delete'): each partition's
   * active segment is sealed, every sealed segment is rewritten by the background cleaner to
   * keep the latest record per key (and tombstones younger than `deleteRetentionMs`), and the
   * cleaned segments are swapped in. Resolves once swapped, with what each partition's round
   * did. The cleaner also runs by itself when a partition's dirty ratio passes
   * `minCleanableDirtyRatio`.
   */
  async compact(topic: string): Promise<CompactionResult[]> {
    this.checkOpen();
    const record = this.topics.get(topic);
    if (!isCompacted(record.config)) {
      throw invalidConfig('topic', topic,
        "a topic with cleanupPolicy 'compact' or 'compact,delete'");
    }
    return this.cleaner.compact(record);
  }

  listTopics(): string[] {
    this.checkOpen();
    return this.topics.topics.map((t) => t.name).filter((name) => !isInternalTopic(name));
  }

  /** The delay service's counters; undefined when `delayedDelivery` is off. */
  delayStats(): DelayStats | undefined {
    this.checkOpen();
    return this.delayService?.statistics;
  }

  /**
   * Delayed delivery: the internal topic that holds parked messages (one partition, small
   * segments, kept past the longest delay), and the service that delivers them (src/delay/).
   */
  private async startDelayService(): Promise<void> {
    if (this.topics.find(delayedTopicName) === undefined) {
      await this.topics.create(delayedTopicName, resolveTopicOptions({
        partitions: 1, segmentBytes: delayedSegmentSizeBytes, retentionMs: delayedRetentionMs,
        maxRecordBytes: recordSizeBytesMax,
      }, this.config.maxRecordBytes));
    }
    const producer = this.producer({ acks: 'all', idempotent: true });
    this.delayService = await DelayService.start({
      dataDir: this.config.dataDir, controlBlock: this.controlBlock, directory: this.directory,
      producer,
    });
  }

  async describeTopic(topic: string): Promise<TopicDescription> {
    this.checkOpen();
    const record = this.topics.get(topic);
    const block = this.controlBlock;
    return {
      topic,
      config: record.config,
      partitions: this.topics.slotsOf(record).map((slot, partition) => ({
        partition,
        logStartOffset: block.logStartOffset(slot),
        highWatermark: block.highWatermark(slot),
        durableOffset: block.durableOffset(slot),
        actorIndex: this.topics.actorOf(slot),
        state: stateNames[block.partitionState(slot)],
      })),
    };
  }

  /**
   * A producer on the main thread. With `transactionalId` it is transactional:
   * `await producer.transaction()` (client/transaction.ts).
   */
  producer(options?: ProducerOptions): Producer {
    this.checkOpen();
    assert(this.mainSession !== undefined, 'main session exists once open');
    const producer = new Producer(this.mainSession, this.directory, options, false,
      this.transactions);
    this.producers.add(producer);
    return producer;
  }

  /**
   * A value to pass to another worker thread (in `workerData` or `postMessage`; it holds only
   * SharedArrayBuffers and numbers), where `Producer.attach(handle)` gives a producer with the
   * same API. Each handle is a session of its own: one thread should attach it.
   */
  producerHandle(options: ProducerHandleOptions = {}): ProducerHandle {
    this.checkOpen();
    resolveProducerOptions(options);
    if (options.transactionalId !== undefined) {
      throw invalidConfig('options.transactionalId', options.transactionalId,
        'absent: transactional producers are made by broker.producer() on this thread');
    }
    if (typeof options.partitioner === 'function') {
      throw invalidConfig('options.partitioner', 'a function',
        "'murmur2' or 'round-robin' for a producer in another thread");
    }
    const { partitioner, ...rest } = options;
    return {
      session: this.sessions.create(),
      options: { ...rest, partitioner: partitioner as 'murmur2' | 'round-robin' | undefined },
    };
  }

  /**
   * A consumer in this thread. It reads the segment files itself (never through an actor) and,
   * with a groupId, joins that group's coordinator on this thread.
   */
  consumer(options?: ConsumerOptions): Consumer {
    this.checkOpen();
    // Dead letters and retry topics go through one producer of the consumer's own.
    let producer: Producer | undefined;
    const consumer: Consumer = new Consumer({
      controlBlock: this.controlBlock, directory: this.directory, dataDir: this.config.dataDir,
      groupClient: () => localGroupClient(this.groups),
      onClose: () => {
        this.consumers.delete(consumer);
        void producer?.close();
      },
      delivery: {
        producer: () => producer ??= this.producer({ acks: 'all' }),
        ensureTopic: (topic, partitions) => this.ensureTopic(topic, partitions),
      },
    }, options);
    this.consumers.add(consumer);
    return consumer;
  }

  /**
   * A value to pass to another worker thread (in `workerData` or `postMessage`; plain data, no
   * transfer list needed: see client/consumer-handle.ts), where `Consumer.attach(handle)`
   * gives a consumer with the same API. Close such consumers before the broker.
   */
  consumerHandle(options: ConsumerOptions = {}): ConsumerHandle {
    this.checkOpen();
    resolveConsumerOptions(options);
    const groupChannel = `mamba-group-${randomUUID()}`;
    this.groupChannels.add(serveGroupChannel(this.groups, groupChannel));
    return {
      options: { ...options }, dataDir: this.config.dataDir,
      controlBlock: this.controlBlock.buffer, topicDirectory: this.directory.buffer, groupChannel,
    };
  }

  /**
   * The dead letters in `query.topic` (optionally those matching `where`), as plain objects
   * (client/dead-letter-replay.ts).
   */
  listDeadLetters(query: DeadLetterQuery): ConsumedMessageJson[] {
    this.checkOpen();
    return listDeadLetters(this.scanContext(), query);
  }

  /**
   * Sends the dead letters of `options.topic` (those matching `where`) back to `to`, or each to
   * its original topic; resolves once all are acknowledged (acks 'all').
   */
  async replayDeadLetters(options: ReplayOptions): Promise<ReplayResult> {
    this.checkOpen();
    const producer = this.producer({ acks: 'all' });
    try {
      return await replayDeadLetters(this.scanContext(), producer, options);
    } finally {
      await producer.close();
    }
  }

  private scanContext(): ScanContext {
    return { controlBlock: this.controlBlock, directory: this.directory,
      dataDir: this.config.dataDir };
  }

  /** A transactional id's state at the transaction coordinator (undefined if never seen). */
  describeTransaction(transactionalId: string): Promise<TransactionDescription | undefined> {
    this.checkOpen();
    return this.transactions.describe(transactionalId);
  }

  /**
   * The transaction coordinator over its log: loaded from the internal compacted topic if
   * it exists (the coordinator then finishes what a crash left in Prepare* and times out
   * what stayed Ongoing), else empty; the topic is created on the first write.
   */
  private startTransactions(): void {
    const location = this.directory.lookup(transactionLogTopicName);
    const block = this.controlBlock;
    const loaded = location === undefined ? emptyTransactionLog() : loadTransactionLog(
      partitionDirectory(this.config.dataDir, transactionLogTopicName, 0),
      block.logStartOffset(location.firstSlot), block.highWatermark(location.firstSlot));
    const log: TransactionLogWriter = {
      append: async (records) => {
        await (this.transactionLogReady ??= this.createTransactionLog());
        await this.transactionLogProducer!.sendBatch(transactionLogTopicName,
          records.map(({ key, value }) => ({ key, value, partition: 0 })));
      },
    };
    this.transactions = TransactionCoordinator.start({
      log, loaded, markers: this.supervisor, offsets: this.offsets,
      partitionCount: (topic) => this.directory.lookup(topic)?.partitionCount,
    });
  }

  private async createTransactionLog(): Promise<void> {
    if (this.topics.find(transactionLogTopicName) === undefined) {
      await this.topics.create(transactionLogTopicName, resolveTopicOptions({
        partitions: 1, cleanupPolicy: 'compact', segmentBytes: transactionLogSegmentSizeBytes,
        maxRecordBytes: recordSizeBytesMax,
      }, this.config.maxRecordBytes));
    }
    // Kept apart from `producers`: it closes after the coordinator, which writes through it.
    this.transactionLogProducer = new Producer(this.mainSession!, this.directory,
      { acks: 'all', idempotent: true, lingerMs: 0 }, false);
  }

  /** The offset a group committed for a partition (the next record it will read), if any. */
  committedOffset(groupId: string, topic: string, partition: number): number | undefined {
    this.checkOpen();
    return this.offsets.committed(groupId, topic, partition);
  }

  /**
   * Chaos hook for tests and crash drills; resolves once the actor's worker has exited. A `hang`
   * or `hang-wait` actor stays alive until the heartbeat deadline has it terminated.
   */
  async crashActor(index: number, mode: CrashMode | 'terminate'): Promise<void> {
    this.checkOpen();
    if (!Number.isInteger(index) || index < 0 || index >= this.config.actors) {
      throw invalidConfig('index', index, `an actor index from 0 to ${this.config.actors - 1}`);
    }
    if (mode !== 'terminate' && !CRASH_MODES.includes(mode)) {
      throw invalidConfig('mode', mode, `'terminate' or one of ${CRASH_MODES.join(', ')}`);
    }
    await this.supervisor.crash(index, mode);
  }

  /**
   * Flushes every partition to disk and writes its checkpoint now (the actors also do this every
   * second). Afterwards every record so far is below its partition's recovery point, where
   * damage found at the next open is reported as CORRUPT_LOG instead of cleared as a torn tail.
   */
  async checkpoint(): Promise<void> {
    this.checkOpen();
    await this.supervisor.checkpointAll();
  }

  /**
   * Brings a failed partition back without closing the broker: if its actor was given up, that
   * actor is started afresh now (instead of after `actorRetryCooldownMs`, which also brings
   * back its other partitions); if only this partition's recovery failed, it is opened again.
   * Resolves once the partition is ready; rejects with why it failed again. A partition that is
   * not failed is left alone.
   */
  async restartPartition(topic: string, partition: number): Promise<void> {
    this.checkOpen();
    const record = this.topics.get(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition >= record.config.partitions) {
      throw new MambaError('INVALID_PARTITION',
        `topic ${JSON.stringify(topic)} has no partition ${partition}`,
        { detail: { topic, partition } });
    }
    const slot = record.firstSlot + partition;
    const actorIndex = this.topics.actorOf(slot);
    if (this.supervisor.actorFailed(actorIndex)) {
      await this.supervisor.restartActor(actorIndex);
    } else if (this.controlBlock.partitionState(slot) === PartitionState.FAILED) {
      await this.supervisor.reopenFailedPartition(actorIndex, slot);
    }
  }

  /** Resolves once every actor is running again after crashes (or was given up). */
  async settled(): Promise<void> {
    await this.supervisor.settled();
  }

  /** One entry per actor: its counters and the partitions it serves. */
  async stats(): Promise<ActorStats[]> {
    this.checkOpen();
    return Promise.all(Array.from({ length: this.config.actors },
      (_, index) => this.supervisor.stats(index)));
  }

  /**
   * Opens a Kafka door: Kafka clients (kcat, kafkajs, librdkafka, …) can produce, fetch and
   * administer topics at the address it listens on. It runs in a worker thread of its own.
   */
  async listen(options: ListenOptions = {}): Promise<Door> {
    this.checkOpen();
    const config = resolveListenOptions(options, this.config);
    const door = await Door.start(this.doorBackend(), config, () => this.doors.delete(door));
    this.doors.add(door);
    return door;
  }

  /**
   * The Prometheus text exposition of the broker's metrics (what `/metrics` serves): partition
   * watermarks and sizes, produce and consume counters, latency histograms, groups' lag, actors,
   * the door, and the process.
   */
  async metrics(): Promise<string> {
    this.checkOpen();
    return this.ops.render();
  }

  /**
   * Opens the operations HTTP port: `/metrics`, `/healthz`, `/readyz`, and the live dashboard
   * at `/`. Default 127.0.0.1:9644; port 0 lets the system choose (see `address()`).
   */
  async listenHttp(options: HttpListenOptions = {}): Promise<OpsHttpServer> {
    this.checkOpen();
    return this.ops.listenHttp(options);
  }

  /**
   * Evaluates alert rules inside the broker (a YAML file's path, or the rules as an object) and
   * posts firing and resolved notifications to their webhooks in Alertmanager's format.
   * Replaces rules set before; bad rules reject with INVALID_CONFIG naming the rule.
   */
  async alerts(rules: string | AlertConfigInput): Promise<AlertEngine> {
    this.checkOpen();
    return this.ops.alerts(rules);
  }

  private opsSource(): OpsSource {
    return {
      dataDir: this.config.dataDir, actorCount: this.config.actors,
      controlBlock: this.controlBlock, events: this.supervisor,
      topics: () => this.topics.topics.map((t) => ({
        name: t.name, firstSlot: t.firstSlot, partitions: t.config.partitions,
      })),
      actorOf: (slot) => this.topics.actorOf(slot),
      groups: () => this.opsGroups(),
      heartbeatAgeMs: (actor) => this.supervisor.heartbeatAgeMs(actor),
      ringOccupancy: (actor) => this.supervisor.ringOccupancy(actor),
      producerBufferedBytes: () => this.sessions.bufferedBytes(),
    };
  }

  private opsGroups(): OpsGroup[] {
    const ids = new Set([...this.offsets.groups(), ...this.groups.groupIds()]);
    return [...ids].sort().map((groupId) => {
      const description = this.groups.find(groupId)?.describe();
      return {
        groupId, generation: description?.generation ?? 0,
        members: (description?.members ?? []).map((m) => ({
          memberId: m.memberId, assigned: m.assigned,
        })),
        committed: this.offsets.committedOffsets(groupId),
      };
    });
  }

  private doorBackend(): DoorBackend {
    return {
      dataDir: this.config.dataDir,
      newSession: () => this.sessions.create(),
      topics: () => this.topics.topics.filter((t) => !isInternalTopic(t.name)).map((t) => ({
        name: t.name, id: t.topicId, uuid: t.uuid!, partitions: t.config.partitions,
        config: t.config,
      })),
      createTopic: (name, options) => this.createTopic(name, options),
      deleteTopic: (name) => this.deleteTopic(name),
      classicGroups: (request) => serveClassicRequest(this.groups, request),
    };
  }

  /**
   * An online backup of the data directory into `dir`, a directory that does not exist or is
   * empty (ops/backup.ts: the snapshot's order, the manifest of SHA-256 checksums). Every
   * partition is flushed and checkpointed first, so every record acknowledged before the call
   * is in the backup and below its recovery point; the snapshot is checked to reach each
   * partition's durable offset (from the control block). `incrementalFrom`: a previous backup
   * whose sealed segments are named instead of copied. Producers may keep sending meanwhile.
   */
  async backup(dir: string, options: { incrementalFrom?: string } = {}): Promise<BackupReport> {
    this.checkOpen();
    if (typeof dir !== 'string' || dir === '') throw invalidConfig('dir', dir, 'a path');
    const from = options.incrementalFrom;
    if (from !== undefined && (typeof from !== 'string' || from === '')) {
      throw invalidConfig('options.incrementalFrom', from, 'the path of a previous backup');
    }
    await this.supervisor.checkpointAll();
    const requiredEndOffsets = new Map<string, number>();
    for (const record of this.topics.topics) {
      for (const [partition, slot] of this.topics.slotsOf(record).entries()) {
        requiredEndOffsets.set(`${record.name}-${partition}`,
          this.controlBlock.durableOffset(slot));
      }
    }
    return backupDataDir(this.config.dataDir, dir, { incrementalFrom: from, requiredEndOffsets });
  }

  /** Flushes the main thread's producers, checkpoints and stops every actor, frees the lock. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    await this.ops.close();
    await Promise.allSettled([...this.doors].map((door) => door.close()));
    await this.delayService?.stop().catch((error: unknown) => {
      console.warn(`mamba: the delay service did not stop cleanly: ${String(error)}`);
    });
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.close()));
    await Promise.allSettled([...this.producers].map((producer) => producer.close()));
    await this.transactions.close();
    await this.transactionLogProducer?.close();
    this.isClosed = true;
    this.mainSession?.close();
    this.groups.close();
    for (const channel of this.groupChannels) channel.close();
    try {
      await this.cleaner.close();
      await this.offsets.close();
      await this.supervisor.stop();
      this.supervisor.closeSessions();
    } finally {
      this.lock.release();
    }
  }

  private openGroups(offsets: OffsetStore): void {
    this.offsets = offsets;
    this.groups = new GroupRegistry({
      offsets,
      partitionCount: (topic) => this.directory.lookup(topic)?.partitionCount,
    });
  }

  private checkOpen(): void {
    if (this.isClosed || this.closing !== undefined) throw closed('BROKER_CLOSED', 'broker');
  }

  /**
   * A committed offset past its partition's recovered log end means a power cut took records
   * the group had already read (acks 1 lets consumers read ahead of the durable offset). New
   * records will be written at those offsets again, and a group resuming from the old commit
   * would pass over them. So, before any member joins, such commits are moved back to the log
   * end — the single-node counterpart of Kafka's truncation detection by leader epoch.
   */
  private async clampCommittedOffsets(): Promise<void> {
    for (const groupId of this.offsets.groups()) {
      const fixes = this.offsets.committedOffsets(groupId).flatMap((entry) => {
        const record = this.topics.find(entry.topic);
        if (record === undefined || entry.partition >= record.config.partitions) return [];
        const logEnd = this.controlBlock.highWatermark(record.firstSlot + entry.partition);
        return entry.offset > logEnd ? [{ ...entry, offset: logEnd }] : [];
      });
      if (fixes.length === 0) continue;
      for (const fix of fixes) {
        console.warn(`mamba: group ${JSON.stringify(groupId)} had committed past the end of ` +
          `${fix.topic}-${fix.partition} after recovery (records lost in a power cut); ` +
          `its offset is moved back to ${fix.offset}`);
      }
      await this.offsets.commit(groupId, fixes);
    }
  }
}

function isInternalTopic(topic: string): boolean {
  return topic.startsWith(internalTopicPrefix);
}

function checkNotInternal(topic: string): void {
  if (isInternalTopic(topic)) {
    throw invalidConfig('topic', topic, `a name not starting with ${internalTopicPrefix} ` +
      '(reserved for the broker\'s own topics)');
  }
}
