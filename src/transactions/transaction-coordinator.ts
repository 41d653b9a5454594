/**
 * The transaction coordinator (issue 16): Kafka's model on one node. It owns, per
 * transactional id, a producer id and epoch and the state of its one open transaction, keeps
 * them in a durable log (transaction-log.ts, a compacted internal topic), and ends each
 * transaction in two phases: the Prepare* record is durable before any marker is written;
 * then a marker goes to every partition of the transaction (durable); then, for a commit, the
 * pending group offsets are applied; then the Complete* record is written.
 *
 * Invariants:
 * 1. Memory follows the log: a state change is applied in memory only after its record is
 *    durable, so what callers are told is what a reload finds.
 * 2. One operation at a time per transactional id (a promise queue), so a state is never
 *    read and written by two operations at once; ending a transaction holds the queue until
 *    it is complete, and later calls for the id wait behind it.
 * 3. A producer id is never handed out twice, across restarts: ids come from blocks whose end
 *    is durable before the first id of the block is used.
 * 4. Every epoch bump the coordinator makes fences the previous user: the bumped epoch is the
 *    one its markers carry, and the partitions refuse older epochs (PRODUCER_FENCED).
 *
 * On start (`TransactionCoordinator.start`), from the loaded log:
 * | state loaded              | what happens                                              |
 * | ------------------------- | --------------------------------------------------------- |
 * | PrepareCommit/PrepareAbort | completed again: markers re-written (a duplicate marker  |
 * |                           | is harmless), offsets applied (idempotent), Complete*     |
 * | Ongoing                   | its timer armed from its durable start time: aborted at   |
 * |                           | once if the timeout already passed, else when it does     |
 * | Empty, Complete*, Dead    | nothing to do                                             |
 */
import { assert } from '../assert.js';
import {
  markerRetryDelayMsMax, markerRetryDelayMsMin, producerEpochMax, producerIdBlockSize,
  transactionPartitionCountMax, transactionTimeoutMsMax, transactionalIdLengthMax,
  transactionalProducerIdBase,
} from '../constants.js';
import { MambaError, closed } from '../errors.js';
import { checkCommitMetadata, checkGroupId, type Clock } from '../coordinator/index.js';
import {
  COORDINATOR_EPOCH_KEY, PRODUCER_ID_BLOCK_KEY, encodeValue, transactionKey,
  type PendingOffset, type TopicPartitionRef, type TransactionRecord,
  type TransactionStateName,
} from './transaction-log-layout.js';
import type { LoadedTransactionLog, TransactionLogWriter } from './transaction-log.js';

/** A commit or abort marker for one partition (what `Supervisor.writeTxnMarker` takes). */
export interface TxnMarker {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
}

/** Writes markers into partitions: the supervisor, which routes to the owning actor. */
export interface TxnMarkerWriter {
  writeTxnMarker(topic: string, partition: number, marker: TxnMarker): Promise<{ offset: number }>;
}

/** Where committed transactions' offsets go: the group offset store. */
export interface TxnOffsetSink {
  commit(groupId: string, entries: { topic: string; partition: number; offset: number }[]):
  Promise<void>;
}

export interface TransactionCoordinatorContext {
  log: TransactionLogWriter;
  loaded: LoadedTransactionLog;
  markers: TxnMarkerWriter;
  offsets: TxnOffsetSink;
  /** Partitions of a topic, undefined for a topic that does not exist. */
  partitionCount(topic: string): number | undefined;
  /** Wall-clock time (start times are durable); tests pass a `ManualClock`. */
  clock?: Clock;
  /** The longest transaction timeout a producer may ask for (Kafka's default: 15 min). */
  transactionTimeoutMsMax?: number;
}

export interface ProducerIdAndEpoch {
  producerId: number;
  producerEpoch: number;
}

export interface TxnMember {
  memberId: string;
  generationId: number;
  groupInstanceId?: string | null;
}

