/**
 * Runs one system through one scenario: checks it can, sets it up, warms up, measures, drains
 * and tears down. A system that cannot run gives a `skipped` result and one that breaks gives
 * a `failed` one, so a suite always finishes with a row for every system.
 */
import type { BenchConsumer, BenchProducer, BenchSystem } from './bench-system.js';
import { nowNs } from './clock.js';
import { Measurement } from './measurement.js';
import { createRunWindow, produceLoop, type RunWindow } from './produce-loop.js';
import { startProgress } from './progress.js';
import { notRunResult, type ScenarioResult } from './scenario-result.js';
import type { Scenario } from './scenario.js';

const progressIntervalMs = 200;
const nsPerMs = 1e6;

export async function runScenario(
  system: BenchSystem,
  scenario: Scenario,
): Promise<ScenarioResult> {
  if (scenario.consumerCount > 0 && system.openConsumer === undefined) {
    return notRunResult(scenario.name, system, 'skipped', 'has no consumer side');
  }
  const measurement = new Measurement(scenario.messageSizeBytes);
  const producers: BenchProducer[] = [];
  const consumers: BenchConsumer[] = [];
  try {
    // The check may already have connected, so teardown runs after a skip too.
    const skipReason = await system.unsupportedReason(scenario);
    if (skipReason !== undefined) return notRunResult(scenario.name, system, 'skipped', skipReason);
    await system.setup(scenario);
    for (let index = 0; index < scenario.consumerCount; index++) {
      consumers.push(await system.openConsumer!(index, measurement));
    }
    for (let index = 0; index < scenario.producerCount; index++) {
      producers.push(await system.openProducer(index));
    }
    await measure(system, scenario, producers, measurement);
    if (scenario.consumerCount > 0) {
      const caughtUp = await measurement.waitForConsumed(
        measurement.ackedCount, scenario.drainTimeoutMs);
      if (!caughtUp) {
        throw new Error(`consumers read ${measurement.consumedCount} of ` +
          `${measurement.ackedCount} messages within ${scenario.drainTimeoutMs} ms`);
      }
    }
    await closeAll(producers, consumers);
    return measurement.result(scenario.name, system, scenario.consumerCount > 0);
  } catch (error) {
    await closeAll(producers, consumers).catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    return notRunResult(scenario.name, system, 'failed', message);
  } finally {
    await system.teardown().catch(() => undefined);
  }
}

async function measure(
  system: BenchSystem,
  scenario: Scenario,
  producers: readonly BenchProducer[],
  measurement: Measurement,
): Promise<void> {
  const window = createRunWindow(scenario, nowNs());
  const progress = startProgress(`${scenario.name} ${system.name}`, scenario.durationMs);
  const ticker = setInterval(() => {
    const measuredMs = measuredSoFarMs(window, measurement);
    const rate = measuredMs > 0 ? measurement.ackedCount / (measuredMs / 1000) : 0;
    progress.update(measuredMs, rate);
  }, progressIntervalMs);
  try {
    await Promise.all(producers.map((producer) =>
      produceLoop(producer, scenario, window, measurement)));
  } finally {
    clearInterval(ticker);
    progress.stop();
  }
}

function measuredSoFarMs(window: RunWindow, measurement: Measurement): number {
  if (!measurement.measuring) return 0;
  return Math.min(nowNs(), window.measureEndNs) / nsPerMs - measurement.measureStartNs / nsPerMs;
}

async function closeAll(
  producers: readonly BenchProducer[],
  consumers: readonly BenchConsumer[],
): Promise<void> {
  await Promise.all(producers.map((producer) => producer.close()));
  await Promise.all(consumers.map((consumer) => consumer.close()));
}
