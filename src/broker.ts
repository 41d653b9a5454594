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
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { BroadcastChannel } from 'node:worker_threads';
import fs from 'node:fs';
import path from 'node:path';
import { assert } from './assert.js';
import { MambaError, closed, fromIoError, invalidConfig, unknownTopic } from './errors.js';
import {
  partitionsPerBrokerMax, ringCapacityBytesDefault, topicsPerBrokerMax,
} from './constants.js';
import {
  resolveBrokerOptions, resolveListenOptions, resolveTopicOptions, validateTopicName,
  type BrokerConfig,
  type BrokerOptions, type ProducerOptions, type TopicConfig, type TopicOptions,
} from './options.js';
import { ControlBlock, PartitionState } from './actors/control-block.js';
import type { ActorSessionSpec, CrashMode, PartitionSpec } from './actors/protocol.js';
import { DataDirLock } from './supervisor/data-dir-lock.js';
import {
  readManifest, writeManifest, type ManifestBody, type TopicRecord,
} from './supervisor/manifest.js';
import { Supervisor } from './supervisor/supervisor.js';
import { TopicDirectory } from './supervisor/topic-directory.js';
import { SpscRing } from './ringbuffer/index.js';
import { Producer, type ProducerHandle } from './client/producer.js';
import { ProducerSession } from './client/producer-session.js';
import { SESSION_CONTROL_SIZE_BYTES, type SessionHandle } from './client/session-layout.js';
import { Consumer } from './client/consumer.js';
import { serveGroupChannel, type ConsumerHandle } from './client/consumer-handle.js';
import { resolveConsumerOptions, type ConsumerOptions } from './client/consumer-options.js';
import { GroupRegistry, localGroupClient } from './client/groups/index.js';
import { OffsetStore } from './client/offset-store.js';
import { Door, type DoorBackend } from './door/index.js';

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

export interface ListenOptions {
  /** Default 127.0.0.1: never every interface unless asked. */
  host?: string;
  /** Default 9092; 0 lets the system choose (see `door.address()`). */
  port?: number;
  /** The `host:port` Metadata tells clients to connect to; default the bound address. */
  advertise?: string;
}

export type BrokerEvent = 'actor-exit' | 'actor-restart' | 'actor-ready' | 'actor-failed' |
  'partition-recovered' | 'partition-failed';

const ackRingCapacityBytes = 256 * 1024;
const stateNames: PartitionDescription['state'][] =
  ['unassigned', 'recovering', 'ready', 'failed', 'deleted'];

export class Broker extends EventEmitter {
  private readonly producers = new Set<Producer>();
  private nextSessionId = 1;
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

  private constructor(
    readonly config: BrokerConfig,
    private readonly lock: DataDirLock,
    private readonly controlBlock: ControlBlock,
    private readonly directory: TopicDirectory,
    private readonly supervisor: Supervisor,
    private manifest: ManifestBody,
  ) {
    super();
    for (const event of ['actor-exit', 'actor-restart', 'actor-ready', 'actor-failed',
      'partition-recovered', 'partition-failed'] as const) {
      supervisor.on(event, (payload) => this.emit(event, payload));
    }
  }

  /** Opens (or creates) the data directory, starts the actors and recovers every partition. */
  static async open(options: BrokerOptions): Promise<Broker> {
    const config = resolveBrokerOptions(options);
    const lock = DataDirLock.acquire(config.dataDir);
    let supervisor: Supervisor | undefined;
    let offsets: OffsetStore | undefined;
    try {
      offsets = await OffsetStore.open(config.dataDir);
      const manifest = readManifest(config.dataDir);
      const controlBlock = ControlBlock.create();
      supervisor = new Supervisor(controlBlock, config.actors, config);
      const broker = new Broker(config, lock, controlBlock, TopicDirectory.create(), supervisor,
        manifest);
      broker.openGroups(offsets);
      broker.giveTopicsUuids();
      await supervisor.start();
      broker.mainSession = new ProducerSession(broker.newSession());
      await Promise.all(manifest.topics.map((topic) => broker.openTopic(topic)));
      await broker.clampCommittedOffsets();
      return broker;
    } catch (error) {
      await supervisor?.stop().catch(() => undefined);
      await offsets?.close().catch(() => undefined);
      lock.release();
      throw error;
    }
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
    const config = resolveTopicOptions(options);
    if (this.manifest.topics.some((t) => t.name === topic)) {
      throw new MambaError('TOPIC_EXISTS', `topic ${JSON.stringify(topic)} already exists`,
        { detail: { topic } });
    }
    if (this.manifest.topics.length >= topicsPerBrokerMax) {
      throw invalidConfig('topic count', this.manifest.topics.length + 1,
        `at most ${topicsPerBrokerMax}`);
    }
    const record: TopicRecord = {
      name: topic, topicId: this.manifest.nextTopicId, uuid: randomUUID(),
      firstSlot: this.freeSlots(config.partitions),
      config, createdAtMs: Date.now(),
    };
    this.saveManifest({
      ...this.manifest, nextTopicId: this.manifest.nextTopicId + 1,
      topics: [...this.manifest.topics, record],
    });
    try {
      await this.openTopic(record);
    } catch (error) {
      // Nothing half-made stays behind: close what opened, forget the topic, remove its files.
      await this.removeTopic(record).catch(() => undefined);
      throw error;
    }
    this.groups.topicsChanged();
  }

