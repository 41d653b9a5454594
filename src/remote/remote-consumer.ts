/**
 * The consumer of `Broker.connect()`: the embedded consumer's API and delivery rules
 * (client/consumer.ts: processed offsets, at-least-once commits, handler retries then
 * HANDLER_FAILED with the partition rewound, revocation committing what was processed) over
 * Kafka's Fetch, ListOffsets and group APIs. Messages are the embedded consumer's own type,
 * decoded by the same decoder (client/consumer-message.ts) from the fetched batches.
 *
 * Where the remote API differs, because the answer is on the broker and not in this process:
 * `seek` resolves with the offset (a promise: a timestamp target asks the broker, ListOffsets
 * by timestamp), and `lag()` resolves with the lags (it asks for each partition's log end).
 * Handler pools (`run({ handler })`) are for the embedded broker and refused here.
 */
import { EventEmitter } from 'node:events';
import { MambaError, closed, handlerFailed, invalidConfig, unknownTopic } from '../errors.js';
import type { OffsetEntry, TopicPartition } from '../coordinator/index.js';
import {
  CommitRetry, backoffDelayMs, checkOffset, decodeChunk, resolveConsumerOptions,
  resolveRunOptions,
  type BackoffPolicy, type ConsumedBatch,
  type ConsumedMessage, type ConsumerConfig, type ConsumerEventMap, type ConsumerOptions,
  type DecodedChunk, type PartitionLag, type PauseEntry, type RunOptions, type SeekTarget,
} from '../client/index.js';
import { initCompression } from '../records/index.js';
import type { Cluster, TopicMetadata } from './cluster.js';
import { RemoteGroupMember } from './remote-group-member.js';
import {
  EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, RemoteFetcher, isolationLevelOf, listOffset,
  partitionKeyOf,
  type RemoteChunk, type RemoteCursor,
} from './remote-fetcher.js';

/** Numbers consumers, to name their connection lanes. */
let consumerCount = 0;

type CallbackRun = Exclude<ReturnType<typeof resolveRunOptions>, { kind: 'pool' }>;

export class RemoteConsumer extends EventEmitter<ConsumerEventMap> {
  private readonly config: ConsumerConfig;
  private readonly fetcher: RemoteFetcher;
  private readonly lane: string;
  private readonly topics = new Set<string>();
  private readonly pausedTopics = new Set<string>();
  private readonly pausedPartitions = new Set<string>();
  private readonly pendingSeeks = new Map<string, number>();
  private member: RemoteGroupMember | undefined;
  private lifecycle: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | undefined;
  private consuming: Promise<void> | undefined;
  private iterating = false;
  private stopRequested = false;
  private commitInFlight: Promise<void> | undefined;
  private commitAgain = false;
  private commitTimer: NodeJS.Timeout | undefined;
  private fatal: unknown;
  /** The last error of a background (auto) commit; it is tried again (commit-retry.ts). */
  lastAutoCommitError: unknown;
  private readonly commitRetry = new CommitRetry(() => this.scheduleCommit(),
    () => this.config.autoCommit.kind !== 'off' && this.lifecycle === 'open');

  constructor(private readonly cluster: Cluster, options: ConsumerOptions | undefined,
    private readonly onClose: () => void) {
    super();
    this.config = resolveConsumerOptions(options);
    this.lane = `consumer-${++consumerCount}`;
    this.fetcher = new RemoteFetcher(cluster, {
      lane: `${this.lane}-fetch`,
      maxBatchBytes: this.config.maxBatchBytes, maxWaitMs: this.config.maxWaitMs,
      autoOffsetReset: this.config.autoOffsetReset, isolation: this.config.isolation,
      onReset: (reset) => this.emit('offset-reset', reset),
      onError: (error) => {
        this.fatal ??= error;
        this.fetcher.wake();
      },
    });
    const autoCommit = this.config.autoCommit;
    if (autoCommit.kind === 'interval' && this.config.groupId !== undefined) {
      this.commitTimer = setInterval(() => this.scheduleCommit(), autoCommit.intervalMs);
      this.commitTimer.unref();
    }
  }

  get groupId(): string | undefined {
    return this.config.groupId;
  }

