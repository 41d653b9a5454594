/**
 * Consumer handlers run in a piscina pool of worker threads, loaded from a user module:
 * `{ handler: new URL('./handler.js', import.meta.url), concurrency: 8 }`. The module exports
 * `handler` (or a default function) taking `(message, context)`.
 *
 * Order: one batch per partition is in flight at a time and its records run in order in one
 * worker, so the records of a partition are processed in order while partitions run in
 * parallel (up to `concurrency`). A batch that fails at a record is retried from that record,
 * with capped exponential backoff, up to `maxAttempts`; then the partition fails with
 * `HANDLER_FAILED`: its later batches are refused until `resetPartition`, and its committable
 * offset stays at the failed record, so nothing past it is committed.
 *
 * The records given to `process` are copied into the task (handler-task.ts says why); they must
 * stay valid until `process` settles, because a retry copies them again.
 */
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import {
  handlerAttemptsDefault, handlerAttemptsMax, handlerConcurrencyDefault, handlerConcurrencyMax,
  handlerQueuedBatchesPerPartitionMax, handlerRetryBackoffMsMax, handlerRetryBackoffMsMin,
  handlerTaskBytesMax,
} from '../constants.js';
import { MambaError, closed, fromWire, handlerFailed, invalidConfig } from '../errors.js';
import type { WireError } from '../errors.js';
import { workerUrl } from '../worker-url.js';
import { workerLaunchOptions } from '../worker-exec-argv.js';
import { systemClock } from '../coordinator/index.js';
import type { Clock } from '../coordinator/index.js';
import { packBatch, recordTaskBytes, transferListOf } from './handler-task.js';
import type {
  HandlerRecord, HandlerTask, HandlerTaskResult, HandlerWorkerData,
} from './handler-task.js';
import { OffsetTracker } from './offset-tracker.js';

export type { HandlerContext, HandlerMessage, HandlerRecord } from './handler-task.js';

export interface HandlerPoolOptions {
  /** The handler module: a file URL (or a path). */
  handler: URL | string;
  /** Worker threads, and so partitions processed at once (default 4). */
  concurrency?: number;
  /** Tries per record before the partition fails (default 3). */
  maxAttempts?: number;
  retryBackoffMsMin?: number;
  retryBackoffMsMax?: number;
  /** Structured-cloneable data given to every handler call as `context.data`. */
  handlerData?: unknown;
  /** Called after each batch with the partition's new committable offset. */
  onCommittable?: (topic: string, partition: number, offset: number) => void;
  clock?: Clock;
}

interface FilledOptions {
  handlerUrl: string;
  concurrency: number;
  maxAttempts: number;
  retryBackoffMsMin: number;
  retryBackoffMsMax: number;
  handlerData: unknown;
  onCommittable: ((topic: string, partition: number, offset: number) => void) | undefined;
  clock: Clock;
}

interface PartitionLane {
  tracker: OffsetTracker;
  /** The end of the chain of batches; each starts after the one before settles. */
  tail: Promise<void>;
  queuedCount: number;
  failure: MambaError | undefined;
}

export class HandlerPool {
  private readonly lanes = new Map<string, PartitionLane>();
  private isClosed = false;

  private constructor(private readonly pool: Piscina, private readonly options: FilledOptions) {}

  /** Starts the pool and checks the handler module; `INVALID_HANDLER` if it is unusable. */
  static async create(options: HandlerPoolOptions): Promise<HandlerPool> {
    const filled = fillOptions(options);
    const workerData: HandlerWorkerData = {
      handlerUrl: filled.handlerUrl, handlerData: filled.handlerData,
    };
    const pool = new Piscina({
      filename: workerUrl('./handler-entry.cjs', import.meta.url).href,
      minThreads: 1, maxThreads: filled.concurrency, concurrentTasksPerWorker: 1, workerData,
      ...workerLaunchOptions(),
    });
    const probe = await pool.run({ kind: 'probe' } satisfies HandlerTask) as HandlerTaskResult;
    if (!probe.ok) {
      await pool.destroy();
      throw fromWire(probe.error);
    }
    return new HandlerPool(pool, filled);
  }

  /**
   * Processes records of one partition (in increasing offset order) after the batches queued
   * before them. Resolves when every record succeeded; rejects with `HANDLER_FAILED` once a
   * record exhausted its attempts (and for every later batch of that partition).
   */
  async process(topic: string, partition: number, records: readonly HandlerRecord[]):
  Promise<void> {
    if (this.isClosed) throw closed('CONSUMER_CLOSED', 'handler pool');
    const lane = this.laneOf(topic, partition);
    if (lane.failure !== undefined) throw lane.failure;
    if (records.length === 0) return;
    // Push back on a caller that queues faster than the partition is processed.
    while (lane.queuedCount >= handlerQueuedBatchesPerPartitionMax) await lane.tail;
    lane.tracker.begin(records.map((r) => r.offset));
    lane.queuedCount++;
    const run = lane.tail.then(() => this.runBatches(topic, partition, lane, records));
    lane.tail = run.catch(() => undefined).finally(() => { lane.queuedCount--; });
    await run;
  }

  /** The offset to commit for a partition (next to read), or undefined if none is done. */
  committable(topic: string, partition: number): number | undefined {
    return this.lanes.get(laneKey(topic, partition))?.tracker.committable();
  }

