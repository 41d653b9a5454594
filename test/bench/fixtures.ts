/** Results made by hand for the output tests: no system runs. */
import type { LatencySummary } from '../../bench/harness/latency-recorder.js';
import type { ScenarioResult } from '../../bench/harness/scenario-result.js';
import type { Scenario } from '../../bench/harness/scenario.js';
import type { SuiteReport } from '../../bench/harness/suite-report.js';

export function latency(p99Us: number): LatencySummary {
  return { count: 100, p50Us: p99Us / 2, p99Us, p999Us: p99Us * 2, maxUs: p99Us * 3, meanUs: 1 };
}

export function result(
  scenario: string,
  system: string,
  messagesPerSec: number,
  p99Us: number,
  status: ScenarioResult['status'] = 'ok',
): ScenarioResult {
  return {
    scenario, system, acks: 'all', durability: `${system} <fsync> & "stated"`, status,
    reason: status === 'ok' ? '' : 'not running', messageCount: messagesPerSec,
    consumedCount: 0, elapsedMs: 1000, messagesPerSec, megabytesPerSec: messagesPerSec / 1e4,
    cpuNsPerMessage: 500, peakRssBytes: 100 * 1024 * 1024,
    ackLatency: latency(p99Us), endToEndLatency: latency(0),
  };
}

export function scenario(name: string): Scenario {
  return {
    name, messageSizeBytes: 100, batchMessageCount: 100, producerCount: 1, partitionCount: 1,
    acks: 'all', consumerCount: 0, inFlightBatchesMax: 8, warmupMs: 0, durationMs: 1000,
    messageCountMax: 1e6, drainTimeoutMs: 1000, rateMessagesPerSec: 0,
  };
}

export function report(results: ScenarioResult[], scenarios: Scenario[]): SuiteReport {
  return {
    suite: 'test', startedAt: '2024-01-02T03:04:05.678Z',
    machine: {
      cpuModel: 'test cpu', cpuCount: 2, memoryBytes: 1, platform: 'linux x64', kernel: '6',
      node: 'v20.0.0',
    },
    scenarios, results, notes: [],
  };
}
