/**
 * The remote consumer's read loop: Kafka Fetch requests instead of the segment mappings, with
 * the embedded fetcher's model (client/consumer-fetcher.ts) so the consumer above it keeps the
 * same rules. Each partition has a cursor: `position` is the next offset to hand out (advanced
 * as a chunk is handed out), `processed` the offset after the last record processed in order,
 * `epoch` bumped by seek and rewind so that chunks fetched before stop counting.
 *
 * Prefetch is bounded: at most one fetched chunk per partition waits to be handed out, and a
 * partition with one waiting, paused or retired is left out of the next Fetch. One Fetch per
 * leader node is in flight at a time, held by the broker up to `maxWaitMs` when it has nothing
 * new; a seek, resume or new partition during that wait is fetched when the request returns.
 *
 * Partition errors: OFFSET_OUT_OF_RANGE resets the position as `autoOffsetReset` says (the log
 * start or end from ListOffsets) and reports it; a moved leader or an unknown partition
 * refreshes metadata; a lost connection waits for the node's reconnect backoff.
 */
import { MambaError } from '../errors.js';
import {
  BATCH_LENGTH_EXCLUDED_BYTES, BATCH_LENGTH_OFFSET, CONTROL_TYPE_ABORT,
  PARTITION_LEADER_EPOCH_OFFSET, STORED_LEADER_EPOCH, batchBaseOffset, batchIsControl,
  batchProducerId, batchSizeBytesAt, controlTypeAt,
} from '../records/index.js';
import type { OffsetReset } from '../client/index.js';
import type { AbortedTransaction } from '../segments/index.js';
import {
  ApiKey, type FetchResponse, type ListOffsetsResponse,
} from '../protocol/index.js';
import type { Cluster } from './cluster.js';
import { fromKafkaCode, kafkaErrorName } from './kafka-error.js';

export interface RemoteCursor {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  position: number;
  processed: number;
  committed: number | undefined;
  epoch: number;
  paused: boolean;
  retired: boolean;
  inFlight: Promise<void> | undefined;
  /** The high-watermark of the last Fetch answer (-1 before the first). */
  highWatermark: number;
  logStartOffset: number;
  /** A chunk fetched and not handed out yet. */
  ready: RemoteChunk | undefined;
  fetching: boolean;
}

export interface RemoteChunk {
  cursor: RemoteCursor;
  bytes: Uint8Array;
  fromOffset: number;
  epoch: number;
  highWatermark: number;
  /** For the corruption errors the shared decoder raises. */
  path: string;
  bytePosition: number;
  /** read_committed: the Fetch answer's aborted transactions, closed at their markers. */
  aborted?: AbortedTransaction[];
}

export interface RemoteFetcherConfig {
  /** This consumer's own connections (cluster.ts: a held Fetch holds up its connection). */
  lane: string;
  maxBatchBytes: number;
  maxWaitMs: number;
  autoOffsetReset: 'earliest' | 'latest';
  /** Sent in each Fetch and ListOffsets (Kafka's isolation_level 1 or 0). */
  isolation: 'read_committed' | 'read_uncommitted';
  onReset(reset: OffsetReset): void;
  onError(error: unknown): void;
}

/** Kafka's ListOffsets timestamps for the log start and end. */
export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;

const fetchBytesMax = 64 * 1024 * 1024;

export class RemoteFetcher {
  readonly cursors = new Map<string, RemoteCursor>();
  private order: RemoteCursor[] = [];
  private nextIndex = 0;
  private waiters: Array<() => void> = [];
  private isClosed = false;
  private readonly loops = new Map<number, Promise<void>>();

  constructor(private readonly cluster: Cluster, private readonly config: RemoteFetcherConfig) {}