  async subscribe(topics: string | readonly string[]): Promise<void> {
    this.checkOpen();
    await initCompression();
    const list = typeof topics === 'string' ? [topics] : topics;
    if (!Array.isArray(list) || list.length === 0) {
      throw invalidConfig('topics', String(topics), 'a topic name or a non-empty array of them');
    }
    const found = await Promise.all(list.map((topic: unknown) => this.locate(topic, true)));
    const added = found.filter((t) => !this.topics.has(t.name));
    for (const topic of added) this.topics.add(topic.name);
    if (this.config.groupId === undefined) {
      for (const topic of added) {
        for (let p = 0; p < topic.partitions.length; p++) await this.addCursor(topic, p, undefined);
      }
      return;
    }
    if (added.length === 0 && this.member !== undefined) return;
    await this.joinGroup();
  }

  assignment(): TopicPartition[] {
    return [...this.fetcher.cursors.values()].filter((c) => !c.retired)
      .map((c) => ({ topic: c.topic, partition: c.partition }));
  }

  async run(options: RunOptions): Promise<void> {
    this.checkOpen();
    const run = resolveRunOptions(options);
    if (run.kind === 'pool') {
      throw invalidConfig('options.handler', 'a handler module',
        'eachMessage or eachBatch: handler pools run beside an embedded broker (Broker.open)');
    }
    if (run.failures.deadLetter !== undefined || run.failures.retryTopicDelaysMs !== undefined) {
      throw invalidConfig('options.deadLetter', 'dead letters or retry topics',
        'blocking retries: dead letters and retry topics run beside an embedded broker ' +
        '(Broker.open)');
    }
    this.checkIdle();
    this.consuming = this.loop(run);
    try {
      await this.consuming;
    } finally {
      this.consuming = undefined;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumedMessage> {
    return new RemoteMessageIterator(this, this.fetcher);
  }

  /** Like the embedded `seek`, but resolves with the offset (a timestamp asks the broker). */
  async seek(topic: string, partition: number, target: SeekTarget): Promise<number> {
    this.checkOpen();
    const metadata = await this.locate(topic, false);
    checkPartition(metadata, partition);
    let offset: number;
    if (typeof target !== 'object' || target === null) {
      checkOffset(target);
      offset = target;
    } else {
      if (typeof target.timestamp !== 'number' || !Number.isFinite(target.timestamp)) {
        throw invalidConfig('seek target', String(target), 'an offset or { timestamp }');
      }
      offset = await listOffset(this.cluster, topic, partition, BigInt(target.timestamp));
      if (offset < 0) offset = await listOffset(this.cluster, topic, partition, LATEST_TIMESTAMP);
    }
    const cursor = this.fetcher.cursors.get(partitionKeyOf(topic, partition));
    if (cursor === undefined || cursor.retired) {
      this.pendingSeeks.set(partitionKeyOf(topic, partition), offset);
    } else {
      this.fetcher.moveTo(cursor, offset);
    }
    return offset;
  }

  pause(entries: readonly PauseEntry[]): void {
    this.setPaused(entries, true);
  }

  resume(entries: readonly PauseEntry[]): void {
    this.setPaused(entries, false);
  }

  paused(): TopicPartition[] {
    return [...this.fetcher.cursors.values()].filter((c) => c.paused)
      .map((c) => ({ topic: c.topic, partition: c.partition }));
  }

  async commit(entries?: readonly OffsetEntry[]): Promise<void> {
    this.checkOpen();
    if (this.config.groupId === undefined) {
      throw invalidConfig('options.groupId', undefined, 'a group id for committing offsets');
    }
    if (this.member === undefined) {
      throw new MambaError('ILLEGAL_STATE', 'subscribe before committing offsets');
    }
    const list = entries === undefined ? this.processedEntries()
      : await this.checkEntries(entries);
    if (entries !== undefined) this.advanceProcessed(list);
    if (list.length > 0) await this.commitEntries(list);
  }

  /** Per owned partition, how far the committed offset is behind the log end (asks it). */
  async lag(): Promise<PartitionLag[]> {
    const cursors = [...this.fetcher.cursors.values()].filter((c) => !c.retired);
    const ends = await Promise.all(cursors.map((c) =>
      listOffset(this.cluster, c.topic, c.partition, LATEST_TIMESTAMP)));
    return cursors.map((c, i) => ({
      topic: c.topic, partition: c.partition, highWatermark: ends[i], committed: c.committed,
      position: c.position, lag: Math.max(0, ends[i] - (c.committed ?? c.processed)),
      filteredCount: 0,
    }));
  }

  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  /** @internal */
  get stopping(): boolean {
    return this.stopRequested;
  }

  /** @internal */
  startIterating(): void {
    if (this.iterating) return;
    this.checkIdle();
    this.iterating = true;
  }

  /** @internal */
  stopIterating(): void {
    this.iterating = false;
  }

  /** @internal */
  noteProcessed(): void {
    if (this.config.autoCommit.kind === 'after-processing') this.scheduleCommit();
  }

  /** @internal A fetch error that is not retriable stops consumption with it. */
  checkFatal(): void {
    if (this.fatal === undefined) return;
    const error = this.fatal;
    this.fatal = undefined;
    throw error;
  }

  /** @internal */
  decode(chunk: RemoteChunk): DecodedChunk {
    const cursor = chunk.cursor;
    const aborted = chunk.aborted;
    const lookup = this.config.isolation === 'read_committed' && aborted !== undefined
      ? () => aborted : undefined;
    return decodeChunk(chunk.bytes, cursor.topic, cursor.partition, chunk.fromOffset,
      this.config.checkCrcs, chunk, undefined, lookup);
  }

  private async closeOnce(): Promise<void> {
    if (this.lifecycle === 'closed') return;
    this.lifecycle = 'closing';
    this.stopRequested = true;
    this.fetcher.wake();
    await this.consuming?.catch(() => undefined);
    if (this.commitTimer !== undefined) clearInterval(this.commitTimer);
    this.commitRetry.cancel();
    await this.commitInFlight;
    try {
      if (this.member !== undefined && this.config.autoCommit.kind !== 'off') {
        await this.commitProcessedQuietly();
      }
      await this.member?.leave();
    } finally {
      this.fetcher.close();
      this.lifecycle = 'closed';
      this.onClose();
    }
  }

  private checkOpen(): void {
    if (this.lifecycle !== 'open') throw closed('CONSUMER_CLOSED', 'consumer');
  }

  private checkIdle(): void {
    if (this.consuming !== undefined || this.iterating) {
      throw new MambaError('ILLEGAL_STATE', 'the consumer is already consuming');
    }
    if (this.topics.size === 0) {
      throw new MambaError('ILLEGAL_STATE', 'subscribe to a topic before consuming');
    }
  }

  private async locate(topic: unknown, refresh: boolean): Promise<TopicMetadata> {
    if (typeof topic !== 'string') throw invalidConfig('topic', String(topic), 'a topic name');
    const cached = refresh ? undefined : this.cluster.cachedTopic(topic);
    if (cached !== undefined) return cached;
    return this.cluster.topic(topic).catch((error: unknown) => {
      throw MambaError.is(error, 'UNKNOWN_TOPIC') ? unknownTopic(topic) : error;
    });
  }

  private async addCursor(topic: TopicMetadata, partition: number,
    committed: number | undefined): Promise<void> {
    const key = partitionKeyOf(topic.name, partition);
    const start = this.pendingSeeks.get(key) ?? committed ?? await listOffset(this.cluster,
      topic.name, partition, this.config.fromBeginning ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP,
      isolationLevelOf(this.config.isolation));
    this.pendingSeeks.delete(key);
    const cursor = this.fetcher.add(topic.name, partition, start, committed);
    cursor.paused = this.isPaused(topic.name, partition);
  }

  private async joinGroup(): Promise<void> {
    const previous = this.member;
    this.member = undefined;
    await previous?.leave();
    const config = this.config;
    this.member = await RemoteGroupMember.join(this.cluster, {
      lane: `${this.lane}-group`, groupId: config.groupId!, subscriptions: [...this.topics],
      assignor: config.assignor,
      sessionTimeoutMs: config.sessionTimeoutMs, rebalanceTimeoutMs: config.rebalanceTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      onAssigned: (partitions, member) => this.onAssigned(partitions, member),
      onRevoked: (partitions, reason) => this.onRevoked(partitions, reason),
    });
  }

  private async onAssigned(partitions: TopicPartition[], member: RemoteGroupMember):
  Promise<void> {
    // Called before `join` resolves (so `this.member` may not be set yet): the member is given.
    const committed = partitions.length === 0 ? [] : await member.fetchCommitted(partitions);
    for (const [i, tp] of partitions.entries()) {
      const topic = this.cluster.cachedTopic(tp.topic);
      if (topic === undefined || tp.partition >= topic.partitions.length) continue;
      await this.addCursor(topic, tp.partition, committed[i]);
    }
    this.emit('assigned', partitions);
  }

  private async onRevoked(partitions: TopicPartition[], reason: 'rebalance' | 'lost'):
  Promise<void> {
    const cursors = partitions.map((tp) => this.fetcher.cursors.get(partitionKeyOf(tp.topic,
      tp.partition))).filter((c): c is RemoteCursor => c !== undefined);
    for (const cursor of cursors) cursor.retired = true;
    await Promise.all(cursors.map((c) => c.inFlight?.catch(() => undefined)));
    if (reason === 'rebalance' && this.config.autoCommit.kind !== 'off') {
      const entries = this.processedEntries(cursors);
      if (entries.length > 0) {
        await this.commitEntries(entries).catch((error: unknown) => {
          this.lastAutoCommitError = error;
        });
      }
    }
    for (const cursor of cursors) this.fetcher.remove(cursor.key);
    this.emit('revoked', partitions, reason);
  }

  private processedEntries(cursors = [...this.fetcher.cursors.values()]): OffsetEntry[] {
    return cursors.filter((c) => c.processed !== c.committed)
      .map((c) => ({ topic: c.topic, partition: c.partition, offset: c.processed }));
  }

  private async checkEntries(entries: readonly OffsetEntry[]): Promise<OffsetEntry[]> {
    if (!Array.isArray(entries)) {
      throw invalidConfig('entries', String(entries), 'an array of { topic, partition, offset }');
    }
    return Promise.all(entries.map(async (entry: OffsetEntry) => {
      const topic = await this.locate(entry?.topic, false);
      checkPartition(topic, entry.partition);
      checkOffset(entry.offset);
      const end = await listOffset(this.cluster, entry.topic, entry.partition, LATEST_TIMESTAMP);
      if (entry.offset > end) {
        throw new MambaError('OFFSET_OUT_OF_RANGE',
          `cannot commit offset ${entry.offset} for ${entry.topic}/${entry.partition}: ` +
          `past its log end ${end}`, { detail: { topic: entry.topic,
            partition: entry.partition, offset: entry.offset, highWatermark: end } });
      }
      return { topic: entry.topic, partition: entry.partition, offset: entry.offset,
        ...(entry.metadata === undefined ? {} : { metadata: entry.metadata }) };
    }));
  }

  private advanceProcessed(entries: readonly OffsetEntry[]): void {
    for (const entry of entries) {
      const cursor = this.fetcher.cursors.get(partitionKeyOf(entry.topic, entry.partition));
      if (cursor === undefined || cursor.retired || entry.offset <= cursor.processed) continue;
      if (entry.offset > cursor.position) this.fetcher.moveTo(cursor, entry.offset);
      else cursor.processed = entry.offset;
    }
  }

  private async commitEntries(entries: OffsetEntry[]): Promise<void> {
    const member = this.member;
    if (member === undefined) return;
    await member.commit(entries);
    for (const entry of entries) {
      const cursor = this.fetcher.cursors.get(partitionKeyOf(entry.topic, entry.partition));
      if (cursor !== undefined) cursor.committed = entry.offset;
    }
  }

  private scheduleCommit(): void {
    if (this.member === undefined) return;
    if (this.commitInFlight !== undefined) {
      this.commitAgain = true;
      return;
    }
    const entries = this.processedEntries();
    if (entries.length === 0) return;
    this.commitInFlight = this.commitEntries(entries).then(() => this.commitRetry.succeeded(),
      (error: unknown) => this.autoCommitFailed(error)).finally(() => {
      this.commitInFlight = undefined;
      if (this.commitAgain) {
        this.commitAgain = false;
        this.scheduleCommit();
      }
    });
  }

  private async commitProcessedQuietly(): Promise<void> {
    await this.commitInFlight;
    const entries = this.processedEntries();
    if (entries.length === 0) return;
    await this.commitEntries(entries).catch((error: unknown) => this.autoCommitFailed(error));
  }

  /** A background commit failed: keep its error, and try again (commit-retry.ts). */
  private autoCommitFailed(error: unknown): void {
    this.lastAutoCommitError = error;
    this.commitRetry.failed();
  }

  private setPaused(entries: readonly PauseEntry[], paused: boolean): void {
    this.checkOpen();
    if (!Array.isArray(entries)) {
      throw invalidConfig('pause entries', String(entries), 'an array of { topic, partitions? }');
    }
    for (const entry of entries as PauseEntry[]) {
      const topic = this.cluster.cachedTopic(entry?.topic);
      if (topic === undefined) throw unknownTopic(String(entry?.topic));
      const count = topic.partitions.length;
      if (entry.partitions === undefined) {
        if (paused) this.pausedTopics.add(entry.topic);
        else this.pausedTopics.delete(entry.topic);
        for (let p = 0; p < count; p++) {
          this.pausedPartitions.delete(partitionKeyOf(entry.topic, p));
        }
        continue;
      }
      for (const partition of entry.partitions) checkPartition(topic, partition);
      for (const partition of entry.partitions) {
        const key = partitionKeyOf(entry.topic, partition);
        if (paused) this.pausedPartitions.add(key);
        else this.pausedPartitions.delete(key);
        if (!paused && this.pausedTopics.has(entry.topic)) {
          this.pausedTopics.delete(entry.topic);
          for (let p = 0; p < count; p++) {
            if (p !== partition) this.pausedPartitions.add(partitionKeyOf(entry.topic, p));
          }
        }
      }
    }
    for (const cursor of this.fetcher.cursors.values()) {
      cursor.paused = this.isPaused(cursor.topic, cursor.partition);
    }
    this.fetcher.wake();
  }

  private isPaused(topic: string, partition: number): boolean {
    return this.pausedTopics.has(topic) ||
      this.pausedPartitions.has(partitionKeyOf(topic, partition));
  }

  // ---- the run loop (the embedded consumer's rules) -------------------------------------

  private async loop(run: CallbackRun): Promise<void> {
    this.stopRequested = this.lifecycle !== 'open';
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    try {
      while (!this.stopRequested && failure === undefined) {
        this.checkFatal();
        if (inFlight.size >= run.concurrency) {
          await this.fetcher.wait(false);
          continue;
        }
        const chunk = this.fetcher.poll();
        if (chunk === undefined) {
          await this.fetcher.wait();
          continue;
        }
        const cursor = chunk.cursor;
        const decoded = this.decode(chunk);
        cursor.position = decoded.nextOffset;
        const task: Promise<void> = this.process(run, chunk, decoded)
          .then(() => this.noteProcessed(), (error: unknown) => { failure ??= { error }; })
          .finally(() => {
            if (cursor.inFlight === task) cursor.inFlight = undefined;
            inFlight.delete(task);
            this.fetcher.wake();
          });
        cursor.inFlight = task;
        inFlight.add(task);
        if (run.concurrency === 1) await task;
      }
    } finally {
      await Promise.all(inFlight);
      this.stopRequested = this.lifecycle !== 'open';
    }
    if (failure === undefined) return;
    if (this.config.autoCommit.kind !== 'off') await this.commitProcessedQuietly();
    throw failure.error;
  }

  private process(run: CallbackRun, chunk: RemoteChunk, decoded: DecodedChunk): Promise<void> {
    if (run.kind === 'message') {
      return this.eachMessage(run.eachMessage, chunk, decoded, run.failures.backoff);
    }
    return this.eachBatch(run.eachBatch, chunk, decoded, run.failures.backoff);
  }

  private live(chunk: RemoteChunk): boolean {
    const cursor = chunk.cursor;
    return cursor.epoch === chunk.epoch && !cursor.retired && !cursor.paused &&
      !this.stopRequested;
  }

  private async eachMessage(callback: (m: ConsumedMessage) => unknown, chunk: RemoteChunk,
    decoded: DecodedChunk, backoff: BackoffPolicy): Promise<void> {
    const cursor = chunk.cursor;
    for (const message of decoded.messages) {
      if (!this.live(chunk)) {
        this.fetcher.rewind(cursor, chunk.epoch, cursor.processed);
        return;
      }
      if (!await this.withRetries(chunk, message.offset, backoff,
        async () => { await callback(message); })) return;
      if (cursor.epoch === chunk.epoch) cursor.processed = message.offset + 1;
    }
    if (cursor.epoch === chunk.epoch) cursor.processed = decoded.nextOffset;
  }

  private async eachBatch(callback: (b: ConsumedBatch) => unknown, chunk: RemoteChunk,
    decoded: DecodedChunk, backoff: BackoffPolicy): Promise<void> {
    const cursor = chunk.cursor;
    if (decoded.messages.length > 0) {
      const batch: ConsumedBatch = {
        topic: cursor.topic, partition: cursor.partition, messages: decoded.messages,
        highWatermark: chunk.highWatermark, nextOffset: decoded.nextOffset,
      };
      if (!await this.withRetries(chunk, decoded.messages[0].offset, backoff,
        async () => { await callback(batch); })) return;
    }
    if (cursor.epoch === chunk.epoch) cursor.processed = decoded.nextOffset;
  }

  private async withRetries(chunk: RemoteChunk, offset: number, backoff: BackoffPolicy,
    call: () => Promise<void>): Promise<boolean> {
    const cursor = chunk.cursor;
    for (let attempt = 1; ; attempt++) {
      try {
        await call();
        return true;
      } catch (error) {
        if (attempt > backoff.retries) {
          this.fetcher.rewind(cursor, chunk.epoch, cursor.processed);
          throw handlerFailed(cursor.topic, cursor.partition, offset, attempt, error);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(backoff, attempt)));
      if (!this.live(chunk)) {
        this.fetcher.rewind(cursor, chunk.epoch, cursor.processed);
        return false;
      }
    }
  }
}

/** The async iterator, with the embedded iterator's rules (client/consumer.ts). */
class RemoteMessageIterator implements AsyncIterator<ConsumedMessage> {
  private chunk: RemoteChunk | undefined;
  private decoded: DecodedChunk | undefined;
  private index = 0;
  private last: ConsumedMessage | undefined;

  constructor(private readonly consumer: RemoteConsumer, private readonly fetcher: RemoteFetcher) {}

  async next(): Promise<IteratorResult<ConsumedMessage>> {
    this.consumer.startIterating();
    this.markLastProcessed();
    try {
      for (;;) {
        if (this.consumer.stopping) return this.finish();
        this.consumer.checkFatal();
        const chunk = this.chunk;
        if (chunk !== undefined) {
          const message = this.nextOfChunk(chunk);
          if (message !== undefined) return { done: false, value: message };
          continue;
        }
        const next = this.fetcher.poll();
        if (next === undefined) {
          await this.fetcher.wait();
          continue;
        }
        this.decoded = this.consumer.decode(next);
        next.cursor.position = this.decoded.nextOffset;
        next.cursor.inFlight = Promise.resolve();
        this.chunk = next;
        this.index = 0;
      }
    } catch (error) {
      this.finish();
      throw error;
    }
  }

  async return(): Promise<IteratorResult<ConsumedMessage>> {
    return this.finish();
  }

  private nextOfChunk(chunk: RemoteChunk): ConsumedMessage | undefined {
    const cursor = chunk.cursor;
    const decoded = this.decoded!;
    if (cursor.epoch !== chunk.epoch || cursor.retired || cursor.paused) {
      this.fetcher.rewind(cursor, chunk.epoch, cursor.processed);
      this.release();
      return undefined;
    }
    if (this.index < decoded.messages.length) {
      this.last = decoded.messages[this.index++];
      return this.last;
    }
    cursor.processed = decoded.nextOffset;
    this.release();
    this.consumer.noteProcessed();
    return undefined;
  }

  private markLastProcessed(): void {
    const chunk = this.chunk;
    const last = this.last;
    this.last = undefined;
    if (chunk === undefined || last === undefined || chunk.cursor.epoch !== chunk.epoch) return;
    chunk.cursor.processed = last.offset + 1;
    this.consumer.noteProcessed();
  }

  private finish(): IteratorResult<ConsumedMessage> {
    const chunk = this.chunk;
    if (chunk !== undefined) {
      this.fetcher.rewind(chunk.cursor, chunk.epoch, chunk.cursor.processed);
      this.release();
    }
    this.last = undefined;
    this.consumer.stopIterating();
    return { done: true, value: undefined };
  }

  private release(): void {
    const chunk = this.chunk;
    this.chunk = undefined;
    this.decoded = undefined;
    if (chunk === undefined) return;
    chunk.cursor.inFlight = undefined;
    this.fetcher.wake();
  }
}

function checkPartition(topic: TopicMetadata, partition: unknown): void {
  const count = topic.partitions.length;
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 ||
    partition >= count) {
    throw new MambaError('INVALID_PARTITION',
      `partition ${String(partition)} out of range: topic ${topic.name} has ${count}`,
      { detail: { topic: topic.name, partition } });
  }
}


