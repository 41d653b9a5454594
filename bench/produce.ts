/**
 * `npm run bench -- produce`: issue 4's produce benchmark. Mamba alone, 100-byte values:
 * - one producer (the main thread) → one partition,
 * - two producer threads (`producerHandle()` → `Producer.attach` in each) → four partitions,
 * each at acks=1 and acks=all; msgs/s, MB/s and ack latency p50/p99/p99.9 per scenario.
 *
 * The ceiling, measured in the same run: `PartitionLog.append` of pre-encoded batches of the
 * same size in one thread (harness/append-ceiling.ts). Every scenario's block shows it as a row,
 * so its throughput ratio is the fraction of the ceiling Mamba reached. The run ends with the
 * issue's targets, PASS or MISS: acks=1 ≥ 3 M msgs/s; acks=all ≥ 1 M msgs/s with p99 ack
 * latency ≤ 10 ms.
 */
import path from 'node:path';
import { measureAppendCeiling, type AppendCeiling } from './harness/append-ceiling.js';
import { formatCount, formatMicros } from './harness/result-format.js';
import { writeReportFiles } from './harness/result-files.js';
import { renderTable } from './harness/result-table.js';
import { notRunResult, type ScenarioResult } from './harness/scenario-result.js';
import { runScenario } from './harness/scenario-runner.js';
import { scenarioName, type AcksLevel, type Scenario } from './harness/scenario.js';
import { parseSuiteOptions, suiteHelp, type SuiteOptions } from './harness/suite-options.js';
import { machineInfo, type SuiteReport } from './harness/suite-report.js';
import { packageRoot } from './harness/suite-runner.js';
import {
  renderTargetChecks, type TargetCheck, type TargetVerdict,
} from './harness/target-check.js';
import { runProducerThreads } from './producer-threads/producer-threads.js';
import { mambaFactory } from './systems/index.js';

const defaults: SuiteOptions = {
  messageSizesBytes: [100],
  producerCounts: [1, 2],
  partitionCounts: [1, 4],
  acksLevels: [1, 'all'],
  consumerCounts: [0],
  batchMessageCount: 100,
  inFlightBatchesMax: 8,
  warmupMs: 1000,
  durationMs: 4000,
  messageCountMax: 500_000_000,
  drainTimeoutMs: 30_000,
  rateMessagesPerSec: 0,
  latencyRateMessagesPerSec: 0,
  systems: [],
};

export const ceilingSystemName = 'log-append-ceiling';
export const acks1MessagesPerSecMin = 3e6;
export const acksAllMessagesPerSecMin = 1e6;
export const acksAllP99UsMax = 10_000;

/** The two shapes: producers → partitions. The first runs on the main thread. */
const shapes = [
  { producerCount: 1, partitionCount: 1, threads: false },
  { producerCount: 2, partitionCount: 4, threads: true },
] as const;

function scenarioOf(options: SuiteOptions, shape: (typeof shapes)[number], acks: AcksLevel,
  messageSizeBytes: number): Scenario {
  const scenario = {
    messageSizeBytes, acks, consumerCount: 0,
    producerCount: shape.producerCount, partitionCount: shape.partitionCount,
    batchMessageCount: options.batchMessageCount, inFlightBatchesMax: options.inFlightBatchesMax,
    warmupMs: options.warmupMs, durationMs: options.durationMs,
    messageCountMax: options.messageCountMax, drainTimeoutMs: options.drainTimeoutMs,
    rateMessagesPerSec: options.rateMessagesPerSec,
  };
  const name = scenarioName(scenario) + (shape.threads ? ' threads' : '');
  return { name, ...scenario };
}

/** Per batch: wall and CPU time, against copy + CRC32C of the same batch (same run), rolls. */
function ceilingDetail(ceiling: AppendCeiling): string {
  const ratio = ceiling.recordsPerSec / ceiling.baselineRecordsPerSec;
  return `${ceiling.microsPerBatch.toFixed(1)} µs/batch (CPU ${ceiling.cpuMicrosPerBatch
    .toFixed(1)} µs); copy + CRC32C of the same batches ${formatCount(
    ceiling.baselineRecordsPerSec)} records/s (CPU ${ceiling.baselineCpuMicrosPerBatch
    .toFixed(1)} µs/batch), append ÷ baseline ${ratio.toFixed(2)}×; ${ceiling.rollCount} ` +
    `segment rolls, ${ceiling.preparedRollCount} onto a prepared file`;
}

/** The ceiling as a row of a scenario's block: its throughput ratio is the fraction reached. */
function ceilingRow(scenario: Scenario, ceiling: AppendCeiling): ScenarioResult {
  const base = notRunResult(scenario.name,
    { name: ceilingSystemName, acks: scenario.acks, durability: 'append only, no flush' },
    'skipped', '');
  return {
    ...base, status: 'ok', messageCount: ceiling.recordCount, elapsedMs: ceiling.elapsedMs,
    messagesPerSec: ceiling.recordsPerSec, megabytesPerSec: ceiling.megabytesPerSec,
  };
}