  add(topic: string, partition: number, start: number, committed: number | undefined):
  RemoteCursor {
    const key = partitionKeyOf(topic, partition);
    const cursor: RemoteCursor = {
      topic, partition, key, position: start, processed: start, committed, epoch: 0,
      paused: false, retired: false, inFlight: undefined, highWatermark: -1, logStartOffset: -1,
      ready: undefined, fetching: false,
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
    cursor.ready = undefined;
    this.cursors.delete(key);
    this.order = [...this.cursors.values()];
  }

  moveTo(cursor: RemoteCursor, offset: number): void {
    cursor.position = offset;
    cursor.processed = offset;
    cursor.epoch++;
    cursor.ready = undefined;
    this.wake();
  }

  rewind(cursor: RemoteCursor, epoch: number, offset: number): void {
    if (cursor.epoch !== epoch) return;
    cursor.position = offset;
    cursor.epoch++;
    cursor.ready = undefined;
    this.wake();
  }

  /** The next fetched chunk, round-robin over partitions; undefined if none is ready. */
  poll(): RemoteChunk | undefined {
    this.startLoops();
    const order = this.order;
    for (let i = 0; i < order.length; i++) {
      const index = (this.nextIndex + i) % order.length;
      const cursor = order[index];
      const chunk = cursor.ready;
      if (chunk === undefined || cursor.paused || cursor.retired || cursor.inFlight) continue;
      cursor.ready = undefined;
      if (chunk.epoch !== cursor.epoch) continue;
      this.nextIndex = index + 1;
      this.wake();
      return chunk;
    }
    return undefined;
  }

  /** Resolves when a chunk may be ready (or on `wake`), at the latest after `maxWaitMs`. */
  wait(bounded = true): Promise<void> {
    this.startLoops();
    return new Promise((resolve) => {
      const timer = bounded ? setTimeout(done, this.config.maxWaitMs) : undefined;
      const waiters = this.waiters;
      function done(): void {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      }
      waiters.push(done);
    });
  }

  wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  close(): void {
    this.isClosed = true;
    this.wake();
  }

  /** One loop per leader node with partitions to fetch. */
  private startLoops(): void {
    if (this.isClosed) return;
    for (const cursor of this.order) {
      const leader = this.cluster.cachedTopic(cursor.topic)?.partitions[cursor.partition]
        ?.leaderId ?? -1;
      if (leader < 0 || this.loops.has(leader)) continue;
      this.loops.set(leader, this.nodeLoop(leader).finally(() => this.loops.delete(leader)));
    }
  }

  private wanted(nodeId: number): RemoteCursor[] {
    return this.order.filter((c) => !c.retired && !c.paused && c.ready === undefined &&
      !c.fetching && this.cluster.cachedTopic(c.topic)?.partitions[c.partition]?.leaderId ===
      nodeId);
  }

  private async nodeLoop(nodeId: number): Promise<void> {
    while (!this.isClosed && !this.cluster.closed) {
      const cursors = this.wanted(nodeId);
      if (cursors.length === 0) {
        if (!this.order.some((c) => !c.retired)) return;
        await new Promise<void>((resolve) => this.waiters.push(resolve));
        continue;
      }
      try {
        await this.fetchFrom(nodeId, cursors);
      } catch (error) {
        if (this.isClosed) return;
        if (!MambaError.is(error) || !error.retriable) this.config.onError(error);
        await this.cluster.refreshMetadata().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, this.cluster.config.reconnectBackoffMs));
        this.startLoops();
        if (this.wanted(nodeId).length === 0) return;
      }
    }
  }

  private async fetchFrom(nodeId: number, cursors: RemoteCursor[]): Promise<void> {
    const connection = await this.cluster.connectionTo(nodeId, this.config.lane);
    const epochs = cursors.map((c) => c.epoch);
    const byTopic = new Map<string, RemoteCursor[]>();
    for (const cursor of cursors) {
      cursor.fetching = true;
      byTopic.set(cursor.topic, [...(byTopic.get(cursor.topic) ?? []), cursor]);
    }
    let response: FetchResponse;
    try {
      response = await connection.request<FetchResponse>(ApiKey.FETCH, {
        replicaId: -1, maxWaitMs: this.config.maxWaitMs, minBytes: 1, maxBytes: fetchBytesMax,
        isolationLevel: isolationLevelOf(this.config.isolation), sessionId: 0,
        sessionEpoch: -1, rackId: '',
        topics: [...byTopic].map(([topic, list]) => ({ topic, partitions: list.map((c) => ({
          partition: c.partition, fetchOffset: BigInt(c.position), currentLeaderEpoch: -1,
          logStartOffset: -1n, partitionMaxBytes: this.config.maxBatchBytes,
        })) })),
      }, { timeoutMs: this.cluster.config.requestTimeoutMs + this.config.maxWaitMs });
    } finally {
      for (const cursor of cursors) cursor.fetching = false;
    }
    const refresh: string[] = [];
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const index = cursors.findIndex((c) => c.topic === topic.topic &&
          c.partition === data.partitionIndex);
        if (index < 0) continue;
        const cursor = cursors[index];
        if (cursor.epoch !== epochs[index] || cursor.retired) continue;
        if (data.errorCode !== 0) {
          await this.partitionError(cursor, data.errorCode, refresh);
          continue;
        }
        cursor.highWatermark = Number(data.highWatermark);
        cursor.logStartOffset = Number(data.logStartOffset);
        const bytes = wholeBatches(data.records);
        if (bytes.length === 0) continue;
        cursor.ready = { cursor, bytes, fromOffset: cursor.position, epoch: cursor.epoch,
          highWatermark: cursor.highWatermark, path: `${topic.topic}/${cursor.partition}@` +
          `${this.cluster.addressOf(nodeId) ?? nodeId}`, bytePosition: 0,
          aborted: closeAborted(bytes, data.abortedTransactions) };
      }
    }
    if (refresh.length > 0) await this.cluster.refreshMetadata();
    this.wake();
  }

  private async partitionError(cursor: RemoteCursor, code: number, refresh: string[]):
  Promise<void> {
    const name = kafkaErrorName(code);
    if (name === 'OFFSET_OUT_OF_RANGE') {
      await this.reset(cursor);
      return;
    }
    const error = fromKafkaCode(code, `fetch ${cursor.topic}/${cursor.partition}`);
    if (error.retriable || name === 'UNKNOWN_TOPIC_OR_PARTITION') {
      refresh.push(cursor.topic);
      return;
    }
    this.config.onError(error);
  }

  /** A position outside the log moves to its start or end (Kafka's auto.offset.reset). */
  private async reset(cursor: RemoteCursor): Promise<void> {
    const [start, end] = await Promise.all([
      this.listOffset(cursor.topic, cursor.partition, EARLIEST_TIMESTAMP),
      this.listOffset(cursor.topic, cursor.partition, LATEST_TIMESTAMP),
    ]);
    const resetTo = this.config.autoOffsetReset === 'earliest' ? start : end;
    const offset = cursor.position;
    this.moveTo(cursor, resetTo);
    this.config.onReset({ topic: cursor.topic, partition: cursor.partition, offset, resetTo,
      logStartOffset: start, highWatermark: end });
  }

  /** ListOffsets for one partition: a timestamp, or EARLIEST/LATEST. */
  async listOffset(topic: string, partition: number, timestamp: bigint): Promise<number> {
    return listOffset(this.cluster, topic, partition, timestamp,
      isolationLevelOf(this.config.isolation));
  }
}

