/**
 * The broker's metric state on the main thread: the shared 32-bit counters widened to 64-bit
 * totals, per-actor bookkeeping from the supervisor's events, and a short history of the
 * overview figures for the dashboard's charts. Everything a scrape, the dashboard or an alert
 * rule reads comes from here, so they agree.
 *
 * Widening (see shm/metrics-block.ts): every `sampleIntervalMs` each raw counter is read and its
 * unsigned 32-bit difference from the last read is added to a Number total (exact to 2^53).
 * Totals sit in Float64Arrays indexed by slot, so a sample allocates nothing per partition.
 */
import { assert } from '../../assert.js';
import { partitionsPerBrokerMax } from '../../constants.js';
import {
  DOOR_ERRORS, DOOR_KEY_COUNT, DOOR_REQUESTS, HISTOGRAM_BUCKET_COUNT, HISTOGRAM_NAMES,
  METRIC_APPENDED_BYTES, METRIC_APPENDED_RECORDS, METRIC_CONSUMED_BYTES,
  METRIC_CONSUMED_RECORDS, SharedHistogram, type MetricsBlock,
} from '../../shm/index.js';
import type { OpsSource, OpsTopic } from '../ops-source.js';
import { histogramQuantile } from './histogram-math.js';

/** The per-partition counters, in the order of their columns in `partitionTotals`. */
export const PartitionCounter = {
  APPENDED_RECORDS: 0,
  APPENDED_BYTES: 1,
  CONSUMED_RECORDS: 2,
  CONSUMED_BYTES: 3,
} as const;
const partitionCounterFields = [
  METRIC_APPENDED_RECORDS, METRIC_APPENDED_BYTES, METRIC_CONSUMED_RECORDS, METRIC_CONSUMED_BYTES,
];
const partitionCounterCount = partitionCounterFields.length;
/** Per histogram: its buckets, then count, then sum (in the histogram's own sum unit). */
export const HISTOGRAM_COLUMNS = HISTOGRAM_BUCKET_COUNT + 2;
const twoTo32 = 2 ** 32;

export const sampleIntervalMs = 500;
/** Points kept for the overview charts: five minutes at one a second. */
export const seriesPointsMax = 300;

export interface OverviewPoint {
  timeMs: number;
  produceRecordsPerSecond: number;
  consumeRecordsPerSecond: number;
  /** Over the last second; null when no ack came. */
  ackLatencyP99Ms: number | null;
  restartsTotal: number;
}

export interface ActorBook {
  restarts: number;
  exits: number;
  startedAtMs: number;
  recoveryMs: number;
}

/** A counter pair: the raw words last read and the widened totals. */
class WidenedCounters {
  readonly raw: Uint32Array;
  readonly totals: Float64Array;

  constructor(size: number) {
    this.raw = new Uint32Array(size);
    this.totals = new Float64Array(size);
  }

  update(index: number, raw: number): void {
    this.totals[index] += (raw - this.raw[index] + twoTo32) % twoTo32;
    this.raw[index] = raw;
  }

  /**
   * A slot seen with a new owner: its words were zeroed when the last owner was deleted (or
   * the broker opened), so what they hold now was counted for the new owner, possibly before
   * this first sample (a scrape right after the first sends).
   */
  rebase(index: number, raw: number): void {
    this.raw[index] = raw;
    this.totals[index] = raw;
  }
}

export class MetricsSampler {
  readonly startedAtMs = Date.now();
  private readonly metrics: MetricsBlock;
  private readonly partitions = new WidenedCounters(partitionsPerBrokerMax * partitionCounterCount);
  private readonly histograms = new WidenedCounters(HISTOGRAM_NAMES.length * HISTOGRAM_COLUMNS);
  private readonly door = new WidenedCounters(2 * DOOR_KEY_COUNT);
  /** The topic each slot counted for, to start a slot over when another partition takes it. */
  private readonly slotOwners: (string | undefined)[] = [];
  readonly actors: ActorBook[];
  /** Appended records per second per slot, over the last second. */
  readonly produceRates = new Float64Array(partitionsPerBrokerMax);
  private readonly appendedAtLastPoint = new Float64Array(partitionsPerBrokerMax);
  private readonly histogramsAtLastPoint = new Float64Array(HISTOGRAM_NAMES.length *
    HISTOGRAM_COLUMNS);
  private consumedAtLastPoint = 0;
  private lastPointMs = Date.now();
  readonly series: OverviewPoint[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly source: OpsSource) {
    this.metrics = source.controlBlock.metrics;
    this.actors = Array.from({ length: source.actorCount }, () => ({
      restarts: 0, exits: 0, startedAtMs: Date.now(), recoveryMs: 0,
    }));
    this.listen();
  }

