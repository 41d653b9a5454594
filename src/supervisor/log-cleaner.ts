/**
 * The log cleaner's scheduler, on the broker's main thread: it finds compacted partitions whose
 * dirty ratio is above their topic's `minCleanableDirtyRatio` (every `cleanerCheckIntervalMs`)
 * or that `broker.compact(topic)` names, and runs one round for each:
 *
 * 1. `clean-plan` to the partition's actor: the sealed segments below its last checkpoint;
 * 2. `cleanSegments` on a piscina worker (segments/cleaner-worker.ts): it reads those segments
 *    through its own mappings and writes `.cleaned` files — no actor and no event loop of the
 *    application waits for it;
 * 3. `swap-segments` to the actor, which swaps the files in between two appends
 *    (segments/clean-swap.ts).
 *
 * One round per partition at a time. The pool has one thread, started on the first round and
 * let go when idle, so a broker without compacted topics never starts it.
 */
import { Piscina } from 'piscina';
import { cleanerCheckIntervalMs } from '../constants.js';
import { MambaError } from '../errors.js';
import { isCompacted } from '../options.js';
import type { CleanResult, CleanTask } from '../segments/index.js';
import { workerUrl } from '../worker-url.js';
import { workerLaunchOptions } from '../worker-exec-argv.js';
import type { Supervisor } from './supervisor.js';
import type { TopicRecord } from './manifest.js';
import type { TopicRegistry } from './topic-registry.js';

/** What one round did to one partition. */
export interface CompactionResult {
  partition: number;
  /** Segments rewritten and swapped in (0 when there was nothing sealed to clean). */
  segmentsCleaned: number;
  recordsBefore: number;
  recordsAfter: number;
  tombstonesRemoved: number;
  /** Batch bytes of the segments cleaned, before and after. */
  bytesBefore: number;
  bytesAfter: number;
}

const poolIdleTimeoutMs = 10_000;

export class LogCleaner {
  private pool: Piscina | undefined;
  private readonly rounds = new Map<number, Promise<CompactionResult>>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly supervisor: Supervisor, private readonly topics: TopicRegistry,
    private readonly clockMs: () => number = Date.now) {
    this.timer = setInterval(() => this.checkAll(), cleanerCheckIntervalMs);
    this.timer.unref();
  }

  /** One round on every partition of `record` now, every sealed segment and the active one. */
  async compact(record: TopicRecord): Promise<CompactionResult[]> {
    return Promise.all(this.topics.slotsOf(record).map(async (slot, partition) => {
      await this.rounds.get(slot)?.catch(() => undefined);
      return this.round(record, slot, partition, true);
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.rounds.values()]);
    await this.pool?.destroy();
    this.pool = undefined;
  }

  /** The periodic look at every compacted partition's dirty ratio. */
  private checkAll(): void {
    for (const record of this.topics.topics) {
      if (!isCompacted(record.config)) continue;
      this.topics.slotsOf(record).forEach((slot, partition) => {
        if (this.rounds.has(slot)) return;
        this.round(record, slot, partition, false).catch((error: unknown) => {
          if (this.closed) return;
          const reason = error instanceof Error ? error.message : String(error);
          console.warn(`mamba cleaner: ${record.name}-${partition}: round failed: ${reason}`);
        });
      });
    }
  }

  private round(record: TopicRecord, slot: number, partition: number, forced: boolean):
    Promise<CompactionResult> {
    const round = this.runRound(record, slot, partition, forced)
      .finally(() => this.rounds.delete(slot));
    this.rounds.set(slot, round);
    return round;
  }

  private async runRound(record: TopicRecord, slot: number, partition: number, forced: boolean):
    Promise<CompactionResult> {
    const nothing: CompactionResult = {
      partition, segmentsCleaned: 0, recordsBefore: 0, recordsAfter: 0, tombstonesRemoved: 0,
      bytesBefore: 0, bytesAfter: 0,
    };
    const actor = this.topics.actorOf(slot);
    const plan = await this.supervisor.cleanPlan(actor, slot, forced);
    if (plan.segments.length === 0) return nothing;
    if (!forced && plan.dirtyRatio <= record.config.minCleanableDirtyRatio) return nothing;
    const task: CleanTask = {
      dir: plan.dir, segments: plan.segments, indexIntervalBytes: plan.indexIntervalBytes,
      nowMs: this.clockMs(), deleteRetentionMs: record.config.deleteRetentionMs,
    };
    const result = await this.workers().run(task) as CleanResult;
    if (result.segments.length === 0) return nothing;
    const swapped = await this.supervisor.swapSegments(actor, slot, result.segments);
    if (!swapped) {
      if (forced) {
        throw new MambaError('ILLEGAL_STATE', `${record.name}-${partition} changed while it ` +
          'was being cleaned (a restart or retention); nothing was swapped, try again');
      }
      return nothing;
    }
    return {
      partition, segmentsCleaned: result.segments.length, recordsBefore: result.recordsBefore,
      recordsAfter: result.recordsAfter, tombstonesRemoved: result.tombstonesRemoved,
      bytesBefore: result.bytesBefore, bytesAfter: result.bytesAfter,
    };
  }

  private workers(): Piscina {
    if (this.closed) throw new MambaError('BROKER_CLOSED', 'broker is closed');
    this.pool ??= new Piscina({
      filename: workerUrl('../segments/cleaner-entry.cjs', import.meta.url).href,
      minThreads: 0, maxThreads: 1, idleTimeout: poolIdleTimeoutMs, ...workerLaunchOptions(),
    });
    return this.pool;
  }
}