/** Kafka's isolation_level field: 0 read_uncommitted, 1 read_committed. */
export function isolationLevelOf(isolation: 'read_committed' | 'read_uncommitted'): number {
  return isolation === 'read_committed' ? 1 : 0;
}

/**
 * A Fetch answer names each aborted transaction by (producerId, firstOffset) only; its end is
 * the producer's first abort marker at or after firstOffset in the data (Kafka's consumer
 * algorithm), or beyond this chunk when the marker is not in it.
 */
function closeAborted(bytes: Uint8Array,
  list: ReadonlyArray<{ producerId: bigint; firstOffset: bigint }> | null):
  AbortedTransaction[] | undefined {
  if (list === null || list.length === 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return list.map((entry) => {
    const producerId = Number(entry.producerId);
    const firstOffset = Number(entry.firstOffset);
    let lastOffset = Number.MAX_SAFE_INTEGER;
    for (let position = 0; position < bytes.length;
      position += batchSizeBytesAt(view, position)) {
      const baseOffset = batchBaseOffset(view, position);
      if (baseOffset < firstOffset || !batchIsControl(view, position) ||
        batchProducerId(view, position) !== producerId) continue;
      if (controlTypeAt(bytes, position) === CONTROL_TYPE_ABORT) {
        lastOffset = baseOffset;
        break;
      }
    }
    return { producerId, firstOffset, lastOffset };
  });
}

export async function listOffset(cluster: Cluster, topic: string, partition: number,
  timestamp: bigint, isolationLevel = 0): Promise<number> {
  const what = `ListOffsets ${topic}/${partition}`;
  return cluster.retrying(what, async () => {
    const metadata = await cluster.topic(topic);
    const connection = await cluster.connectionTo(cluster.leaderOf(metadata, partition));
    const response = await connection.request<ListOffsetsResponse>(ApiKey.LIST_OFFSETS, {
      replicaId: -1, isolationLevel,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp,
        currentLeaderEpoch: -1 }] }],
    });
    const result = response.topics[0]?.partitions[0];
    if (result === undefined) throw fromKafkaCode(-1, what, 'an empty answer');
    if (result.errorCode !== 0) throw fromKafkaCode(result.errorCode, what);
    return Number(result.offset);
  });
}

export function partitionKeyOf(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}

/**
 * The whole batches of a Fetch answer (a broker may cut the last one short at the size
 * limit), with their partition leader epoch set to the stored value the shared decoder checks:
 * a cluster's leader epochs are not the consumer's concern, and the CRC does not cover them.
 */
function wholeBatches(records: Uint8Array | null): Uint8Array {
  if (records === null) return new Uint8Array(0);
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let position = 0;
  while (position + BATCH_LENGTH_EXCLUDED_BYTES <= records.length) {
    const size = view.getInt32(position + BATCH_LENGTH_OFFSET) + BATCH_LENGTH_EXCLUDED_BYTES;
    if (size <= BATCH_LENGTH_EXCLUDED_BYTES || position + size > records.length) break;
    view.setInt32(position + PARTITION_LEADER_EPOCH_OFFSET, STORED_LEADER_EPOCH);
    position += size;
  }
  return records.subarray(0, position);
}
