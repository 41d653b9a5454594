/**
 * The consumer's read loop over its partitions, without the actor: each partition has a cursor
 * with its own read-only `LogReader`; a fetch reads whole batches below the high-watermark
 * the actor publishes in the control block, and an idle consumer waits on the partitions'
 * `changeCount` words.
 *
 * No lost wakeup: `poll` loads a cursor's `changeCount` before its high-watermark, and `wait`
 * waits on that loaded value. The actor stores the high-watermark before it bumps and notifies
 * the word (control-block.ts), so a produce after the load either shows in the high-watermark
 * that poll read, or changes the word so the wait returns at once.
 *
 * `Atomics.waitAsync` (never the blocking `Atomics.wait`: the consumer's thread also runs its
 * group heartbeats and its handlers) keeps at most one pending wait per partition; a pending
 * waitAsync does not keep Node's event loop alive, so a ref'd timer (also the `maxWaitMs`
 * bound) does while the consumer waits.
 *
 * Positions: `position` is the next offset to fetch (advanced when a chunk is handed out),
 * `processed` the offset after the last record whose processing finished in order (what a
 * commit records). `epoch` is bumped by seek, reset and rewind: a chunk fetched under an older
 * epoch no longer moves either.
 *
 * Isolation: a read_committed fetch reads below the partition's last stable offset instead of
 * its high-watermark (control-block.ts publishes both with one protocol, so the no-lost-wakeup
 * argument above holds for it too: a marker that moves the LSO bumps the change count).
 */
import path from 'node:path';
import { ControlBlock, PARTITION_CHANGE_COUNT, PartitionState } from '../shm/index.js';
import { MambaError, corruptRead } from '../errors.js';
import { LogReader } from '../segments/index.js';
import type { TopicDirectory } from '../shm/index.js';

export interface PartitionCursor {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  readonly slot: number;
  readonly topicId: number;
  reader: LogReader | undefined;
  position: number;
  processed: number;
  /** The last offset known committed for the group; undefined if none. */
  committed: number | undefined;
  epoch: number;
  paused: boolean;
  /** Revoked or deleted: fetch nothing more, the cursor is on its way out. */
  retired: boolean;
  /** The chunk being processed, if any. */
  inFlight: Promise<void> | undefined;
  seenChange: number;
  waitArmed: boolean;
}

export interface Chunk {
  cursor: PartitionCursor;
  bytes: Uint8Array;
  /** The segment file the bytes are from, and where in it they start. */
  path: string;
  bytePosition: number;
  fromOffset: number;
  epoch: number;
  highWatermark: number;
  /**
   * The offset the chunk was read below: the last stable offset (read_committed) or the
   * high-watermark. Undefined: the high-watermark.
   */
  readLimit?: number;
}

export interface FetcherConfig {
  dataDir: string;
  maxBatchBytes: number;
  maxBatchRecords: number;
  maxWaitMs: number;
  autoOffsetReset: 'earliest' | 'latest';
  /** 'read_committed' reads stop at the last stable offset (default 'read_uncommitted'). */
  isolation?: 'read_committed' | 'read_uncommitted';
  /**
   * A topic a cursor read was deleted, or deleted and created again under the same name: its
   * cursors are retired; called once the name is back (a new incarnation, another topicId).
   */
  onTopicRecreated(topic: string): void;
  /** Told of every reset of a position outside the log (the consumer's `offset-reset`). */
  onReset(reset: OffsetReset): void;
}

/** A position outside the log moved where `autoOffsetReset` says. */
export interface OffsetReset {
  topic: string;
  partition: number;
  /** The position that was outside the log. */
  offset: number;
  /** Where the partition is read from now. */
  resetTo: number;
  logStartOffset: number;
  highWatermark: number;
}

const atomics = Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeoutMs?: number):
    { async: false; value: string } | { async: true; value: Promise<string> };
};

