/**
 * The consumer: reads the partitions it owns straight from its own read-only mappings of the
 * segment files, up to the high-watermark each partition's actor publishes, and hands records
 * out zero-copy (consumer-message.ts) through an async iterator, `run({ eachMessage })`,
 * `run({ eachBatch })`, or a piscina pool of handler threads (`run({ handler })`).
 *
 * ```ts
 * const consumer = broker.consumer({ groupId: 'billing', fromBeginning: true });
 * await consumer.subscribe('orders');
 * for await (const m of consumer) handle(m.value);       // or: await consumer.run({ … })
 * ```
 *
 * Ownership: without a groupId the consumer reads every partition of the topics it subscribes
 * to; with one, it joins the group (groups/group-member.ts) in `subscribe` and reads the
 * partitions the group assigns it. Every group sees every record; within a group each
 * partition, so each record, goes to one member. Liveness is the member's heartbeat timer,
 * apart from processing: a slow handler shows lag, not a rebalance.
 *
 * Delivery: at-least-once by default. A record counts as processed when its handler's promise
 * resolves (for the iterator: when the loop asks for the next record; leaving the loop by
 * `break`, `return` or a throw leaves the current record unprocessed), and only processed offsets
 * are committed, automatically (`autoCommit`) or by `commit()`; a revoked partition commits
 * what was processed before it is handed over. At-most-once: commit the offset after a record
 * (`commit([{ topic, partition, offset: m.offset + 1 }])`) before processing it.
 *
 * Errors, the same in every mode of `run` (eachMessage, eachBatch, a handler pool): a handler
 * call that throws is retried with capped exponential backoff up to `maxAttempts` calls
 * (default 3); then its partition is rewound to the failed record and `run` rejects with
 * HANDLER_FAILED, the handler's error as `cause`, after committing (autoCommit) what completed
 * before it, so nothing past it is committed and a later `run` or member delivers it again.
 * `run` otherwise resolves when `close()` stops it.
 */
import { EventEmitter } from 'node:events';
import { timestampScanBytes } from '../constants.js';
import { ControlBlock, SharedHistogram } from '../shm/index.js';
import { MambaError, closed, handlerFailed, invalidConfig, unknownTopic } from '../errors.js';
import { LogReader, readAbortedTransactions } from '../segments/index.js';
import { TopicDirectory, type TopicLocation } from '../shm/index.js';
import { GroupMember, type GroupClient, type RevocationReason } from './groups/index.js';
import type { TopicPartition } from '../coordinator/index.js';
import { CommitRetry } from './commit-retry.js';
import { HandlerPool } from './handler-pool.js';
import type { OffsetEntry } from '../coordinator/index.js';
import { checkCommitMetadata } from '../coordinator/index.js';
import {
  ConsumerFetcher, partitionDirectory, partitionKeyOf, type Chunk, type OffsetReset,
  type PartitionCursor,
} from './consumer-fetcher.js';
import { channelGroupClient, type ConsumerHandle } from './consumer-handle.js';
import {
  decodeChunk, firstOffsetAtTimestamp, type AbortedLookup, type ConsumedBatch, type ConsumedMessage,
  type DecodedChunk,
} from './consumer-message.js';
import { initCompression } from '../records/index.js';
import {
  resolveConsumerOptions, resolveRunOptions, type ConsumerConfig, type ConsumerOptions,
  type FailureConfig, type RunConfig, type RunOptions,
} from './consumer-options.js';
import { backoffDelayMs, sleepMs } from './retry-policy.js';
import { FailureRouter } from './failure-router.js';
import { RecordForwarder, type DeliveryServices } from './record-forwarder.js';
import type { HandlerFailure } from './dead-letter.js';
import { compileFilter, type RecordFilterSpec, type RecordPredicate } from './record-filter.js';
import { isObject } from '../options.js';
import { rejectUnknownOptions, type OptionNames } from '../option-names.js';

/** What a consumer needs from the broker; built by the broker, or from a handle in a worker. */
export interface ConsumerContext {
  controlBlock: ControlBlock;
  directory: TopicDirectory;
  dataDir: string;
  /** The group client (made on first use; only a consumer with a groupId asks). */
  groupClient(): GroupClient;
  /** Called once the consumer has closed. */
  onClose(): void;
  /** Producing and topic creation for dead letters and retry topics (not in other threads). */
  delivery?: DeliveryServices;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  highWatermark: number;
  /** The group's committed offset, if any. */
  committed: number | undefined;
  /** The next offset this consumer fetches. */
  position: number;
  /** highWatermark − committed (− the processed position when nothing is committed). */
  lag: number;
  /**
   * Records this consumer's filter skipped in the partition since it got it: consumed (the
   * position and commits moved past them) without being handed out.
   */
  filteredCount: number;
}

export interface SubscribeOptions {
  /** Only records that match are handed out; see record-filter.ts (and the README). */
  filter?: RecordFilterSpec;
}

const subscribeOptionNames: OptionNames<SubscribeOptions> = { filter: true };

export interface PauseEntry {
  topic: string;
  /** Omitted: every partition of the topic. */
  partitions?: number[];
}

export type SeekTarget = number | { timestamp: number };

type Lifecycle = 'open' | 'closing' | 'closed';

/**
 * The events a `Consumer` emits, as a map from name to listener arguments: a group member's
 * partitions as they are assigned, and as they are revoked (by a rebalance, or lost when the
 * member was expelled).
 */
/** A subscribed topic was deleted and created again: the consumer reads it from its start. */
export interface TopicRecreatedEvent {
  topic: string;
  partitionCount: number;
}