  failure(topic: string, partition: number): MambaError | undefined {
    return this.lanes.get(laneKey(topic, partition))?.failure;
  }

  /** Forgets a partition (after a seek, a revocation, or to retry after a failure). */
  async resetPartition(topic: string, partition: number): Promise<void> {
    const lane = this.lanes.get(laneKey(topic, partition));
    if (lane === undefined) return;
    await lane.tail;
    this.lanes.delete(laneKey(topic, partition));
  }

  /** Waits for queued batches, then stops the workers. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await Promise.all([...this.lanes.values()].map((lane) => lane.tail));
    await this.pool.destroy();
  }

  private laneOf(topic: string, partition: number): PartitionLane {
    const key = laneKey(topic, partition);
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = { tracker: new OffsetTracker(), tail: Promise.resolve(), queuedCount: 0,
        failure: undefined };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /** Cuts the records into tasks under the byte limit and runs them one after another. */
  private async runBatches(topic: string, partition: number, lane: PartitionLane,
    records: readonly HandlerRecord[]): Promise<void> {
    let start = 0;
    while (start < records.length) {
      if (lane.failure !== undefined) throw lane.failure;
      let end = start + 1;
      let bytes = recordTaskBytes(records[start]);
      while (end < records.length && bytes + recordTaskBytes(records[end]) <= handlerTaskBytesMax) {
        bytes += recordTaskBytes(records[end]);
        end++;
      }
      await this.runWithRetries(topic, partition, lane, records.slice(start, end));
      start = end;
    }
  }

  private async runWithRetries(topic: string, partition: number, lane: PartitionLane,
    records: readonly HandlerRecord[]): Promise<void> {
    let next = 0;
    let attempt = 0;
    while (next < records.length) {
      const task = packBatch(topic, partition, records.slice(next));
      const result = await this.pool.run(task, { transferList: transferListOf(task) })
        .catch((error: unknown) => crashed(error)) as HandlerTaskResult;
      for (let i = 0; i < result.processedCount; i++) {
        lane.tracker.complete(records[next + i].offset);
      }
      if (result.processedCount > 0) this.reportCommittable(topic, partition, lane);
      next += result.processedCount;
      if (result.ok) continue;
      attempt = result.processedCount > 0 ? 1 : attempt + 1;
      if (attempt >= this.options.maxAttempts) {
        lane.failure = poolHandlerFailed(topic, partition, records[next].offset, attempt,
          result.error);
        throw lane.failure;
      }
      await this.sleep(this.backoffMs(attempt));
    }
  }

  private reportCommittable(topic: string, partition: number, lane: PartitionLane): void {
    const offset = lane.tracker.committable();
    if (offset !== undefined) this.options.onCommittable?.(topic, partition, offset);
  }

  private backoffMs(attempt: number): number {
    const { retryBackoffMsMin: min, retryBackoffMsMax: max } = this.options;
    return Math.min(max, min * 2 ** (attempt - 1));
  }

  private sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => { this.options.clock.schedule(delayMs, resolve); });
  }
}

function laneKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** A worker that died mid-task processed nothing we can count on: retry the whole batch. */
function crashed(error: unknown): HandlerTaskResult {
  const e = error instanceof Error ? error : new Error(String(error));
  return { ok: false, processedCount: 0,
    error: { code: 'INTERNAL', message: `handler worker failed: ${e.message}`, retriable: true } };
}

function poolHandlerFailed(topic: string, partition: number, offset: number, attempts: number,
  wire: WireError): MambaError {
  const cause = fromWire(wire);
  if (MambaError.is(cause, 'INVALID_HANDLER')) return cause;
  return handlerFailed(topic, partition, offset, attempts, cause);
}

function fillOptions(options: HandlerPoolOptions): FilledOptions {
  const handlerUrl = handlerUrlOf(options.handler);
  const integer = (name: string, value: number | undefined, fallback: number, min: number,
    max: number): number => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min || v > max) {
      throw invalidConfig(`options.${name}`, v, `an integer from ${min} to ${max}`);
    }
    return v;
  };
  const retryBackoffMsMin = integer('retryBackoffMsMin', options.retryBackoffMsMin,
    handlerRetryBackoffMsMin, 0, handlerRetryBackoffMsMax);
  return {
    handlerUrl,
    concurrency: integer('concurrency', options.concurrency, handlerConcurrencyDefault, 1,
      handlerConcurrencyMax),
    maxAttempts: integer('maxAttempts', options.maxAttempts, handlerAttemptsDefault, 1,
      handlerAttemptsMax),
    retryBackoffMsMin,
    retryBackoffMsMax: integer('retryBackoffMsMax', options.retryBackoffMsMax,
      handlerRetryBackoffMsMax, retryBackoffMsMin, 60_000),
    handlerData: options.handlerData,
    onCommittable: options.onCommittable,
    clock: options.clock ?? systemClock,
  };
}

function handlerUrlOf(handler: URL | string): string {
  if (handler instanceof URL) return handler.href;
  if (typeof handler === 'string' && handler.startsWith('file:')) return handler;
  if (typeof handler === 'string' && handler !== '') return pathToFileURL(handler).href;
  throw new MambaError('INVALID_HANDLER', 'options.handler must be a module URL or path',
    { detail: { handler } });
}