/** What `describe` tells about one transactional id. */
export interface TransactionDescription {
  transactionalId: string;
  state: TransactionStateName;
  producerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  partitions: TopicPartitionRef[];
  /** Groups whose offsets the open transaction commits, with the pending offsets. */
  offsets: Record<string, PendingOffset[]>;
  startedAtMs: number;
}

/** Points inside ending a transaction, for crash tests that kill the process there. */
export type TxnStepPoint = 'prepared' | 'marker-written' | 'offsets-applied';

let stepHook: ((point: TxnStepPoint, transactionalId: string) => void) | undefined;

/** @internal Crash tests: called at each point of every transaction end in this thread. */
export function setTransactionStepHook(
  hook: ((point: TxnStepPoint, transactionalId: string) => void) | undefined,
): void {
  stepHook = hook;
}

const wallClock: Clock = {
  nowMs: () => Date.now(),
  schedule(delayMs, callback) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export class TransactionCoordinator {
  private readonly transactions = new Map<string, TransactionRecord>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly timers = new Map<string, () => void>();
  private readonly clock: Clock;
  private readonly timeoutMsMax: number;
  /** This coordinator's epoch, in every marker: one more than the log's last. */
  readonly coordinatorEpoch: number;
  private epochWritten = false;
  private nextProducerId = 0;
  private producerIdBlockEnd = 0;
  private allocating: Promise<unknown> = Promise.resolve();
  private isClosed = false;

  private constructor(private readonly context: TransactionCoordinatorContext) {
    this.clock = context.clock ?? wallClock;
    this.timeoutMsMax = context.transactionTimeoutMsMax ?? transactionTimeoutMsMax;
    const { loaded } = context;
    this.coordinatorEpoch = loaded.coordinatorEpoch + 1;
    this.nextProducerId = Math.max(loaded.nextProducerIdBlock, transactionalProducerIdBase);
    this.producerIdBlockEnd = this.nextProducerId;
    for (const [id, record] of loaded.transactions) this.transactions.set(id, record);
    for (const { offset, reason } of loaded.skipped) {
      console.warn(`mamba: transaction log record at offset ${offset} skipped: ${reason}`);
    }
  }

  /**
   * A coordinator over a loaded log: every Prepare* transaction is completed again (queued
   * first for its id, so calls for it wait) and every Ongoing one gets its timeout timer.
   */
  static start(context: TransactionCoordinatorContext): TransactionCoordinator {
    const coordinator = new TransactionCoordinator(context);
    for (const record of coordinator.transactions.values()) {
      if (record.state === 'PrepareCommit' || record.state === 'PrepareAbort') {
        void coordinator.run(record.transactionalId, () => coordinator.complete(record))
          .catch((error: unknown) => {
            console.warn(`mamba: transaction ${JSON.stringify(record.transactionalId)} could ` +
              `not be completed after a restart: ${String(error)}`);
          });
      } else if (record.state === 'Ongoing') {
        coordinator.armTimeout(record);
      }
    }
    return coordinator;
  }

  /**
   * The producer id and epoch for `transactionalId`: a new id (durably allocated) the first
   * time, else the epoch bumped, which fences the previous user; its open transaction is
   * aborted first (with the bumped epoch). `current` (KIP-360): the caller's own id and epoch,
   * when it asks for a bump after an error; refused if another user has taken over since.
   */
  async initProducerId(transactionalId: string, transactionTimeoutMs: number,
    current?: ProducerIdAndEpoch): Promise<ProducerIdAndEpoch> {
    this.checkOpen();
    checkTransactionalId(transactionalId);
    if (!Number.isInteger(transactionTimeoutMs) || transactionTimeoutMs < 1 ||
      transactionTimeoutMs > this.timeoutMsMax) {
      throw new MambaError('INVALID_TRANSACTION_TIMEOUT', `transaction timeout ` +
        `${transactionTimeoutMs} ms is not an integer from 1 to ${this.timeoutMsMax}`,
      { detail: { transactionTimeoutMs } });
    }
    return this.run(transactionalId, async () => {
      const existing = this.transactions.get(transactionalId);
      if (existing === undefined) {
        const producerId = await this.allocateProducerId();
        const created = this.newRecord(transactionalId, producerId, transactionTimeoutMs);
        await this.write(created);
        return { producerId, producerEpoch: 0 };
      }
      if (current !== undefined) checkCurrent(existing, current);
      let record = existing;
      if (record.state === 'PrepareCommit' || record.state === 'PrepareAbort') {
        record = await this.complete(record);
      }
      if (record.state === 'Ongoing') record = await this.end(record, false, 'fence');
      else record = await this.bumpEpoch(record);
      record = { ...record, transactionTimeoutMs, state: 'Empty', updatedAtMs: this.clock.nowMs() };
      await this.write(record);
      return { producerId: record.producerId, producerEpoch: record.producerEpoch };
    });
  }

  /** Adds partitions to the producer's transaction (starting it); durable before it resolves. */
  async addPartitions(transactionalId: string, producerId: number, producerEpoch: number,
    partitions: TopicPartitionRef[]): Promise<void> {
    this.checkOpen();
    checkTransactionalId(transactionalId);
    if (!Array.isArray(partitions)) {
      throw new MambaError('INVALID_REQUEST', 'partitions must be an array');
    }
    for (const { topic, partition } of partitions) this.checkPartition(topic, partition);
    await this.run(transactionalId, async () => {
      const record = this.producerRecord(transactionalId, producerId, producerEpoch);
      checkNotCompleting(record);
      const known = new Set(record.partitions.map(keyOf));
      const added = partitions.filter((p) => {
        const key = keyOf(p);
        if (known.has(key)) return false;
        known.add(key);
        return true;
      });
      if (added.length === 0 && record.state === 'Ongoing') return;
      const next = this.ongoing(record, {
        partitions: [...record.partitions,
          ...added.map((p) => ({ topic: p.topic, partition: p.partition }))],
      });
      await this.write(next);
      this.armTimeout(next);
    });
  }

  /** Adds a group to the transaction: its offsets (txnOffsetCommit) commit with it. */
  async addOffsets(transactionalId: string, producerId: number, producerEpoch: number,
    groupId: string): Promise<void> {
    this.checkOpen();
    checkTransactionalId(transactionalId);
    checkGroupId(groupId);
    await this.run(transactionalId, async () => {
      const record = this.producerRecord(transactionalId, producerId, producerEpoch);
      checkNotCompleting(record);
      if (record.offsets[groupId] !== undefined && record.state === 'Ongoing') return;
      const next = this.ongoing(record, {
        offsets: { ...record.offsets, [groupId]: record.offsets[groupId] ?? [] },
      });
      await this.write(next);
      this.armTimeout(next);
    });
  }

  /**
   * Offsets the group commits if, and when, the transaction commits: durable in the log now
   * (so a commit after a coordinator restart still applies them), in the group's offset store
   * only on commit, discarded on abort. The latest offset per partition wins.
   */
  async txnOffsetCommit(transactionalId: string, producerId: number, producerEpoch: number,
    groupId: string, offsets: PendingOffset[], member?: TxnMember): Promise<void> {
    this.checkOpen();
    checkTransactionalId(transactionalId);
    checkGroupId(groupId);
    checkOffsets(offsets);
    void member; // Kept for the door (KIP-447); Mamba's groups do not fence transactional commits.
    await this.run(transactionalId, async () => {
      const record = this.producerRecord(transactionalId, producerId, producerEpoch);
      checkNotCompleting(record);
      const byPartition = new Map<string, PendingOffset>();
      for (const entry of record.offsets[groupId] ?? []) byPartition.set(keyOf(entry), entry);
      for (const { topic, partition, offset, metadata } of offsets) {
        byPartition.set(keyOf({ topic, partition }),
          { topic, partition, offset, metadata: metadata ?? null });
      }
      const next = this.ongoing(record, {
        offsets: { ...record.offsets, [groupId]: [...byPartition.values()] },
      });
      await this.write(next);
      this.armTimeout(next);
    });
  }

  /**
   * Commits or aborts the producer's transaction; resolves once it is complete (Complete*
   * durable: markers durable in every partition, offsets applied). Ending one that has just
   * completed the same way is answered as done (a retried request).
   */
  async endTxn(transactionalId: string, producerId: number, producerEpoch: number,
    commit: boolean): Promise<void> {
    this.checkOpen();
    checkTransactionalId(transactionalId);
    await this.run(transactionalId, async () => {
      const record = this.producerRecord(transactionalId, producerId, producerEpoch);
      const wanted = commit ? 'Commit' : 'Abort';
      switch (record.state) {
        case 'Ongoing':
          await this.end(record, commit, 'request');
          return;
        case 'PrepareCommit':
        case 'PrepareAbort':
          if (record.state !== `Prepare${wanted}`) throw invalidState(record, commit);
          await this.complete(record);
          return;
        case 'CompleteCommit':
        case 'CompleteAbort':
          if (record.state !== `Complete${wanted}`) throw invalidState(record, commit);
          return;
        case 'Empty':
        case 'Dead':
          throw invalidState(record, commit);
      }
    });
  }

  /** The state of one transactional id (undefined if the coordinator never saw it). */
  async describe(transactionalId: string): Promise<TransactionDescription | undefined> {
    const record = this.transactions.get(transactionalId);
    if (record === undefined) return undefined;
    return {
      transactionalId, state: record.state, producerId: record.producerId,
      producerEpoch: record.producerEpoch, transactionTimeoutMs: record.transactionTimeoutMs,
      partitions: record.partitions.map((p) => ({ ...p })),
      offsets: Object.fromEntries(Object.entries(record.offsets)
        .map(([group, list]) => [group, list.map((e) => ({ ...e }))])),
      startedAtMs: record.startedAtMs,
    };
  }

  /** Every transactional id the coordinator holds, sorted. */
  transactionalIds(): string[] {
    return [...this.transactions.keys()].sort();
  }

  /**
   * Stops timers and marker retries, and waits for the operations under way. What is not
   * complete stays in the log as it is, and the next start finishes it.
   */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    await Promise.allSettled([...this.queues.values()]);
  }

  private checkOpen(): void {
    if (this.isClosed) throw closed('BROKER_CLOSED', 'transaction coordinator');
  }

  /** Runs `operation` after every earlier one for the same id (invariant 2). */
  private run<T>(transactionalId: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(transactionalId) ?? Promise.resolve();
    const result = previous.catch(() => undefined).then(operation);
    const tail = result.catch(() => undefined);
    this.queues.set(transactionalId, tail);
    void tail.then(() => {
      if (this.queues.get(transactionalId) === tail) this.queues.delete(transactionalId);
    });
    return result;
  }

  private newRecord(transactionalId: string, producerId: number, timeoutMs: number):
  TransactionRecord {
    const nowMs = this.clock.nowMs();
    return {
      transactionalId, producerId, producerEpoch: 0, lastProducerEpoch: -1,
      transactionTimeoutMs: timeoutMs, state: 'Empty', partitions: [], offsets: {},
      startedAtMs: 0, updatedAtMs: nowMs,
    };
  }

  /** The record, Ongoing (started now unless it was already), with `changes` applied. */
  private ongoing(record: TransactionRecord, changes: Partial<TransactionRecord>):
  TransactionRecord {
    const nowMs = this.clock.nowMs();
    const next: TransactionRecord = {
      ...record, ...changes, state: 'Ongoing', updatedAtMs: nowMs,
      startedAtMs: record.state === 'Ongoing' ? record.startedAtMs : nowMs,
    };
    if (record.state !== 'Ongoing') {
      // A new transaction starts from nothing: what the last one held is complete.
      next.partitions = changes.partitions ?? [];
      next.offsets = changes.offsets ?? {};
    }
    const groups = Object.keys(next.offsets).length;
    if (next.partitions.length + groups > transactionPartitionCountMax) {
      throw new MambaError('INVALID_REQUEST', `a transaction may touch at most ` +
        `${transactionPartitionCountMax} partitions and groups`,
      { detail: { transactionalId: record.transactionalId } });
    }
    return next;
  }

  /** The record of the producer `producerId`/`producerEpoch`, or why it may not act. */
  private producerRecord(transactionalId: string, producerId: number, producerEpoch: number):
  TransactionRecord {
    const record = this.transactions.get(transactionalId);
    if (record === undefined || record.producerId !== producerId) {
      throw new MambaError('INVALID_PRODUCER_ID_MAPPING', `producer id ${producerId} is not ` +
        `the one of transactional id ${JSON.stringify(transactionalId)}`,
      { detail: { transactionalId, producerId } });
    }
    if (record.producerEpoch !== producerEpoch) throw staleEpoch(record, producerEpoch);
    return record;
  }

  /**
   * Ends an Ongoing transaction in two phases. `why`: 'request' (the producer's endTxn),
   * 'fence' (a new user: the epoch is bumped, fencing the old one), 'timeout' (bumped too,
   * and the old epoch kept so that its producer may ask for a new one: KIP-360).
   */
  private async end(record: TransactionRecord, commit: boolean,
    why: 'request' | 'fence' | 'timeout'): Promise<TransactionRecord> {
    assert(record.state === 'Ongoing', 'only an Ongoing transaction is ended');
    let { producerEpoch, lastProducerEpoch } = record;
    if (why !== 'request' && producerEpoch < producerEpochMax) {
      lastProducerEpoch = why === 'timeout' ? producerEpoch : -1;
      producerEpoch++;
    }
    const prepared: TransactionRecord = {
      ...record, producerEpoch, lastProducerEpoch, updatedAtMs: this.clock.nowMs(),
      state: commit ? 'PrepareCommit' : 'PrepareAbort',
    };
    if (!commit) prepared.offsets = {};
    await this.write(prepared);
    stepHook?.('prepared', record.transactionalId);
    this.cancelTimeout(record.transactionalId);
    return this.complete(prepared);
  }

  /** Markers to every partition, offsets applied on commit, then Complete* (idempotent). */
  private async complete(prepared: TransactionRecord): Promise<TransactionRecord> {
    const commit = prepared.state === 'PrepareCommit';
    assert(commit || prepared.state === 'PrepareAbort', 'only a Prepare* state is completed');
    const marker: TxnMarker = {
      producerId: prepared.producerId, producerEpoch: prepared.producerEpoch, commit,
      coordinatorEpoch: this.coordinatorEpoch,
    };
    const id = prepared.transactionalId;
    await Promise.all(prepared.partitions.map(async (p) => {
      await this.writeMarker(p, marker);
      stepHook?.('marker-written', id);
    }));
    if (commit) {
      for (const [groupId, entries] of Object.entries(prepared.offsets)) {
        if (entries.length === 0) continue;
        await this.context.offsets.commit(groupId, entries.map(
          ({ topic, partition, offset, metadata }) => ({
            topic, partition, offset, ...(metadata ? { metadata } : {}),
          })));
      }
      stepHook?.('offsets-applied', id);
    }
    const completed: TransactionRecord = {
      ...prepared, state: commit ? 'CompleteCommit' : 'CompleteAbort', partitions: [],
      offsets: {}, startedAtMs: 0, updatedAtMs: this.clock.nowMs(),
    };
    await this.write(completed);
    return completed;
  }

  /**
   * Writes one marker, trying again with backoff while its partition cannot take it (an actor
   * restarting): the transaction cannot complete without it. A partition that no longer exists
   * (its topic deleted) needs none. Stops when the coordinator closes; the next start retries.
   */
  private async writeMarker(partition: TopicPartitionRef, marker: TxnMarker): Promise<void> {
    let delayMs = markerRetryDelayMsMin;
    for (;;) {
      const count = this.context.partitionCount(partition.topic);
      if (count === undefined || partition.partition >= count) return;
      try {
        await this.context.markers.writeTxnMarker(partition.topic, partition.partition, marker);
        return;
      } catch (error) {
        if (this.isClosed) throw error;
        if (MambaError.is(error, 'UNKNOWN_TOPIC') || MambaError.is(error, 'INVALID_PARTITION')) {
          return;
        }
        console.warn(`mamba: marker for ${partition.topic}/${partition.partition} failed ` +
          `(${MambaError.is(error) ? error.code : String(error)}); trying again`);
      }
      await new Promise<void>((resolve) => { this.clock.schedule(delayMs, resolve); });
      delayMs = Math.min(delayMs * 2, markerRetryDelayMsMax);
    }
  }

  private async bumpEpoch(record: TransactionRecord): Promise<TransactionRecord> {
    if (record.producerEpoch < producerEpochMax) {
      return { ...record, producerEpoch: record.producerEpoch + 1, lastProducerEpoch: -1 };
    }
    // Epochs are int16: past the last one the id is replaced, as Kafka does.
    const producerId = await this.allocateProducerId();
    return { ...record, producerId, producerEpoch: 0, lastProducerEpoch: -1 };
  }

  /** A fresh producer id; a new block's end is durable before its first id is used. */
  private allocateProducerId(): Promise<number> {
    const allocation = this.allocating.catch(() => undefined).then(async () => {
      if (this.nextProducerId >= this.producerIdBlockEnd) {
        const blockEnd = this.nextProducerId + producerIdBlockSize;
        assert(Number.isSafeInteger(blockEnd), 'producer ids stay exact numbers');
        await this.appendRecords([{ key: PRODUCER_ID_BLOCK_KEY,
          value: encodeValue({ nextProducerIdBlock: blockEnd }) }]);
        this.producerIdBlockEnd = blockEnd;
      }
      return this.nextProducerId++;
    });
    this.allocating = allocation;
    return allocation;
  }

  /** Makes the record durable, then applies it in memory (invariant 1). */
  private async write(record: TransactionRecord): Promise<void> {
    await this.appendRecords([{
      key: transactionKey(record.transactionalId), value: encodeValue(record),
    }]);
    this.transactions.set(record.transactionalId, record);
  }

  private async appendRecords(records: { key: Uint8Array; value: Uint8Array }[]):
  Promise<void> {
    if (!this.epochWritten) {
      // The epoch goes with this coordinator's first write, so an unused broker writes nothing.
      records = [{ key: COORDINATOR_EPOCH_KEY,
        value: encodeValue({ coordinatorEpoch: this.coordinatorEpoch }) }, ...records];
    }
    await this.context.log.append(records);
    this.epochWritten = true;
  }

  private armTimeout(record: TransactionRecord): void {
    this.cancelTimeout(record.transactionalId);
    if (record.state !== 'Ongoing' || this.isClosed) return;
    const dueMs = record.startedAtMs + record.transactionTimeoutMs;
    const delayMs = Math.max(0, dueMs - this.clock.nowMs());
    const cancel = this.clock.schedule(delayMs, () => {
      if (this.timers.get(record.transactionalId) === cancel) {
        this.timers.delete(record.transactionalId);
      }
      void this.abortTimedOut(record).catch((error: unknown) => {
        if (!this.isClosed) {
          console.warn(`mamba: timed-out transaction ${JSON.stringify(record.transactionalId)}` +
            ` could not be aborted: ${String(error)}`);
        }
      });
    });
    this.timers.set(record.transactionalId, cancel);
  }

  private cancelTimeout(transactionalId: string): void {
    this.timers.get(transactionalId)?.();
    this.timers.delete(transactionalId);
  }

  /** Aborts the transaction if it is still the one that timed out (bumping the epoch). */
  private abortTimedOut(timedOut: TransactionRecord): Promise<void> {
    return this.run(timedOut.transactionalId, async () => {
      if (this.isClosed) return;
      const record = this.transactions.get(timedOut.transactionalId);
      if (record === undefined || record.state !== 'Ongoing' ||
        record.producerId !== timedOut.producerId ||
        record.producerEpoch !== timedOut.producerEpoch ||
        record.startedAtMs !== timedOut.startedAtMs) {
        return;
      }
      await this.end(record, false, 'timeout');
    });
  }

  private checkPartition(topic: unknown, partition: unknown): void {
    const count = typeof topic === 'string' ? this.context.partitionCount(topic) : undefined;
    if (count === undefined || !Number.isInteger(partition) || (partition as number) < 0 ||
      (partition as number) >= count) {
      throw new MambaError('UNKNOWN_TOPIC_OR_PARTITION',
        `no partition ${String(partition)} of topic ${JSON.stringify(topic)}`,
        { detail: { topic, partition } });
    }
  }
}