export interface ConsumerEventMap {
  'assigned': [partitions: TopicPartition[]];
  'revoked': [partitions: TopicPartition[], reason: RevocationReason];
  /** A position outside the log was reset by `autoOffsetReset` (Kafka's rule). */
  'offset-reset': [reset: OffsetReset];
  'topic-recreated': [event: TopicRecreatedEvent];
  /** A corrupt batch (CORRUPT_LOG) stopped this consumer; `run` and the iterator throw it too. */
  'error': [error: MambaError];
}

export class Consumer extends EventEmitter<ConsumerEventMap> {
  private readonly config: ConsumerConfig;
  private readonly fetcher: ConsumerFetcher;
  private readonly topics = new Set<string>();
  private readonly pausedTopics = new Set<string>();
  private readonly pausedPartitions = new Set<string>();
  private readonly pendingSeeks = new Map<string, number>();
  /** Per subscribed topic, the incarnation (topicId) it had when subscribed. */
  private readonly subscribedTopicIds = new Map<string, number>();
  private client: GroupClient | undefined;
  private member: GroupMember | undefined;
  private lifecycle: Lifecycle = 'open';
  private closing: Promise<void> | undefined;
  private consuming: Promise<void> | undefined;
  private iterating = false;
  private stopRequested = false;
  private commitInFlight: Promise<void> | undefined;
  private commitAgain = false;
  private commitTimer: NodeJS.Timeout | undefined;
  private readonly commitRetry = new CommitRetry(() => this.scheduleCommit(),
    () => this.config.autoCommit.kind !== 'off' && this.lifecycle === 'open');
  /** Numbers commit requests in the order sent; per partition, the newest one applied. */
  private commitSequence = 0;
  private readonly commitSequences = new Map<string, number>();
  /**
   * The last error of a background (auto) commit; the commit is tried again after a backoff
   * (100 ms doubling to 5 s) until it succeeds, or at the next processed record.
   */
  lastAutoCommitError: unknown;
  /** Dead letters and retry topics of the current `run`, when it has a `deadLetter`. */
  private router: FailureRouter | undefined;
  /** Resumes of retry-topic partitions paused until their next record is due. */
  private readonly dueTimers = new Set<NodeJS.Timeout>();
  /** Per subscribed topic with a filter, its compiled predicate. */
  private readonly filters = new Map<string, RecordPredicate>();
  /** Per partition key, records its filter skipped. */
  private readonly filteredCounts = new Map<string, number>();

  constructor(private readonly context: ConsumerContext, options?: ConsumerOptions) {
    super();
    this.config = resolveConsumerOptions(options);
    this.fetcher = new ConsumerFetcher(context.controlBlock, context.directory, {
      dataDir: context.dataDir, maxBatchBytes: this.config.maxBatchBytes,
      maxBatchRecords: this.config.maxBatchRecords,
      onReset: (reset) => this.emit('offset-reset', reset),
      onTopicRecreated: (topic) => this.followRecreatedTopic(topic),
      maxWaitMs: this.config.maxWaitMs, autoOffsetReset: this.config.autoOffsetReset,
      isolation: this.config.isolation,
      idle: this.config.idle,
    });
    const autoCommit = this.config.autoCommit;
    if (autoCommit.kind === 'interval' && this.config.groupId !== undefined) {
      this.commitTimer = setInterval(() => this.scheduleCommit(), autoCommit.intervalMs);
      this.commitTimer.unref();
    }
  }

  /** Inside another worker: a consumer over a handle from `broker.consumerHandle()`. */
  static attach(handle: ConsumerHandle): Consumer {
    let client: (GroupClient & { close(): void }) | undefined;
    return new Consumer({
      controlBlock: new ControlBlock(handle.controlBlock),
      directory: new TopicDirectory(handle.topicDirectory),
      dataDir: handle.dataDir,
      groupClient: () => client ??= channelGroupClient(handle.groupChannel),
      onClose: () => client?.close(),
    }, handle.options);
  }

  get groupId(): string | undefined {
    return this.config.groupId;
  }

  /**
   * Adds topics to the subscription. With a groupId this joins the group (or joins again with
   * the wider subscription) and resolves once the first assignment is applied.
   */
  async subscribe(topics: string | readonly string[], options?: SubscribeOptions):
  Promise<void> {
    this.checkOpen();
    let filter: RecordPredicate | undefined;
    if (options !== undefined) {
      if (!isObject(options)) throw invalidConfig('subscribe options', options, 'an object');
      rejectUnknownOptions(options, subscribeOptionNames);
      if (options.filter !== undefined) filter = compileFilter(options.filter);
    }
    // Decoding is synchronous; zstd's wasm starts once per thread, before the first read.
    await initCompression();
    const list = typeof topics === 'string' ? [topics] : topics;
    if (!Array.isArray(list) || list.length === 0) {
      throw invalidConfig('topics', String(topics), 'a topic name or a non-empty array of them');
    }
    const locations = list.map((topic: unknown) => this.locate(topic));
    for (const location of locations) {
      if (filter !== undefined) this.filters.set(location.topic, filter);
      else if (options !== undefined) this.filters.delete(location.topic);
    }
    const added = locations.filter((l) => !this.topics.has(l.topic));
    for (const location of added) {
      this.topics.add(location.topic);
      this.subscribedTopicIds.set(location.topic, location.topicId);
    }
    if (this.config.groupId === undefined) {
      for (const location of added) this.addTopicCursors(location);
      return;
    }
    if (added.length === 0 && this.member !== undefined) return;
    await this.joinGroup();
  }