  /** Samples every `sampleIntervalMs` until `stop`; the timer does not keep the process up. */
  start(): void {
    if (this.timer !== undefined) return;
    this.sample();
    this.timer = setInterval(() => this.tick(), sampleIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** Reads every shared counter once; returns the topics it saw (callers reuse them). */
  sample(): OpsTopic[] {
    const topics = this.source.topics();
    const i32 = this.metrics.i32;
    for (const topic of topics) {
      for (let p = 0; p < topic.partitions; p++) {
        this.samplePartition(topic.name, topic.firstSlot + p);
      }
    }
    for (let h = 0; h < HISTOGRAM_NAMES.length; h++) {
      for (let b = 0; b < HISTOGRAM_COLUMNS; b++) {
        const word = this.metrics.histogramWord(h as SharedHistogram, b * 4);
        this.histograms.update(h * HISTOGRAM_COLUMNS + b, Atomics.load(i32, word) >>> 0);
      }
    }
    for (let k = 0; k < DOOR_KEY_COUNT; k++) {
      this.door.update(k, Atomics.load(i32, this.metrics.doorWord(DOOR_REQUESTS, k)) >>> 0);
      this.door.update(DOOR_KEY_COUNT + k,
        Atomics.load(i32, this.metrics.doorWord(DOOR_ERRORS, k)) >>> 0);
    }
    return topics;
  }

  private samplePartition(topic: string, slot: number): void {
    const i32 = this.metrics.i32;
    const base = slot * partitionCounterCount;
    const fresh = this.slotOwners[slot] !== topic;
    this.slotOwners[slot] = topic;
    for (let c = 0; c < partitionCounterCount; c++) {
      const raw = Atomics.load(i32, this.metrics.partitionWord(slot, partitionCounterFields[c]));
      if (fresh) this.partitions.rebase(base + c, raw >>> 0);
      else this.partitions.update(base + c, raw >>> 0);
    }
    if (fresh) this.appendedAtLastPoint[slot] = 0;
  }

  partitionTotal(slot: number, counter: number): number {
    return this.partitions.totals[slot * partitionCounterCount + counter];
  }

  /** Column `column` (a bucket index, or HISTOGRAM_BUCKET_COUNT for count, +1 for sum). */
  histogramTotal(histogram: SharedHistogram, column: number): number {
    return this.histograms.totals[histogram * HISTOGRAM_COLUMNS + column];
  }

  /** The widened totals of all histograms (a live view: copy it to keep a point in time). */
  get histogramTotals(): Float64Array {
    return this.histograms.totals;
  }

  doorRequests(apiKey: number): number {
    return this.door.totals[apiKey];
  }

  /** Errors counted for Kafka error code `code` (-1 … 126). */
  doorErrors(code: number): number {
    return this.door.totals[DOOR_KEY_COUNT + code + 1];
  }

  get restartsTotal(): number {
    return this.actors.reduce((sum, actor) => sum + actor.restarts, 0);
  }

  private tick(): void {
    const topics = this.sample();
    const nowMs = Date.now();
    if (nowMs - this.lastPointMs >= 1000 - sampleIntervalMs / 2) this.addPoint(nowMs, topics);
  }

  private addPoint(nowMs: number, topics: OpsTopic[]): void {
    const seconds = (nowMs - this.lastPointMs) / 1000;
    this.lastPointMs = nowMs;
    let appended = 0;
    let consumed = 0;
    for (const topic of topics) {
      for (let p = 0; p < topic.partitions; p++) {
        const slot = topic.firstSlot + p;
        const total = this.partitionTotal(slot, PartitionCounter.APPENDED_RECORDS);
        const delta = total - this.appendedAtLastPoint[slot];
        this.appendedAtLastPoint[slot] = total;
        this.produceRates[slot] = delta / seconds;
        appended += delta;
        consumed += this.partitionTotal(slot, PartitionCounter.CONSUMED_RECORDS);
      }
    }
    const consumedDelta = Math.max(0, consumed - this.consumedAtLastPoint);
    this.consumedAtLastPoint = consumed;
    this.series.push({
      timeMs: nowMs, produceRecordsPerSecond: appended / seconds,
      consumeRecordsPerSecond: consumedDelta / seconds,
      ackLatencyP99Ms: this.recentAckP99Ms(), restartsTotal: this.restartsTotal,
    });
    if (this.series.length > seriesPointsMax) this.series.shift();
  }

  /** p99 of both ack histograms since the last point, in ms. */
  private recentAckP99Ms(): number | null {
    const totals = this.histograms.totals;
    const before = this.histogramsAtLastPoint;
    const delta = new Float64Array(HISTOGRAM_BUCKET_COUNT);
    for (const h of [SharedHistogram.ACK_LEADER, SharedHistogram.ACK_ALL]) {
      for (let b = 0; b < HISTOGRAM_BUCKET_COUNT; b++) {
        const i = h * HISTOGRAM_COLUMNS + b;
        delta[b] += totals[i] - before[i];
      }
    }
    before.set(totals);
    const p99 = histogramQuantile(0.99, delta);
    return p99 === undefined ? null : p99 * 1000;
  }

  private listen(): void {
    const events = this.source.events;
    const onRestart = (event: { actorIndex: number; recoveryMs: number }): void => {
      const book = this.actors[event.actorIndex];
      assert(book !== undefined, `actor ${event.actorIndex} is known`);
      book.restarts++;
    };
    const onReady = (event: { actorIndex: number; recoveryMs: number }): void => {
      const book = this.actors[event.actorIndex];
      book.startedAtMs = Date.now();
      book.recoveryMs = event.recoveryMs;
    };
    const onExit = (event: { actorIndex: number }): void => {
      this.actors[event.actorIndex].exits++;
    };
    events.on('actor-restart', onRestart);
    events.on('actor-ready', onReady);
    events.on('actor-exit', onExit);
    this.unsubscribe.push(() => events.off('actor-restart', onRestart),
      () => events.off('actor-ready', onReady), () => events.off('actor-exit', onExit));
  }
}

