/**
 * One producer's loop: keeps up to `inFlightBatchesMax` batches in flight, restamps each batch
 * before it is sent again, and stops by itself at the scenario's deadline or message count.
 *
 * Each in-flight batch owns its buffer until its acknowledgement (BenchProducer's contract),
 * so the loop keeps a free list of `inFlightBatchesMax` batches rather than one shared buffer.
 * A system whose sendBatch resolves at once (a synchronous write) would never let timers or
 * sockets run, so the loop yields to the event loop every `yieldIntervalNs`.
 *
 * A paced scenario (`rateMessagesPerSec` > 0) sends batch k at `startNs + k × interval`, on a
 * fixed schedule: a loop that falls behind sends at once until it is back on time, rather than
 * sleeping a full interval after each send, so a slow acknowledgement delays the next send
 * only through the in-flight window (and then shows up as latency, not as a lower rate).
 */
import type { BenchProducer } from './bench-system.js';
import { nowNs } from './clock.js';
import { createMessageBatch, stampBatch, type MessageBatch } from './message-batch.js';
import type { Measurement } from './measurement.js';
import type { Scenario } from './scenario.js';

const yieldIntervalNs = 5e6;
const nsPerMs = 1e6;

/** The times that bound a run, shared by all producers of a scenario. */
export interface RunWindow {
  readonly warmupEndNs: number;
  /** Set when measuring begins: the measured run's deadline. */
  measureEndNs: number;
}

export function createRunWindow(scenario: Scenario, startNs: number): RunWindow {
  const warmupEndNs = startNs + scenario.warmupMs * nsPerMs;
  return { warmupEndNs, measureEndNs: warmupEndNs + scenario.durationMs * nsPerMs };
}

/** Nanoseconds between batch sends of one producer at the scenario's rate; 0 when unpaced. */
export function batchIntervalNs(scenario: Scenario): number {
  if (scenario.rateMessagesPerSec <= 0) return 0;
  const perProducer = scenario.rateMessagesPerSec / scenario.producerCount;
  return scenario.batchMessageCount / perProducer * 1e9;
}

function sleepNs(durationNs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, durationNs / nsPerMs)));
}

export async function produceLoop(
  producer: BenchProducer,
  scenario: Scenario,
  window: RunWindow,
  measurement: Measurement,
): Promise<void> {
  const free: MessageBatch[] = [];
  for (let index = 0; index < scenario.inFlightBatchesMax; index++) {
    free.push(createMessageBatch(scenario.batchMessageCount, scenario.messageSizeBytes));
  }
  let wake: (() => void) | undefined;
  let failure: unknown;
  let lastYieldNs = nowNs();
  const intervalNs = batchIntervalNs(scenario);
  const scheduleStartNs = lastYieldNs;
  let batchIndex = 0;
  const release = (batch: MessageBatch): void => {
    free.push(batch);
    const woken = wake;
    wake = undefined;
    woken?.();
  };
  for (;;) {
    const sentNs = nowNs();
    if (!measurement.measuring && sentNs >= window.warmupEndNs) {
      measurement.beginMeasuring(sentNs);
    }
    if (failure !== undefined || sentNs >= window.measureEndNs) break;
    if (measurement.sentCount >= scenario.messageCountMax) break;
    if (sentNs - lastYieldNs >= yieldIntervalNs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYieldNs = nowNs();
      continue;
    }
    if (intervalNs > 0) {
      const dueNs = scheduleStartNs + batchIndex * intervalNs;
      if (sentNs < dueNs) {
        await sleepNs(Math.min(dueNs, window.measureEndNs) - sentNs);
        lastYieldNs = nowNs();
        continue;
      }
    }
    const batch = free.pop();
    if (batch === undefined) {
      await new Promise<void>((resolve) => { wake = resolve; });
      continue;
    }
    batchIndex++;
    stampBatch(batch, sentNs);
    if (measurement.measuring) measurement.sentCount += batch.count;
    producer.sendBatch(batch).then(
      () => {
        measurement.batchAcked(sentNs, batch.count);
        release(batch);
      },
      (error: unknown) => {
        failure ??= error;
        release(batch);
      },
    );
    // Lets an already-settled acknowledgement run its callback now rather than after the
    // window fills, so a system that acknowledges synchronously is timed by its own work.
    await undefined;
  }
  await waitForAllFree(free, scenario, () => new Promise<void>((resolve) => { wake = resolve; }));
  if (failure !== undefined) throw failure;
}

/** Waits until every batch is acknowledged, for at most the scenario's drain timeout. */
async function waitForAllFree(
  free: MessageBatch[],
  scenario: Scenario,
  nextRelease: () => Promise<void>,
): Promise<void> {
  const deadlineNs = nowNs() + scenario.drainTimeoutMs * nsPerMs;
  while (free.length < scenario.inFlightBatchesMax) {
    const remainingMs = (deadlineNs - nowNs()) / nsPerMs;
    if (remainingMs <= 0) {
      throw new Error(`${scenario.inFlightBatchesMax - free.length} batches not acknowledged ` +
        `within ${scenario.drainTimeoutMs} ms after the run`);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      nextRelease(),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, remainingMs); }),
    ]);
    clearTimeout(timer);
  }
}