  /** The partitions this consumer reads now. */
  assignment(): TopicPartition[] {
    return [...this.fetcher.cursors.values()].filter((c) => !c.retired)
      .map((c) => ({ topic: c.topic, partition: c.partition }));
  }

  /**
   * Consumes until `close()` (resolves) or a handler fails (rejects with its error). Exactly
   * one of `eachMessage`, `eachBatch` or `handler` (a module run in a piscina pool).
   */
  async run(options: RunOptions): Promise<void> {
    this.checkOpen();
    const run = resolveRunOptions(options);
    this.checkIdle();
    let pool: HandlerPool | undefined;
    if (run.kind === 'pool') {
      const { handler, maxAttempts, handlerData } = run.options;
      pool = await HandlerPool.create({
        handler, maxAttempts, handlerData, concurrency: run.concurrency,
      });
    }
    this.checkIdle();
    if (run.kind !== 'pool') await this.prepareFailures(run.failures);
    this.checkIdle();
    this.consuming = this.loop(run, pool);
    try {
      await this.consuming;
    } catch (error) {
      this.reportCorruption(error);
      throw error;
    } finally {
      this.consuming = undefined;
      this.router = undefined;
      for (const timer of this.dueTimers) clearTimeout(timer);
      this.dueTimers.clear();
      await pool?.close();
    }
  }

  /**
   * Dead letters and retry topics need the group (their step commits past the record) and the
   * broker's producer; retry topics are created as needed and joined to the subscription.
   */
  private async prepareFailures(failures: FailureConfig): Promise<void> {
    if (failures.deadLetter === undefined) return;
    const groupId = this.config.groupId;
    const delivery = this.context.delivery;
    if (groupId === undefined) {
      throw invalidConfig('options.groupId', undefined,
        'a group id for deadLetter (its step commits past the dead letter)');
    }
    if (delivery === undefined) {
      throw invalidConfig('options.deadLetter', 'in a worker thread',
        'used on a consumer made by broker.consumer() (it produces dead letters)');
    }
    const forwarder = new RecordForwarder(delivery, this.context, groupId);
    const router = new FailureRouter(forwarder, delivery, groupId, failures.deadLetter,
      failures.retryTopicDelaysMs);
    const retryTopics: string[] = [];
    for (const topic of [...this.topics]) {
      if (router.isRetryTopic(topic)) continue;
      const location = this.locate(topic);
      for (const name of router.addSource(topic)) {
        await delivery.ensureTopic(name, location.partitionCount);
        retryTopics.push(name);
      }
    }
    this.router = router;
    if (retryTopics.some((name) => !this.topics.has(name))) await this.subscribe(retryTopics);
  }

  /** Messages one at a time; see the file comment for when one counts as processed. */
  [Symbol.asyncIterator](): AsyncIterator<ConsumedMessage> {
    return new MessageIterator(this, this.fetcher);
  }

  /**
   * Moves a partition's position: the next record delivered is at `offset`, or the first one
   * whose timestamp is at least `{ timestamp }` (the log end if none is). Records of the
   * partition already fetched are not delivered. A partition not assigned yet starts there
   * once it is. Returns the offset. An offset past the log end is not refused (records may
   * arrive first): when the partition is fetched and the position is still past its end, it is
   * reset as `autoOffsetReset` says and an `offset-reset` event names both positions.
   */
  seek(topic: string, partition: number, target: SeekTarget): number {
    this.checkOpen();
    const location = this.locate(topic);
    checkPartition(location, partition);
    const offset = this.seekOffset(location, partition, target);
    const cursor = this.fetcher.cursors.get(partitionKeyOf(topic, partition));
    if (cursor === undefined || cursor.retired) {
      this.pendingSeeks.set(partitionKeyOf(topic, partition), offset);
    } else {
      this.fetcher.moveTo(cursor, offset);
    }
    return offset;
  }

  /** Stops fetching from these partitions (records already handed out finish). */
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

  /**
   * Commits the processed offsets of every partition this consumer owns, or the given entries
   * (`offset`: the next record to read). Needs a groupId; durable when it resolves.
   */
  async commit(entries?: readonly OffsetEntry[]): Promise<void> {
    this.checkOpen();
    if (this.config.groupId === undefined) {
      throw invalidConfig('options.groupId', undefined, 'a group id for committing offsets');
    }
    if (this.member === undefined) {
      throw new MambaError('ILLEGAL_STATE', 'subscribe before committing offsets');
    }
    const list = entries === undefined ? this.processedEntries() : this.checkEntries(entries);
    // Before the commit is sent: a background commit computed meanwhile must not go back.
    if (entries !== undefined) this.advanceProcessed(list);
    if (list.length > 0) await this.commitEntries(list);
  }

  /**
   * An explicit commit ahead of what this consumer marked processed says those records are done
   * (e.g. the record a `for await` loop is about to `break` on): later automatic commits must not
   * take the group back behind it.
   */
  private advanceProcessed(entries: readonly OffsetEntry[]): void {
    for (const entry of entries) {
      const cursor = this.fetcher.cursors.get(partitionKeyOf(entry.topic, entry.partition));
      if (cursor === undefined || cursor.retired || entry.offset <= cursor.processed) continue;
      if (entry.offset > cursor.position) this.fetcher.moveTo(cursor, entry.offset);
      else cursor.processed = entry.offset;
    }
  }