/** Issue 4's targets for one Mamba result. */
export function produceTargets(result: ScenarioResult): TargetCheck[] {
  const verdict = (ok: boolean): TargetVerdict => (ok ? 'PASS' : 'MISS');
  const named = (target: string) => `${target} (${result.scenario})`;
  const rate = `${formatCount(result.messagesPerSec)} msgs/s`;
  const notRun = (target: string): TargetCheck =>
    ({ target: named(target), verdict: 'NOT RUN', detail: `${result.status}: ${result.reason}` });
  if (result.acks === 1) {
    const target = `acks=1 ≥ ${formatCount(acks1MessagesPerSecMin)} msgs/s`;
    if (result.status !== 'ok') return [notRun(target)];
    return [{ target: named(target), detail: rate,
      verdict: verdict(result.messagesPerSec >= acks1MessagesPerSecMin) }];
  }
  if (result.acks !== 'all') return [];
  const rateTarget = `acks=all ≥ ${formatCount(acksAllMessagesPerSecMin)} msgs/s`;
  const latencyTarget = `acks=all p99 ack ≤ ${formatMicros(acksAllP99UsMax)}`;
  if (result.status !== 'ok') return [notRun(rateTarget), notRun(latencyTarget)];
  return [
    { target: named(rateTarget), detail: rate,
      verdict: verdict(result.messagesPerSec >= acksAllMessagesPerSecMin) },
    { target: named(latencyTarget), detail: `p99 ${formatMicros(result.ackLatency.p99Us)}`,
      verdict: verdict(result.ackLatency.p99Us <= acksAllP99UsMax) },
  ];
}

async function runOne(scenario: Scenario, threads: boolean): Promise<ScenarioResult> {
  if (threads) return runProducerThreads(scenario);
  return runScenario(mambaFactory.create(scenario.acks)!, scenario);
}

/** Printed by the dispatcher for `mamba bench produce --help`. */
export const help = suiteHelp('produce');

export async function run(args: string[]): Promise<void> {
  const options = parseSuiteOptions('produce', args, defaults);
  if (options === undefined) return;
  const startedAt = new Date().toISOString();
  const scenarios: Scenario[] = [];
  const results: ScenarioResult[] = [];
  const targets: TargetCheck[] = [];
  const notes: string[] = [];
  for (const messageSizeBytes of options.messageSizesBytes) {
    const ran: ScenarioResult[] = [];
    for (const shape of shapes) {
      for (const acks of options.acksLevels) {
        const scenario = scenarioOf(options, shape, acks, messageSizeBytes);
        const result = await runOne(scenario, shape.threads);
        console.log(`${scenario.name} · mamba: ` + (result.status === 'ok'
          ? `${formatCount(result.messagesPerSec)} msgs/s`
          : `${result.status} (${result.reason})`));
        scenarios.push(scenario);
        ran.push(result);
        if (messageSizeBytes === 100) targets.push(...produceTargets(result));
      }
    }
    // The ceiling runs last: its mapping would otherwise raise the peak RSS every row reports.
    const ceiling = await measureAppendCeiling({
      valueSizeBytes: messageSizeBytes, recordsPerBatch: options.batchMessageCount,
      warmupMs: Math.min(options.warmupMs, 1000), durationMs: Math.min(options.durationMs, 3000),
    });
    notes.push(`ceiling ${messageSizeBytes} B: PartitionLog.append of pre-encoded batches of ` +
      `${options.batchMessageCount} records, one thread: ` +
      `${formatCount(ceiling.recordsPerSec)} records/s, ${ceilingDetail(ceiling)}`);
    console.log(notes.at(-1));
    for (const result of ran) {
      const scenario = scenarios.find((candidate) => candidate.name === result.scenario)!;
      results.push(result, ceilingRow(scenario, ceiling));
    }
  }
  notes.push('threads: producers in worker threads (Producer.attach); otherwise the main thread',
    `batches of ${options.batchMessageCount} messages, ${options.inFlightBatchesMax} in flight ` +
    'per producer; actors = partitions, at most one per core',
    'thr ratio on a ceiling row = the fraction of the segment-log-only rate Mamba reached');
  const report: SuiteReport = {
    suite: 'produce', startedAt, machine: machineInfo(), scenarios, results, notes, targets,
  };
  console.log(`\n${renderTable(report)}`);
  for (const note of notes) console.log(`note: ${note}`);
  console.log(`\n${renderTargetChecks(targets, 'targets (issue 4)')}`);
  const files = await writeReportFiles(report, packageRoot());
  console.log(`\nwrote ${path.relative(process.cwd(), files.jsonPath)} and ` +
    `${path.relative(process.cwd(), files.chartPath)}`);
}
