/**
 * The topic registry: which topics exist (the manifest), which partition slots each owns, and
 * which actor serves each slot (placement). It creates, opens and removes topics through the
 * supervisor and publishes them in the shared topic directory that producers and consumers read.
 *
 * Placement is slot % actors, so a topic spreads over every actor; slots are taken as the first
 * free run, so a topic's partitions are consecutive (one directory entry: first slot + count).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MambaError, fromIoError, invalidConfig, unknownTopic } from '../errors.js';
import {
  partitionsPerBrokerMax, recordSizeBytesMax, topicsPerBrokerMax,
} from '../constants.js';
import { COMPACTION_DEFAULTS, type TopicConfig } from '../options.js';
import type { PartitionSpec } from '../actors/index.js';
import { MmapStorage } from '../segments/index.js';
import { PartitionState, type ControlBlock, type TopicDirectory } from '../shm/index.js';
import { readManifest, writeManifest, type ManifestBody, type TopicRecord } from './manifest.js';
import { SpaceReserve } from './space-reserve.js';
import type { Supervisor } from './supervisor.js';

export class TopicRegistry {
  private readonly storage = new MmapStorage();
  /** Space held back so that the manifest can still be rewritten on a full disk. */
  private readonly reserve: SpaceReserve;

  private constructor(
    private readonly dataDir: string,
    private readonly actorCount: number,
    private readonly supervisor: Supervisor,
    private readonly controlBlock: ControlBlock,
    private readonly directory: TopicDirectory,
    private manifest: ManifestBody,
  ) {
    this.reserve = new SpaceReserve(dataDir);
  }

  /** Reads the manifest; `openAll` then opens what it lists. */
  static load(dataDir: string, actorCount: number, supervisor: Supervisor,
    controlBlock: ControlBlock, directory: TopicDirectory): TopicRegistry {
    const manifest = readManifest(dataDir);
    // Topics recorded before compaction existed get its defaults (policy 'delete').
    for (const topic of manifest.topics) topic.config = { ...COMPACTION_DEFAULTS, ...topic.config };
    const registry = new TopicRegistry(dataDir, actorCount, supervisor, controlBlock, directory,
      manifest);
    registry.giveTopicsUuids();
    return registry;
  }

  get topics(): readonly TopicRecord[] {
    return this.manifest.topics;
  }

  find(topic: string): TopicRecord | undefined {
    return this.manifest.topics.find((t) => t.name === topic);
  }

  /** The record of an existing topic, or UNKNOWN_TOPIC. */
  get(topic: string): TopicRecord {
    const record = this.find(topic);
    if (record === undefined) throw unknownTopic(topic);
    return record;
  }

  async openAll(): Promise<void> {
    await Promise.all(this.manifest.topics.map((topic) => this.open(topic)));
  }

  /** Records the topic in the manifest, then opens its partitions; nothing stays half-made. */
  async create(topic: string, config: TopicConfig): Promise<TopicRecord> {
    if (this.find(topic) !== undefined) {
      throw new MambaError('TOPIC_EXISTS', `topic ${JSON.stringify(topic)} already exists`,
        { detail: { topic } });
    }
    if (this.manifest.topics.length >= topicsPerBrokerMax) {
      throw invalidConfig('topic count', this.manifest.topics.length + 1,
        `at most ${topicsPerBrokerMax}`);
    }
    const record: TopicRecord = {
      name: topic, topicId: this.manifest.nextTopicId, uuid: randomUUID(),
      firstSlot: this.freeSlots(config.partitions), config, createdAtMs: Date.now(),
    };
    // A directory of a topic deleted under this name can be back after a power cut (the
    // deletion's unlinks were not durable yet): a new topic starts empty, never on its log.
    this.removePartitionDirs(topic, config.partitions);
    this.save({
      ...this.manifest, nextTopicId: this.manifest.nextTopicId + 1,
      topics: [...this.manifest.topics, record],
    });
    try {
      await this.open(record);
    } catch (error) {
      await this.remove(record).catch(() => undefined);
      throw error;
    }
    return record;
  }

  /** Closes the topic's partitions, forgets it and removes its files. */
  async remove(record: TopicRecord): Promise<void> {
    const topic = record.name;
    this.directory.remove(topic);
    await Promise.all(this.slotsOf(record).map(async (slot) => {
      await this.supervisor.closePartition(this.actorOf(slot), slot, true);
      this.controlBlock.metrics.resetPartition(slot);
      this.controlBlock.setPartitionState(slot, PartitionState.DELETED);
    }));
    this.save({
      ...this.manifest, topics: this.manifest.topics.filter((t) => t.name !== topic),
    });
    this.removePartitionDirs(topic, record.config.partitions);
  }

  /** Removes the topic's partition directories and makes that durable. */
  private removePartitionDirs(topic: string, partitionCount: number): void {
    try {
      for (let partition = 0; partition < partitionCount; partition++) {
        // Retries: a next segment being prepared in the background may land in the directory
        // while it is removed (ENOTEMPTY).
        fs.rmSync(this.partitionDir(topic, partition),
          { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
      }
      this.storage.syncDirectory(this.dataDir);
    } catch (error) {
      throw fromIoError(error, `removing the partition directories of ${topic}`);
    }
  }

  /**
   * Topics from manifests older than topic UUIDs (the topic ids of Kafka's protocol) get theirs,
   * once.
   */
  private giveTopicsUuids(): void {
    if (this.manifest.topics.every((t) => t.uuid !== undefined)) return;
    this.save({
      ...this.manifest,
      topics: this.manifest.topics.map((t) => ({ ...t, uuid: t.uuid ?? randomUUID() })),
    });
  }

  slotsOf(record: TopicRecord): number[] {
    return Array.from({ length: record.config.partitions }, (_, p) => record.firstSlot + p);
  }

  actorOf(slot: number): number {
    return slot % this.actorCount;
  }

  private async open(record: TopicRecord): Promise<void> {
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
      // Topics of manifests written before the option existed had the fixed 1 MiB limit.
      maxRecordBytes: record.config.maxRecordBytes ?? recordSizeBytesMax,
    });
  }

  private partitionDir(topic: string, partition: number): string {
    return path.join(this.dataDir, `${topic}-${partition}`);
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

  /** Writes the manifest, with the space reserve to fall back on when the disk is full. */
  private save(body: ManifestBody): void {
    this.reserve.write(() => {
      try {
        writeManifest(this.dataDir, body);
      } catch (error) {
        throw fromIoError(error, 'writing the topic manifest');
      }
    });
    this.manifest = body;
  }
}