function keyOf(p: { topic: string; partition: number }): string {
  return `${p.topic}\u0000${p.partition}`;
}

function checkTransactionalId(transactionalId: unknown): asserts transactionalId is string {
  if (typeof transactionalId !== 'string' || transactionalId.length === 0 ||
    transactionalId.length > transactionalIdLengthMax) {
    throw new MambaError('INVALID_CONFIG', `transactionalId must be a string of 1 to ` +
      `${transactionalIdLengthMax} characters`, { detail: { transactionalId } });
  }
}

function checkOffsets(offsets: unknown): asserts offsets is PendingOffset[] {
  if (!Array.isArray(offsets) || offsets.length > transactionPartitionCountMax) {
    throw new MambaError('INVALID_REQUEST',
      `offsets must be an array of at most ${transactionPartitionCountMax} entries`);
  }
  for (const entry of offsets as PendingOffset[]) {
    if (typeof entry?.topic !== 'string' || !Number.isInteger(entry.partition) ||
      entry.partition < 0) {
      throw new MambaError('INVALID_REQUEST', 'each offset needs a topic and a partition');
    }
    if (!Number.isSafeInteger(entry.offset) || entry.offset < 0) {
      throw new MambaError('INVALID_OFFSET', `cannot commit offset ${entry.offset}`,
        { detail: { topic: entry.topic, partition: entry.partition, offset: entry.offset } });
    }
    checkCommitMetadata(entry);
  }
}