  async deleteTopic(topic: string): Promise<void> {
    this.checkOpen();
    const record = this.manifest.topics.find((t) => t.name === topic);
    if (record === undefined) throw unknownTopic(topic);
    await this.removeTopic(record);
  }

  private async removeTopic(record: TopicRecord): Promise<void> {
    const topic = record.name;
    this.directory.remove(topic);
    await Promise.all(this.slotsOf(record).map(async (slot) => {
      await this.supervisor.closePartition(this.actorOf(slot), slot, true);
      this.controlBlock.setPartitionState(slot, PartitionState.DELETED);
    }));
    this.saveManifest({
      ...this.manifest, topics: this.manifest.topics.filter((t) => t.name !== topic),
    });
    for (let partition = 0; partition < record.config.partitions; partition++) {
      // Retries: a next segment being prepared in the background may land in the directory
      // while it is removed (ENOTEMPTY).
      fs.rmSync(this.partitionDir(topic, partition),
        { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
    }
    await this.offsets.deleteTopic(topic);
    this.groups.topicsChanged();
  }

  listTopics(): string[] {
    return this.manifest.topics.map((t) => t.name);
  }

  async describeTopic(topic: string): Promise<TopicDescription> {
    this.checkOpen();
    const record = this.manifest.topics.find((t) => t.name === topic);
    if (record === undefined) throw unknownTopic(topic);
    const block = this.controlBlock;
    return {
      topic,
      config: record.config,
      partitions: this.slotsOf(record).map((slot, partition) => ({
        partition,
        logStartOffset: block.logStartOffset(slot),
        highWatermark: block.highWatermark(slot),
        durableOffset: block.durableOffset(slot),
        actorIndex: this.actorOf(slot),
        state: stateNames[block.partitionState(slot)],
      })),
    };
  }

  /** A producer on the main thread. */
  producer(options?: ProducerOptions): Producer {
    this.checkOpen();
    assert(this.mainSession !== undefined, 'main session exists once open');
    const producer = new Producer(this.mainSession, this.directory, options, false);
    this.producers.add(producer);
    return producer;
  }

  /**
   * A value to pass to another worker thread (in `workerData` or `postMessage`; it holds only
   * SharedArrayBuffers and numbers), where `Producer.attach(handle)` gives a producer with the
   * same API. Each handle is a session of its own: one thread should attach it.
   */
  producerHandle(options: ProducerOptions = {}): ProducerHandle {
    this.checkOpen();
    if (typeof options.partitioner === 'function') {
      throw invalidConfig('options.partitioner', 'a function',
        "'murmur2' or 'round-robin' for a producer in another thread");
    }
    const { partitioner, ...rest } = options;
    return {
      session: this.newSession(),
      options: { ...rest, partitioner: partitioner as 'murmur2' | 'round-robin' | undefined },
    };
  }

  /**
   * A consumer in this thread. It reads the segment files itself (never through an actor) and,
   * with a groupId, joins that group's coordinator on this thread.
   */
  consumer(options?: ConsumerOptions): Consumer {
    this.checkOpen();
    const consumer: Consumer = new Consumer({
      controlBlock: this.controlBlock, directory: this.directory, dataDir: this.config.dataDir,
      groupClient: () => localGroupClient(this.groups),
      onClose: () => this.consumers.delete(consumer),
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

  /** The offset a group committed for a partition (the next record it will read), if any. */
  committedOffset(groupId: string, topic: string, partition: number): number | undefined {
    this.checkOpen();
    return this.offsets.committed(groupId, topic, partition);
  }

  /** Chaos hook for tests and crash drills; resolves once the actor's worker has exited. */
  async crashActor(index: number, mode: CrashMode | 'terminate'): Promise<void> {
    this.checkOpen();
    if (!Number.isInteger(index) || index < 0 || index >= this.config.actors) {
      throw invalidConfig('index', index, `an actor index from 0 to ${this.config.actors - 1}`);
    }
    if (mode !== 'terminate' && mode !== 'throw' && mode !== 'exit') {
      throw invalidConfig('mode', mode, "'terminate', 'throw' or 'exit'");
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

  /** Resolves once every actor is running again after crashes (or was given up). */
  async settled(): Promise<void> {
    await this.supervisor.settled();
  }

  async stats(): Promise<unknown[]> {
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

  private doorBackend(): DoorBackend {
    return {
      dataDir: this.config.dataDir,
      newSession: () => this.newSession(),
      topics: () => this.manifest.topics.map((t) => ({
        name: t.name, id: t.topicId, uuid: t.uuid!, partitions: t.config.partitions,
        config: t.config,
      })),
      createTopic: (name, options) => this.createTopic(name, options),
      deleteTopic: (name) => this.deleteTopic(name),
    };
  }

  /** Topics from manifests older than topic UUIDs get theirs, once. */
  private giveTopicsUuids(): void {
    if (this.manifest.topics.every((t) => t.uuid !== undefined)) return;
    this.saveManifest({
      ...this.manifest,
      topics: this.manifest.topics.map((t) => ({ ...t, uuid: t.uuid ?? randomUUID() })),
    });
  }

  /** Flushes the main thread's producers, checkpoints and stops every actor, frees the lock. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    await Promise.allSettled([...this.doors].map((door) => door.close()));
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.close()));
    await Promise.allSettled([...this.producers].map((producer) => producer.close()));
    this.isClosed = true;
    this.mainSession?.close();
    this.groups.close();
    for (const channel of this.groupChannels) channel.close();
    try {
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

  private async openTopic(record: TopicRecord): Promise<void> {
    await Promise.all(this.slotsOf(record).map((slot, partition) => {
      const spec: PartitionSpec = {
        slot, topic: record.name, partition, dir: this.partitionDir(record.name, partition),
        config: record.config,
      };
      return this.supervisor.openPartition(this.actorOf(slot), spec);
    }));
    this.directory.put({
      topic: record.name, topicId: record.topicId, firstSlot: record.firstSlot,
      partitionCount: record.config.partitions,
    });
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
        const record = this.manifest.topics.find((t) => t.name === entry.topic);
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

  private partitionDir(topic: string, partition: number): string {
    return path.join(this.config.dataDir, `${topic}-${partition}`);
  }

  private slotsOf(record: TopicRecord): number[] {
    return Array.from({ length: record.config.partitions }, (_, p) => record.firstSlot + p);
  }

  /** Partitions go to actors round-robin by slot, so a topic spreads over every actor. */
  private actorOf(slot: number): number {
    return slot % this.config.actors;
  }

  /** The first run of `count` free slots. */
  private freeSlots(count: number): number {
    const used = new Uint8Array(partitionsPerBrokerMax);
    for (const topic of this.manifest.topics) {
      used.fill(1, topic.firstSlot, topic.firstSlot + topic.config.partitions);
    }
    let run = 0;
    for (let slot = 0; slot < partitionsPerBrokerMax; slot++) {
      run = used[slot] === 1 ? 0 : run + 1;
      if (run === count) return slot - count + 1;
    }
    throw invalidConfig('options.partitions', count,
      `at most the ${partitionsPerBrokerMax} partitions a broker holds, across all topics`);
  }

  private saveManifest(body: ManifestBody): void {
    try {
      writeManifest(this.config.dataDir, body);
    } catch (error) {
      throw fromIoError(error, 'writing the topic manifest');
    }
    this.manifest = body;
  }

  private newSession(): SessionHandle {
    const sessionId = this.nextSessionId++;
    const rings = Array.from({ length: this.config.actors }, () => ({
      request: SpscRing.create(ringCapacityBytesDefault).handle(),
      ack: SpscRing.create(ackRingCapacityBytes).handle(),
    }));
    const control = new SharedArrayBuffer(SESSION_CONTROL_SIZE_BYTES);
    const specs: ActorSessionSpec[] = rings.map((r) => ({
      sessionId, control, request: r.request, ack: r.ack,
    }));
    this.supervisor.addSession(specs);
    return {
      sessionId, control, rings, controlBlock: this.controlBlock.buffer,
      topicDirectory: this.directory.buffer,
    };
  }
}