export function partitionKeyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Where a partition's segment files are (the broker's layout, DESIGN.md §2). */
export function partitionDirectory(dataDir: string, topic: string, partition: number): string {
  return path.join(dataDir, `${topic}-${partition}`);
}

export class ConsumerFetcher {
  readonly cursors = new Map<string, PartitionCursor>();
  private order: PartitionCursor[] = [];
  private nextIndex = 0;
  private wakeWaiter: (() => void) | undefined;
  private wakePending = false;
  /** Topics whose cursors a deletion retired, with the topicId they had. */
  private readonly lostTopics = new Map<string, number>();

  constructor(
    readonly controlBlock: ControlBlock,
    readonly directory: TopicDirectory,
    private readonly config: FetcherConfig,
  ) {}

  add(topic: string, partition: number, slot: number, topicId: number, position: number,
    committed: number | undefined): PartitionCursor {
    const key = partitionKeyOf(topic, partition);
    const cursor: PartitionCursor = {
      topic, partition, key, slot, topicId, reader: undefined, position, processed: position,
      committed, epoch: 0, paused: false, retired: false, inFlight: undefined, seenChange: 0,
      waitArmed: false,
    };
    this.cursors.set(key, cursor);
    this.order = [...this.cursors.values()];
    this.wake();
    return cursor;
  }

  remove(key: string): void {
    const cursor = this.cursors.get(key);
    if (cursor === undefined) return;
    cursor.retired = true;
    cursor.reader = undefined;
    this.cursors.delete(key);
    this.order = [...this.cursors.values()];
  }

  /** Moves a cursor: the next fetch starts at `offset`; chunks in flight stop counting. */
  moveTo(cursor: PartitionCursor, offset: number): void {
    cursor.position = offset;
    cursor.processed = offset;
    cursor.epoch++;
    this.wake();
  }

  /** Gives back the unprocessed rest of a chunk: the next fetch starts at `offset` again. */
  rewind(cursor: PartitionCursor, epoch: number, offset: number): void {
    if (cursor.epoch !== epoch) return;
    cursor.position = offset;
    cursor.epoch++;
    this.wake();
  }

  /** The next chunk of some partition with data, round-robin; undefined if none has any. */
  poll(): Chunk | undefined {
    if (this.lostTopics.size > 0) this.lookForRecreatedTopics();
    const order = this.order;
    for (let i = 0; i < order.length; i++) {
      const index = (this.nextIndex + i) % order.length;
      const chunk = this.fetch(order[index]);
      if (chunk !== undefined) {
        this.nextIndex = (index + 1) % order.length;
        return chunk;
      }
    }
    return undefined;
  }