function checkCurrent(record: TransactionRecord, current: ProducerIdAndEpoch): void {
  if (current.producerId !== record.producerId) {
    throw new MambaError('PRODUCER_FENCED', `transactional id ` +
      `${JSON.stringify(record.transactionalId)} now has another producer id`,
    { detail: { transactionalId: record.transactionalId } });
  }
  if (current.producerEpoch !== record.producerEpoch &&
    current.producerEpoch !== record.lastProducerEpoch) {
    throw staleEpoch(record, current.producerEpoch);
  }
}

/** An older epoch: fenced by a new user, or (the epoch the coordinator's timeout bumped) late. */
function staleEpoch(record: TransactionRecord, producerEpoch: number): MambaError {
  const detail = { transactionalId: record.transactionalId, producerEpoch,
    currentEpoch: record.producerEpoch };
  if (producerEpoch === record.lastProducerEpoch) {
    return new MambaError('INVALID_PRODUCER_EPOCH', `the transaction of ` +
      `${JSON.stringify(record.transactionalId)} timed out and was aborted (epoch ` +
      `${producerEpoch} is past); ask for a new epoch`, { detail });
  }
  return new MambaError('PRODUCER_FENCED', `producer epoch ${producerEpoch} of ` +
    `${JSON.stringify(record.transactionalId)} is fenced: another producer with this ` +
    `transactional id has epoch ${record.producerEpoch}`, { detail });
}

function checkNotCompleting(record: TransactionRecord): void {
  if (record.state === 'PrepareCommit' || record.state === 'PrepareAbort') {
    throw new MambaError('CONCURRENT_TRANSACTIONS', `the transaction of ` +
      `${JSON.stringify(record.transactionalId)} is still completing`,
    { detail: { transactionalId: record.transactionalId } });
  }
}

function invalidState(record: TransactionRecord, commit: boolean): MambaError {
  return new MambaError('INVALID_TXN_STATE', `cannot ${commit ? 'commit' : 'abort'}: the ` +
    `transaction of ${JSON.stringify(record.transactionalId)} is ${record.state}`,
  { detail: { transactionalId: record.transactionalId, state: record.state } });
}