  /** Per owned partition: how far the group's committed offset is behind the log. */
  lag(): PartitionLag[] {
    const block = this.context.controlBlock;
    return [...this.fetcher.cursors.values()].filter((c) => !c.retired).map((c) => {
      const highWatermark = block.highWatermark(c.slot);
      const base = c.committed ?? c.processed;
      return {
        topic: c.topic, partition: c.partition, highWatermark, committed: c.committed,
        position: c.position, lag: Math.max(0, highWatermark - base),
        filteredCount: this.filteredCounts.get(c.key) ?? 0,
      };
    });
  }

  /** Stops consuming, commits what was processed (autoCommit), leaves the group. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  /** @internal Whether consumption must stop (closing, or `run` ended). */
  get stopping(): boolean {
    return this.stopRequested;
  }

  /** @internal The iterator takes the consumer; one way of consuming at a time. */
  startIterating(): void {
    if (this.iterating) return;
    this.checkIdle();
    this.iterating = true;
  }

  /** @internal */
  stopIterating(): void {
    this.iterating = false;
  }

  /** @internal A chunk finished (or a record, for the iterator). */
  noteProcessed(): void {
    if (this.config.autoCommit.kind === 'after-processing') this.scheduleCommit();
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
      await this.member?.leave();
    } finally {
      this.fetcher.close();
      this.lifecycle = 'closed';
      this.context.onClose();
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

  private locate(topic: unknown): TopicLocation {
    if (typeof topic !== 'string') throw invalidConfig('topic', String(topic), 'a topic name');
    const location = this.context.directory.lookup(topic);
    if (location === undefined) throw unknownTopic(topic);
    return location;
  }

  // ---- ownership ------------------------------------------------------------------------

  private addTopicCursors(location: TopicLocation): void {
    for (let partition = 0; partition < location.partitionCount; partition++) {
      this.addCursor(location, partition, undefined);
    }
  }

  private addCursor(location: TopicLocation, partition: number, committed: number | undefined):
  void {
    const key = partitionKeyOf(location.topic, partition);
    const slot = location.firstSlot + partition;
    const block = this.context.controlBlock;
    // A topic deleted and created again since the subscription is read from its start, as a
    // new topic: its records were all written after the subscription (issue 17 item 2).
    const fromStart = this.config.fromBeginning ||
      this.subscribedTopicIds.get(location.topic) !== location.topicId;
    const start = this.pendingSeeks.get(key) ?? committed ??
      (fromStart ? block.logStartOffset(slot) : this.latestOffset(slot));
    this.pendingSeeks.delete(key);
    const cursor = this.fetcher.add(location.topic, partition, slot, location.topicId, start,
      committed);
    cursor.paused = this.isPaused(location.topic, partition);
  }

  /**
   * A subscribed topic was deleted and created again: drop the cursors of the old incarnation
   * and read the new one. Without a group: every partition it has now. With one: the partitions
   * the group assigns; those the member still holds (a rebalance it saw only as its end state)
   * are read again here, new ones arrive through `onAssigned`.
   */
  private followRecreatedTopic(topic: string): void {
    const location = this.context.directory.lookup(topic);
    if (!this.topics.has(topic) || this.lifecycle !== 'open' || location === undefined) return;
    for (const cursor of [...this.fetcher.cursors.values()]) {
      if (cursor.topic === topic && cursor.topicId !== location.topicId) {
        this.fetcher.remove(cursor.key);
      }
    }
    const partitions = this.config.groupId === undefined
      ? Array.from({ length: location.partitionCount }, (_, partition) => partition)
      : (this.member?.assigned() ?? []).filter((tp) => tp.topic === topic &&
        tp.partition < location.partitionCount).map((tp) => tp.partition);
    for (const partition of partitions) {
      if (!this.fetcher.cursors.has(partitionKeyOf(topic, partition))) {
        this.addCursor(location, partition, undefined);
      }
    }
    this.emit('topic-recreated', { topic, partitionCount: location.partitionCount });
  }

  private async joinGroup(): Promise<void> {
    const groupId = this.config.groupId!;
    this.client ??= this.context.groupClient();
    const previous = this.member;
    this.member = undefined;
    await previous?.leave();
    const config = this.config;
    this.member = await GroupMember.join(this.client, {
      groupId, subscriptions: [...this.topics], assignor: config.assignor,
      sessionTimeoutMs: config.sessionTimeoutMs, rebalanceTimeoutMs: config.rebalanceTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      onAssigned: (partitions) => this.onAssigned(partitions),
      onRevoked: (partitions, reason) => this.onRevoked(partitions, reason),
      onError: () => undefined,
    });
  }

  private async onAssigned(partitions: TopicPartition[]): Promise<void> {
    const committed = await this.client!.fetchCommitted(this.config.groupId!, partitions);
    partitions.forEach((tp, i) => {
      const location = this.context.directory.lookup(tp.topic);
      if (location === undefined || tp.partition >= location.partitionCount) return;
      this.addCursor(location, tp.partition, committed[i]);
    });
    this.emit('assigned', partitions);
  }

  /** Stops the partitions, waits for their records in flight, commits, hands them back. */
  private async onRevoked(partitions: TopicPartition[], reason: 'rebalance' | 'lost'):
  Promise<void> {
    const cursors = partitions.map((tp) => this.fetcher.cursors.get(partitionKeyOf(tp.topic,
      tp.partition))).filter((c): c is PartitionCursor => c !== undefined);
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
    for (const cursor of cursors) {
      this.fetcher.remove(cursor.key);
      this.filteredCounts.delete(cursor.key);
    }
    this.emit('revoked', partitions, reason);
  }

  // ---- commits --------------------------------------------------------------------------

  private processedEntries(cursors = [...this.fetcher.cursors.values()]): OffsetEntry[] {
    const directory = this.context.directory;
    // Never an offset of a deleted incarnation of a topic onto the one that replaced it.
    return cursors.filter((c) => c.processed !== c.committed &&
      directory.lookup(c.topic)?.topicId === c.topicId)
      .map((c) => ({ topic: c.topic, partition: c.partition, offset: c.processed }));
  }

  private checkEntries(entries: readonly OffsetEntry[]): OffsetEntry[] {
    if (!Array.isArray(entries)) {
      throw invalidConfig('entries', String(entries), 'an array of { topic, partition, offset }');
    }
    return entries.map((entry: OffsetEntry) => {
      const location = this.locate(entry?.topic);
      checkPartition(location, entry.partition);
      checkOffset(entry.offset);
      checkCommitMetadata(entry);
      const highWatermark = this.context.controlBlock.highWatermark(
        location.firstSlot + entry.partition);
      if (entry.offset > highWatermark) {
        // A commit names the next record to read; past the log end it would skip records
        // that do not exist yet (Kafka refuses it too).
        throw new MambaError('OFFSET_OUT_OF_RANGE',
          `cannot commit offset ${entry.offset} for ${entry.topic}/${entry.partition}: ` +
          `past its log end ${highWatermark}`,
          { detail: { topic: entry.topic, partition: entry.partition, offset: entry.offset,
            highWatermark } });
      }
      return { topic: entry.topic, partition: entry.partition, offset: entry.offset,
        ...(entry.metadata === undefined ? {} : { metadata: entry.metadata }) };
    });
  }

  private async commitEntries(entries: OffsetEntry[]): Promise<void> {
    const member = this.member;
    if (member === undefined) return;
    // Straight through the client with the member's id and generation, not `member.commit`:
    // the member refuses commits once `leave()` began, yet the partitions it revokes while
    // leaving must commit what was processed (the coordinator still fences the commit).
    const sequence = ++this.commitSequence;
    await this.client!.commit(this.config.groupId!, member.memberId, member.generation, entries);
    for (const entry of entries) {
      const key = partitionKeyOf(entry.topic, entry.partition);
      const cursor = this.fetcher.cursors.get(key);
      // Commits of one group are stored in the order they were sent, but a background commit
      // and an explicit one may resolve in either order: the later request's offset is the one
      // on disk, so only it may be remembered.
      if (cursor === undefined || (this.commitSequences.get(key) ?? 0) > sequence) continue;
      this.commitSequences.set(key, sequence);
      cursor.committed = entry.offset;
    }
  }

  /** One background commit at a time; requests while one is in flight coalesce into one. */
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

  /** A background commit failed: keep its error, and try again (commit-retry.ts). */
  private autoCommitFailed(error: unknown): void {
    this.lastAutoCommitError = error;
    this.commitRetry.failed();
  }

  // ---- seek and pause -------------------------------------------------------------------

  private seekOffset(location: TopicLocation, partition: number, target: SeekTarget): number {
    if (typeof target !== 'object' || target === null) {
      checkOffset(target);
      return target;
    }
    if (typeof target.timestamp !== 'number' || !Number.isFinite(target.timestamp)) {
      throw invalidConfig('seek target', String(target), 'an offset or { timestamp }');
    }
    return this.offsetForTimestamp(location, partition, target.timestamp);
  }

  /**
   * The first offset whose record's timestamp is at least `timestampMs`. Cost: a scan of the
   * batch headers from the log start (one 61-byte header read per batch, ~10 ns each, plus
   * faulting in one page per batch not in memory), then decoding the one batch that holds it.
   */
  private offsetForTimestamp(location: TopicLocation, partition: number, timestampMs: number):
  number {
    const slot = location.firstSlot + partition;
    const block = this.context.controlBlock;
    const cursor = this.fetcher.cursors.get(partitionKeyOf(location.topic, partition));
    const reader = cursor !== undefined ? this.fetcher.readerOf(cursor)
      : LogReader.open(partitionDirectory(this.context.dataDir, location.topic, partition));
    const highWatermark = block.highWatermark(slot);
    let offset = block.logStartOffset(slot);
    while (offset < highWatermark) {
      let bytes: Uint8Array;
      try {
        bytes = reader.read(offset, timestampScanBytes, highWatermark, block.logStartOffset(slot));
      } catch (error) {
        if (!MambaError.is(error, 'OFFSET_OUT_OF_RANGE')) throw error;
        offset = Math.max(offset + 1, block.logStartOffset(slot));
        continue;
      }
      if (bytes.byteLength === 0) break;
      const found = firstOffsetAtTimestamp(bytes, offset, timestampMs);
      if (found.offset !== undefined) return found.offset;
      offset = found.nextOffset;
    }
    return highWatermark;
  }

  private setPaused(entries: readonly PauseEntry[], paused: boolean): void {
    this.checkOpen();
    if (!Array.isArray(entries)) {
      throw invalidConfig('pause entries', String(entries), 'an array of { topic, partitions? }');
    }
    for (const entry of entries as PauseEntry[]) {
      const location = this.locate(entry?.topic);
      if (entry.partitions === undefined) {
        if (paused) this.pausedTopics.add(entry.topic);
        else this.pausedTopics.delete(entry.topic);
        for (let p = 0; p < location.partitionCount; p++) {
          this.pausedPartitions.delete(partitionKeyOf(entry.topic, p));
        }
        continue;
      }
      for (const partition of entry.partitions) checkPartition(location, partition);
      for (const partition of entry.partitions) {
        const key = partitionKeyOf(entry.topic, partition);
        if (paused) this.pausedPartitions.add(key);
        else this.pausedPartitions.delete(key);
        if (!paused && this.pausedTopics.has(entry.topic)) {
          // Resuming one partition of a paused topic: pause the others one by one instead.
          this.pausedTopics.delete(entry.topic);
          for (let p = 0; p < location.partitionCount; p++) {
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
    return this.pausedTopics.has(topic) || this.pausedPartitions.has(partitionKeyOf(topic,
      partition));
  }

  /** Where a partition read from its end starts: the last stable offset for read_committed. */
  private latestOffset(slot: number): number {
    const block = this.context.controlBlock;
    return this.config.isolation === 'read_committed' ? block.lastStableOffset(slot)
      : block.highWatermark(slot);
  }

  /** For read_committed: the aborted transactions a chunk may hold (its partition's index). */
  private abortedLookup(chunk: Chunk): AbortedLookup | undefined {
    if (this.config.isolation !== 'read_committed') return undefined;
    const { topic, partition } = chunk.cursor;
    const toOffset = chunk.readLimit ?? chunk.highWatermark;
    return () => readAbortedTransactions(
      partitionDirectory(this.context.dataDir, topic, partition), chunk.fromOffset, toOffset);
  }

  /**
   * The records of a fetched chunk, each batch checked first (`checkCrcs`). Throws
   * `CORRUPT_LOG` for a bad batch at the chunk's start, and tells 'error' listeners.
   * @internal
   */
  decode(chunk: Chunk): DecodedChunk {
    const cursor = chunk.cursor;
    const decoded = decodeChunk(chunk.bytes, cursor.topic, cursor.partition, chunk.fromOffset,
      this.config.checkCrcs, chunk, this.filters.get(cursor.topic), this.abortedLookup(chunk));
    if (decoded.filteredCount > 0) {
      this.filteredCounts.set(cursor.key,
        (this.filteredCounts.get(cursor.key) ?? 0) + decoded.filteredCount);
    }
    // Metrics: two shared counters and one end-to-end sample (its last record) per chunk.
    const count = decoded.messages.length;
    if (count > 0) {
      const metrics = this.context.controlBlock.metrics;
      metrics.addConsumed(cursor.slot, count, chunk.bytes.byteLength);
      const ageMs = Date.now() - decoded.messages[count - 1].timestamp;
      metrics.observe(SharedHistogram.END_TO_END, Math.max(0, ageMs) / 1000);
    }
    return decoded;
  }

  /**
   * A corrupt log stops `run` and the iterator (they throw it to their caller) and is emitted
   * as 'error' too, for code that started `run()` without awaiting it. Emitted only when
   * someone listens: an 'error' event nobody listens to would throw out of `emit`.
   * @internal
   */
  reportCorruption(error: unknown): void {
    if (MambaError.is(error, 'CORRUPT_LOG') && this.listenerCount('error') > 0) {
      this.emit('error', error);
    }
  }

  // ---- the run loop ---------------------------------------------------------------------

  private async loop(run: RunConfig, pool: HandlerPool | undefined): Promise<void> {
    this.stopRequested = this.lifecycle !== 'open';
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    try {
      while (!this.stopRequested && failure === undefined) {
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
        const task: Promise<void> = this.process(run, pool, chunk, decoded)
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
    // What completed before the failure is committed now, not only at close (issue 17 item 9).
    if (this.config.autoCommit.kind !== 'off') await this.commitProcessedQuietly();
    throw failure.error;
  }

  /** Commits every processed offset; a failure is kept in lastAutoCommitError. */
  private async commitProcessedQuietly(): Promise<void> {
    await this.commitInFlight;
    const entries = this.processedEntries();
    if (entries.length === 0) return;
    await this.commitEntries(entries).catch((error: unknown) => this.autoCommitFailed(error));
  }

  private process(run: RunConfig, pool: HandlerPool | undefined, chunk: Chunk,
    decoded: DecodedChunk): Promise<void> {
    switch (run.kind) {
      case 'message':
        return this.eachMessage(run.eachMessage, chunk, decoded, run.failures);
      case 'batch': return this.eachBatch(run.eachBatch, chunk, decoded, run.failures);
      case 'pool': return this.eachPoolBatch(pool!, chunk, decoded);
    }
  }

  /** Whether a chunk's partition may go on: not moved, revoked, paused, or stopped since. */
  private live(chunk: Chunk): boolean {
    const cursor = chunk.cursor;
    return cursor.epoch === chunk.epoch && !cursor.retired && !cursor.paused &&
      !this.stopRequested;
  }

  private async eachMessage(callback: (m: ConsumedMessage) => unknown, chunk: Chunk,
    decoded: DecodedChunk, failures: FailureConfig): Promise<void> {
    const cursor = chunk.cursor;
    const router = this.router;
    for (const message of decoded.messages) {
      if (!this.live(chunk)) {
        this.fetcher.rewind(cursor, chunk.epoch, cursor.processed);
        return;
      }
      if (router !== undefined && router.isRetryTopic(message.topic)) {
        const dueInMs = router.dueInMs(message);
        if (dueInMs > 0) {
          this.waitUntilDue(chunk, message, dueInMs);
          return;
        }
        if (dueInMs < 0) {
          // Another group's retry record: consumed, not handled.
          if (cursor.epoch === chunk.epoch) cursor.processed = message.offset + 1;
          continue;
        }
      }
      // The first call is made here, so that a handler that returns without a promise costs no
      // await (no microtask turn per record); a promise, or a throw, takes the retry path.
      let first: (() => PromiseLike<unknown> | undefined) | undefined;
      try {
        const result = callback(message);
        if (isThenable(result)) first = () => result;
      } catch (error) {
        first = () => { throw error; };
      }
      if (first !== undefined) {
        const call = (): PromiseLike<unknown> | undefined => {
          const result = callback(message);
          return isThenable(result) ? result : undefined;
        };
        const exhausted = router === undefined ? undefined
          : (failure: HandlerFailure) => this.forwardFailed(chunk, message, failure);
        if (!await this.withRetries(chunk, message.offset, failures, call, first, exhausted)) {
          return;
        }
      }
      if (cursor.epoch === chunk.epoch) cursor.processed = message.offset + 1;
    }
    if (cursor.epoch === chunk.epoch) cursor.processed = decoded.nextOffset;
  }

  /**
   * A retry-topic record not yet due: its partition is paused until it is, and the rest of
   * the chunk is fetched again then. The other partitions go on meanwhile.
   */
  private waitUntilDue(chunk: Chunk, message: ConsumedMessage, dueInMs: number): void {
    const entry = [{ topic: message.topic, partitions: [message.partition] }];
    this.pause(entry);
    this.fetcher.rewind(chunk.cursor, chunk.epoch, chunk.cursor.processed);
    const timer = setTimeout(() => {
      this.dueTimers.delete(timer);
      if (this.lifecycle === 'open') this.resume(entry);
    }, dueInMs);
    this.dueTimers.add(timer);
  }

  /**
   * The step after a record's retries are exhausted: forward it (next retry topic or dead
   * letter), then commit past it, before the partition goes on (forward-mark.ts). A failed
   * commit (the partition was taken away meanwhile) leaves the record to its next owner, whose
   * step finds the record already forwarded.
   */
  private async forwardFailed(chunk: Chunk, message: ConsumedMessage, failure: HandlerFailure):
  Promise<void> {
    await this.router!.route(message, failure);
    const cursor = chunk.cursor;
    if (cursor.epoch !== chunk.epoch) return;
    cursor.processed = message.offset + 1;
    await this.commitInFlight;
    const entry = { topic: message.topic, partition: message.partition,
      offset: message.offset + 1 };
    await this.commitEntries([entry]).catch((error: unknown) => this.autoCommitFailed(error));
  }

  private async eachBatch(callback: (b: ConsumedBatch) => unknown, chunk: Chunk,
    decoded: DecodedChunk, failures: FailureConfig): Promise<void> {
    const cursor = chunk.cursor;
    if (decoded.messages.length > 0) {
      const batch: ConsumedBatch = {
        topic: cursor.topic, partition: cursor.partition, messages: decoded.messages,
        highWatermark: chunk.highWatermark, nextOffset: decoded.nextOffset,
      };
      // With a dead-letter topic, a batch that kept failing is handed out again one record at
      // a time, so that only the records that fail on their own become dead letters.
      const exhausted = this.router === undefined ? undefined
        : () => this.eachBatchRecord(callback, chunk, batch);
      const done = await this.withRetries(chunk, decoded.messages[0].offset, failures,
        async () => { await callback(batch); }, undefined, exhausted);
      if (!done) return;
    }
    if (cursor.epoch === chunk.epoch) cursor.processed = decoded.nextOffset;
  }

  private async eachBatchRecord(callback: (b: ConsumedBatch) => unknown, chunk: Chunk,
    batch: ConsumedBatch): Promise<void> {
    const cursor = chunk.cursor;
    for (const message of batch.messages) {
      if (message.offset < cursor.processed) continue;
      const firstFailureMs = Date.now();
      try {
        await callback({ ...batch, messages: [message], nextOffset: message.offset + 1 });
        if (cursor.epoch === chunk.epoch) cursor.processed = message.offset + 1;
      } catch (error) {
        await this.forwardFailed(chunk, message,
          { error, attempts: 1, firstFailureMs, lastFailureMs: Date.now() });
      }
    }
  }

  /**
   * Runs a handler call, again after an exponential backoff (`failures.backoff`) when it
   * throws, up to `retries + 1` calls; then, with `exhausted`, hands the failure to it (a dead
   * letter or retry topic) and returns true, else rewinds the partition to its first
   * unprocessed record and throws HANDLER_FAILED with the handler's error as `cause`. False when
   * the chunk stopped counting (seek, revocation, close) while it waited to retry: the
   * partition was rewound. Heartbeats run on their own timer meanwhile, so a long wait is lag,
   * not a rebalance. `first`, when given, is the first attempt already made.
   */
  private async withRetries(chunk: Chunk, offset: number, failures: FailureConfig,
    call: () => PromiseLike<unknown> | undefined,
    first: () => PromiseLike<unknown> | undefined = call,
    exhausted?: (failure: HandlerFailure) => Promise<void>): Promise<boolean> {
    const cursor = chunk.cursor;
    const maxAttempts = failures.backoff.retries + 1;
    let firstFailureMs = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await (attempt === 1 ? first() : call());
        return true;
      } catch (error) {
        const nowMs = Date.now();
        if (attempt === 1) firstFailureMs = nowMs;
        if (attempt >= maxAttempts && exhausted !== undefined) {
          try {
            await exhausted({ error, attempts: attempt, firstFailureMs, lastFailureMs: nowMs });
          } catch (stepError) {
            // The record was not moved: it stays the partition's next one to deliver.
            this.fetcher.rewind(cursor, chunk.epoch, cursor.processed);
            throw stepError;
          }
          return true;
        }
        if (attempt >= maxAttempts) {
          this.fetcher.rewind(cursor, chunk.epoch, cursor.processed);
          throw handlerFailed(cursor.topic, cursor.partition, offset, attempt, error);
        }
      }
      await sleepMs(backoffDelayMs(failures.backoff, attempt));
      if (!this.live(chunk)) {
        this.fetcher.rewind(cursor, chunk.epoch, cursor.processed);
        return false;
      }
    }
  }

  private async eachPoolBatch(pool: HandlerPool, chunk: Chunk, decoded: DecodedChunk):
  Promise<void> {
    const cursor = chunk.cursor;
    const { topic, partition } = cursor;
    if (poolEpochs.get(pool)?.get(cursor.key) !== chunk.epoch) {
      // A seek or rewind since the pool last saw the partition: forget its tracker.
      await pool.resetPartition(topic, partition);
      if (!poolEpochs.has(pool)) poolEpochs.set(pool, new Map());
      poolEpochs.get(pool)!.set(cursor.key, chunk.epoch);
    }
    try {
      await pool.process(topic, partition, decoded.messages);
    } catch (error) {
      const committable = pool.committable(topic, partition);
      if (cursor.epoch === chunk.epoch && committable !== undefined) {
        cursor.processed = committable;
      }
      this.fetcher.rewind(cursor, chunk.epoch, cursor.processed);
      throw error;
    }
    if (cursor.epoch === chunk.epoch) cursor.processed = decoded.nextOffset;
  }
}

/** The epoch each pool last processed a partition in (a pool lives for one `run`). */
const poolEpochs = new WeakMap<HandlerPool, Map<string, number>>();

/**
 * The async iterator: fetches a chunk, hands its records out one `next()` at a time, and marks
 * a record processed when the loop asks for the next one, which it does only once the loop
 * body for the record completed. Leaving the loop (`return()`: a `break`, a `return`, or an
 * exception thrown out of the body, which JavaScript does not tell apart) does not mark the
 * record the loop was on: it is delivered again, to the next loop over this consumer or to the
 * next member of the group (issue 17, item 1: a throw must never commit the failed record). The
 * unprocessed rest of the chunk is given back, to be fetched again. A crash (the thread dies in
 * the body) likewise leaves the record unprocessed.
 */
class MessageIterator implements AsyncIterator<ConsumedMessage> {
  private chunk: Chunk | undefined;
  private decoded: DecodedChunk | undefined;
  private index = 0;
  private last: ConsumedMessage | undefined;

  constructor(private readonly consumer: Consumer, private readonly fetcher: ConsumerFetcher) {}

  next(): Promise<IteratorResult<ConsumedMessage>> {
    this.consumer.startIterating();
    this.markLastProcessed();
    // Fast path: the next record of the current chunk, without an async function's overhead.
    const chunk = this.chunk;
    if (chunk !== undefined && !this.consumer.stopping) {
      const message = this.nextOfChunk(chunk);
      if (message !== undefined) return Promise.resolve(new NextResult(message));
    }
    return this.fetchNext();
  }

  private async fetchNext(): Promise<IteratorResult<ConsumedMessage>> {
    try {
      return await this.fetchNextChunk();
    } catch (error) {
      // The loop ends with the error (a corrupt log): leave the consumer free for a seek
      // and a new loop, at the position of the bad batch.
      this.finish();
      this.consumer.reportCorruption(error);
      throw error;
    }
  }

  private async fetchNextChunk(): Promise<IteratorResult<ConsumedMessage>> {
    for (;;) {
      if (this.consumer.stopping) return this.finish();
      const chunk = this.chunk;
      if (chunk !== undefined) {
        const message = this.nextOfChunk(chunk);
        if (message !== undefined) return new NextResult(message);
        continue;
      }
      const next = this.fetcher.poll();
      if (next === undefined) {
        await this.fetcher.wait();
        continue;
      }
      const cursor = next.cursor;
      this.decoded = this.consumer.decode(next);
      cursor.position = this.decoded.nextOffset;
      cursor.inFlight = Promise.resolve();
      this.chunk = next;
      this.index = 0;
    }
  }

  async return(): Promise<IteratorResult<ConsumedMessage>> {
    return this.finish();
  }

  private nextOfChunk(chunk: Chunk): ConsumedMessage | undefined {
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

/**
 * The iterator's `{ done: false, value }`, made by a constructor rather than an object literal.
 * V8 tracks a literal's allocation site and pretenures it (allocates its objects in the old
 * generation) once a scavenge finds most of them alive, which the consume bench's iterator
 * pass hit: each old-generation result then kept its young message alive through the write
 * barrier's remembered set, every message was promoted, scavenges grew by ~5 MB each and the
 * garbage collector took ~40 % of the thread. A constructor's objects carry no allocation site,
 * so they are never pretenured: the iterator reads ~2× the records per CPU second (issue 15).
 */
class NextResult implements IteratorYieldResult<ConsumedMessage> {
  readonly done = false as const;
  constructor(readonly value: ConsumedMessage) {}
}

function checkPartition(location: TopicLocation, partition: unknown): void {
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 ||
    partition >= location.partitionCount) {
    throw new MambaError('INVALID_PARTITION',
      `partition ${String(partition)} out of range: topic ${location.topic} has ` +
      `${location.partitionCount}`, { detail: { topic: location.topic, partition } });
  }
}

/** The one rule for offsets given to `seek` and `commit`: a non-negative safe integer. */
export function checkOffset(offset: unknown): asserts offset is number {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new MambaError('INVALID_OFFSET',
      `offset ${String(offset)} is not an offset: a non-negative integer is`,
      { detail: { offset: String(offset) } });
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null &&
    typeof (value as { then?: unknown }).then === 'function';
}