  /**
   * Waits until a partition this consumer reads may have new data, `wake()` is called, or
   * `maxWaitMs` passes. With `armPartitions` false it waits for `wake()` or the timeout only.
   */
  async wait(armPartitions = true): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return;
    }
    if (armPartitions && !this.armWaits()) return;
    const timer = setTimeout(() => this.wake(), this.config.maxWaitMs);
    try {
      await new Promise<void>((resolve) => { this.wakeWaiter = resolve; });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the current or next `wait`. */
  wake(): void {
    const waiter = this.wakeWaiter;
    if (waiter === undefined) {
      this.wakePending = true;
      return;
    }
    this.wakeWaiter = undefined;
    this.wakePending = false;
    waiter();
  }

  close(): void {
    for (const key of [...this.cursors.keys()]) this.remove(key);
    this.wake();
  }

  /** The reader of a cursor's partition, opened on first use. */
  readerOf(cursor: PartitionCursor): LogReader {
    cursor.reader ??= LogReader.open(
      partitionDirectory(this.config.dataDir, cursor.topic, cursor.partition));
    return cursor.reader;
  }

  /** Arms one waitAsync per idle partition; false if a word changed already (poll again). */
  private armWaits(): boolean {
    const words = this.controlBlock.i32;
    for (const cursor of this.order) {
      if (cursor.waitArmed || cursor.paused || cursor.retired || cursor.inFlight !== undefined) {
        continue;
      }
      const word = this.controlBlock.partitionWord(cursor.slot, PARTITION_CHANGE_COUNT);
      const result = atomics.waitAsync(words, word, cursor.seenChange, this.config.maxWaitMs);
      if (!result.async) return false;
      cursor.waitArmed = true;
      void result.value.then(() => {
        cursor.waitArmed = false;
        this.wake();
      });
    }
    return true;
  }

  private fetch(cursor: PartitionCursor): Chunk | undefined {
    if (cursor.paused || cursor.retired || cursor.inFlight !== undefined) return undefined;
    const block = this.controlBlock;
    const slot = cursor.slot;
    cursor.seenChange = block.changeCount(slot);
    if (!this.stillExists(cursor)) return undefined;
    const readLimit = this.config.isolation === 'read_committed'
      ? block.lastStableOffset(slot) : block.highWatermark(slot);
    const highWatermark = block.highWatermark(slot);
    if (cursor.position >= readLimit) {
      if (cursor.position > highWatermark &&
        block.partitionState(slot) === PartitionState.READY) {
        this.reset(cursor, block.logStartOffset(slot), highWatermark);
      }
      return undefined;
    }
    let bytes: Uint8Array;
    const reader = this.readerOf(cursor);
    try {
      bytes = reader.read(cursor.position, this.config.maxBatchBytes, readLimit,
        block.logStartOffset(slot), this.config.maxBatchRecords);
    } catch (error) {
      if (MambaError.is(error, 'CORRUPT_LOG') && error.corruption !== undefined) {
        // The position stays at the bad batch: the consumer stops there until a seek.
        throw corruptRead(cursor.topic, cursor.partition, cursor.position, error.corruption,
          error);
      }
      if (!MambaError.is(error, 'OFFSET_OUT_OF_RANGE')) throw error;
      // Retention deleted the segment under the position: go where autoOffsetReset says.
      this.reset(cursor, block.logStartOffset(slot), highWatermark);
      return undefined;
    }
    if (bytes.byteLength === 0) return undefined;
    return {
      cursor, bytes, path: reader.lastRead.path, bytePosition: reader.lastRead.bytePosition,
      fromOffset: cursor.position, epoch: cursor.epoch, highWatermark, readLimit,
    };
  }

  /** A deleted topic (or one deleted and created again) is read no more. */
  private stillExists(cursor: PartitionCursor): boolean {
    const location = this.directory.lookup(cursor.topic);
    if (location !== undefined && location.topicId === cursor.topicId &&
      this.controlBlock.partitionState(cursor.slot) !== PartitionState.DELETED) {
      return true;
    }
    cursor.retired = true;
    cursor.reader = undefined;
    if (!this.lostTopics.has(cursor.topic)) this.lostTopics.set(cursor.topic, cursor.topicId);
    return false;
  }

  /** Polled while a topic is lost (every `maxWaitMs` at least, since waits time out). */
  private lookForRecreatedTopics(): void {
    for (const [topic, topicId] of this.lostTopics) {
      const location = this.directory.lookup(topic);
      if (location === undefined || location.topicId === topicId) continue;
      this.lostTopics.delete(topic);
      this.config.onTopicRecreated(topic);
    }
  }

  private reset(cursor: PartitionCursor, logStartOffset: number, highWatermark: number): void {
    const target = this.config.autoOffsetReset === 'earliest' ? logStartOffset : highWatermark;
    const offset = cursor.position;
    // The records between are gone; there is nothing left to process before the new position.
    this.moveTo(cursor, target);
    this.wakePending = true;
    this.config.onReset({
      topic: cursor.topic, partition: cursor.partition, offset, resetTo: target, logStartOffset,
      highWatermark,
    });
  }
}
