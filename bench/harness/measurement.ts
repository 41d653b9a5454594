/**
 * The counters and histograms of one scenario run, and the warm-up boundary: nothing sent
 * before `beginMeasuring` counts, neither its acknowledgement nor its arrival at a consumer
 * (told apart by the send stamp every message carries).
 */
import { nowNs } from './clock.js';
import { LatencyRecorder } from './latency-recorder.js';
import type { ConsumeSink } from './bench-system.js';
import { readStampNs } from './message-batch.js';
import type { ScenarioResult } from './scenario-result.js';
import type { AcksLevel } from './scenario.js';

const nsPerMs = 1e6;
const bytesPerMegabyte = 1e6;

export class Measurement implements ConsumeSink {
  readonly ackLatency = new LatencyRecorder();
  readonly endToEndLatency = new LatencyRecorder();
  /** Infinity while warming up: every stamp is below it, so nothing counts. */
  measureStartNs = Infinity;
  sentCount = 0;
  ackedCount = 0;
  consumedCount = 0;
  lastAckNs = 0;
  lastConsumedNs = 0;
  private cpuStart: NodeJS.CpuUsage = process.cpuUsage();
  private consumedTarget = Infinity;
  private consumedReached: (() => void) | undefined;

  constructor(private readonly messageSizeBytes: number) {}

  get measuring(): boolean {
    return this.measureStartNs !== Infinity;
  }

  beginMeasuring(startNs: number): void {
    this.measureStartNs = startNs;
    this.ackLatency.reset();
    this.endToEndLatency.reset();
    this.cpuStart = process.cpuUsage();
  }

  batchAcked(sentNs: number, messageCount: number): void {
    if (sentNs < this.measureStartNs) return;
    const ackNs = nowNs();
    this.ackLatency.recordNs(ackNs - sentNs);
    this.ackedCount += messageCount;
    this.lastAckNs = ackNs;
  }

  receivedValues(values: ArrayLike<Uint8Array>): void {
    const arrivedNs = nowNs();
    for (let index = 0; index < values.length; index++) {
      this.received(readStampNs(values[index]!), arrivedNs);
    }
    this.checkConsumedTarget();
  }

  receivedPacked(packed: Uint8Array, messageSizeBytes: number): void {
    const arrivedNs = nowNs();
    for (let position = 0; position < packed.byteLength; position += messageSizeBytes) {
      this.received(readStampNs(packed, position), arrivedNs);
    }
    this.checkConsumedTarget();
  }

  /** Resolves once consumers have read `count` measured messages, or after `timeoutMs`. */
  waitForConsumed(count: number, timeoutMs: number): Promise<boolean> {
    if (this.consumedCount >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.consumedReached = undefined;
        resolve(false);
      }, timeoutMs);
      this.consumedTarget = count;
      this.consumedReached = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  result(
    scenario: string,
    system: { name: string; acks: AcksLevel; durability: string },
    withConsumers: boolean,
  ): ScenarioResult {
    const cpu = process.cpuUsage(this.cpuStart);
    const endNs = withConsumers ? Math.max(this.lastAckNs, this.lastConsumedNs) : this.lastAckNs;
    const elapsedMs = Math.max(0, endNs - this.measureStartNs) / nsPerMs;
    const seconds = elapsedMs / 1000;
    const messagesPerSec = seconds > 0 ? this.ackedCount / seconds : 0;
    return {
      scenario, system: system.name, acks: system.acks, durability: system.durability,
      status: 'ok', reason: '',
      messageCount: this.ackedCount,
      consumedCount: this.consumedCount,
      elapsedMs,
      messagesPerSec,
      megabytesPerSec: messagesPerSec * this.messageSizeBytes / bytesPerMegabyte,
      cpuNsPerMessage: this.ackedCount > 0 ? (cpu.user + cpu.system) * 1000 / this.ackedCount : 0,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      ackLatency: this.ackLatency.summary(),
      endToEndLatency: this.endToEndLatency.summary(),
    };
  }

  private received(stampNs: number, arrivedNs: number): void {
    if (stampNs < this.measureStartNs) return;
    this.endToEndLatency.recordNs(arrivedNs - stampNs);
    this.consumedCount++;
    this.lastConsumedNs = arrivedNs;
  }

  private checkConsumedTarget(): void {
    if (this.consumedCount < this.consumedTarget || this.consumedReached === undefined) return;
    const reached = this.consumedReached;
    this.consumedReached = undefined;
    this.consumedTarget = Infinity;
    reached();
  }
}
