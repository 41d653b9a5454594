/**
 * `npm run bench -- scale`: how Mamba grows (issue 7).
 * - Throughput against partitions × producer threads: 100-byte messages, each point a fresh
 *   broker (actors = partitions, at most one per core) with its producers in worker threads;
 *   every point's ratio is against the 1 partition × 1 thread point of the same run.
 * - Recovery time and memory against log size (256 MB and 1 GB; 10 GB with --big): the time
 *   `Broker.open` takes on a reopened log, with its checkpoint and without (full scan), and the
 *   reopening process's RSS, each divided by the same figures for an empty topic. Memory must
 *   stay flat as the log grows; the suite says whether it did.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommandLine } from '../src/cli/command-line.js';
import { formatCount, formatMebibytes } from './harness/result-format.js';
import { writeReportFiles } from './harness/result-files.js';
import type { ScenarioResult } from './harness/scenario-result.js';
import { parseAcks, scenarioName, type AcksLevel, type Scenario } from './harness/scenario.js';
import { parseDurationMs, parseIntegerList } from './harness/suite-options.js';
import { machineInfo, type SuiteReport } from './harness/suite-report.js';
import { packageRoot } from './harness/suite-runner.js';
import { runProducerThreads } from './producer-threads/producer-threads.js';
import { GrowingLog, type RecoveryFigure } from './scale/log-recovery.js';

const MB = 1e6;

export const scaleHelp = `usage: mamba bench scale [options]   (lists are comma-separated)
  --partitions 1,4,8     partition counts of the throughput grid
  --threads 1,2,4        producer thread counts of the throughput grid
  --acks 1               acks levels of the grid (0, 1, all)
  --warmup 500ms         warm-up per grid point
  --duration 2s          measured run per grid point
  --log-mb 256,1024      log sizes for the recovery figures, in MB (10^6 bytes)
  --big                  also a 10 GB log (needs ~11 GB of free disk and a few minutes)
  --skip-grid            recovery figures only
  --skip-recovery        throughput grid only`;

export interface ScaleOptions {
  readonly partitionCounts: readonly number[];
  readonly threadCounts: readonly number[];
  readonly acksLevels: readonly AcksLevel[];
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly logSizesBytes: readonly number[];
  readonly grid: boolean;
  readonly recovery: boolean;
}

/** Printed by the dispatcher for `mamba bench scale --help`. */
export const help = scaleHelp;

/** Parses the flags over the defaults; undefined after printing help. */
export function parseScaleOptions(args: readonly string[]): ScaleOptions | undefined {
  const values = parseCommandLine(args, {
    partitions: { type: 'string' }, threads: { type: 'string' }, acks: { type: 'string' },
    warmup: { type: 'string' }, duration: { type: 'string' }, 'log-mb': { type: 'string' },
    big: { type: 'boolean' }, 'skip-grid': { type: 'boolean' },
    'skip-recovery': { type: 'boolean' }, help: { type: 'boolean' },
  });
  if (values.help === true) {
    console.log(scaleHelp);
    return undefined;
  }
  const logMegabytes = values['log-mb'] === undefined
    ? [256, 1024] : parseIntegerList('log-mb', values['log-mb'], 1);
  if (values.big === true) logMegabytes.push(10_240);
  return {
    partitionCounts: values.partitions === undefined
      ? [1, 4, 8] : parseIntegerList('partitions', values.partitions, 1),
    threadCounts: values.threads === undefined
      ? [1, 2, 4] : parseIntegerList('threads', values.threads, 1),
    acksLevels: values.acks === undefined
      ? [1] : values.acks.split(',').map((item) => parseAcks(item.trim())),
    warmupMs: values.warmup === undefined ? 500 : parseDurationMs('warmup', values.warmup),
    durationMs: values.duration === undefined ? 2000 : parseDurationMs('duration', values.duration),
    logSizesBytes: [...new Set(logMegabytes)].sort((a, b) => a - b).map((mb) => mb * MB),
    grid: values['skip-grid'] !== true,
    recovery: values['skip-recovery'] !== true,
  };
}

export function gridScenarios(options: ScaleOptions): Scenario[] {
  const scenarios: Scenario[] = [];
  for (const acks of options.acksLevels) {
    for (const partitionCount of options.partitionCounts) {
      for (const producerCount of options.threadCounts) {
        const scenario = {
          messageSizeBytes: 100, batchMessageCount: 100, inFlightBatchesMax: 8,
          producerCount, partitionCount, acks, consumerCount: 0,
          warmupMs: options.warmupMs, durationMs: options.durationMs,
          messageCountMax: 500_000_000, drainTimeoutMs: 30_000, rateMessagesPerSec: 0,
        };
        scenarios.push({ name: `${scenarioName(scenario)} threads`, ...scenario });
      }
    }
  }
  return scenarios;
}

async function runGrid(scenarios: readonly Scenario[]): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    const result = await runProducerThreads(scenario);
    console.log(`${scenario.name}: ` + (result.status === 'ok'
      ? `${formatCount(result.messagesPerSec)} msgs/s` : `${result.status} (${result.reason})`));
    results.push(result);
  }
  return results;
}

/** The grid as a table per acks level: partitions down, threads across, ratio to p1 x1. */
export function renderGrid(scenarios: readonly Scenario[], results: readonly ScenarioResult[],
  options: ScaleOptions): string {
  const lines: string[] = [];
  for (const acks of options.acksLevels) {
    const find = (partitions: number, threads: number) => {
      const scenario = scenarios.find((candidate) => candidate.acks === acks &&
        candidate.partitionCount === partitions && candidate.producerCount === threads);
      return results.find((result) => result.scenario === scenario?.name);
    };
    const base = find(options.partitionCounts[0]!, options.threadCounts[0]!);
    const baseRate = base?.status === 'ok' ? base.messagesPerSec : 0;
    lines.push(`throughput, acks=${acks}, msgs/s (× the p${options.partitionCounts[0]} ` +
      `x${options.threadCounts[0]} point)`);
    lines.push(['partitions', ...options.threadCounts.map((threads) => `${threads} thread(s)`)]
      .map((cell) => cell.padStart(20)).join(''));
    for (const partitions of options.partitionCounts) {
      const cells = options.threadCounts.map((threads) => {
        const result = find(partitions, threads);
        if (result === undefined || result.status !== 'ok') return result?.status ?? '–';
        const ratio = baseRate > 0 ? ` (${(result.messagesPerSec / baseRate).toFixed(2)}×)` : '';
        return `${formatCount(result.messagesPerSec)}${ratio}`;
      });
      lines.push([String(partitions), ...cells].map((cell) => cell.padStart(20)).join(''));
    }
    lines.push('');
  }
  return lines.join('\n');
}

async function runRecovery(options: ScaleOptions): Promise<RecoveryFigure[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-bench-scale-'));
  const figures: RecoveryFigure[] = [];
  try {
    const log = await GrowingLog.create(dataDir);
    for (const logBytes of [0, ...options.logSizesBytes]) {
      if (logBytes > 0) {
        const startedMs = performance.now();
        await log.growTo(logBytes);
        console.log(`log grown to ${(log.sizeBytes / MB).toFixed(0)} MB in ` +
          `${((performance.now() - startedMs) / 1000).toFixed(1)} s`);
      }
      for (const mode of ['checkpoint', 'full scan'] as const) {
        const figure = await log.reopen(mode);
        if (figure.highWatermark !== log.recordCount) {
          throw new Error(`reopen (${mode}) recovered ${figure.highWatermark} records of ` +
            `${log.recordCount}`);
        }
        console.log(`${(figure.logBytes / MB).toFixed(0)} MB, ${mode}: open ` +
          `${figure.openMs.toFixed(0)} ms, rss ${formatMebibytes(figure.rssAfterOpenBytes)}, ` +
          `peak ${formatMebibytes(figure.peakRssBytes)}`);
        figures.push(figure);
      }
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return figures;
}

/** Each figure against the empty log reopened the same way; `flat` says whether RSS stayed so. */
export function renderRecovery(figures: readonly RecoveryFigure[]): string {
  const lines = ['recovery: Broker.open of a reopened one-partition log, in a fresh process ' +
    '(ratios: ÷ the empty log, same mode)'];
  const cells = (row: string[]) =>
    row.map((cell, index) => (index < 2 ? cell.padEnd(11) : cell.padStart(13))).join('');
  lines.push(cells(['log', 'mode', 'open', 'rss', 'anon', 'file-backed', 'peak rss', 'open ×',
    'anon ×', 'peak ×']));
  for (const figure of figures) {
    const base = figures.find((candidate) => candidate.logBytes === 0 &&
      candidate.mode === figure.mode);
    const ratio = (ours: number, theirs: number | undefined) =>
      (theirs === undefined || theirs <= 0 ? '–' : `${(ours / theirs).toFixed(2)}×`);
    const mebibytes = (bytes: number) => (bytes < 0 ? '–' : formatMebibytes(bytes));
    lines.push(cells([
      `${(figure.logBytes / MB).toFixed(0)} MB`, figure.mode, `${figure.openMs.toFixed(0)} ms`,
      mebibytes(figure.rssAfterOpenBytes), mebibytes(figure.rssAnonBytes),
      mebibytes(figure.rssFileBytes), mebibytes(figure.peakRssBytes),
      ratio(figure.openMs, base?.openMs), ratio(figure.rssAnonBytes, base?.rssAnonBytes),
      ratio(figure.peakRssBytes, base?.peakRssBytes),
    ]));
  }
  return lines.join('\n');
}

/**
 * Growth of a memory figure from the empty log to the largest, per MB of log: ~0 when memory
 * is flat. Undefined without both ends or where the figure is not available (-1).
 */
export function growthBytesPerMegabyte(figures: readonly RecoveryFigure[],
  mode: RecoveryFigure['mode'], bytesOf: (figure: RecoveryFigure) => number): number | undefined {
  const ofMode = figures.filter((figure) => figure.mode === mode);
  const empty = ofMode.find((figure) => figure.logBytes === 0);
  const largest = ofMode.at(-1);
  if (empty === undefined || largest === undefined || largest.logBytes === 0) return undefined;
  if (bytesOf(empty) < 0 || bytesOf(largest) < 0) return undefined;
  return (bytesOf(largest) - bytesOf(empty)) / (largest.logBytes / MB);
}

/** Under this much growth per MB of log, memory counts as flat (1 GB → +100 MB would not). */
export const flatGrowthBytesPerMegabyteMax = 16 * 1024;

export async function run(args: string[]): Promise<void> {
  const options = parseScaleOptions(args);
  if (options === undefined) return;
  const startedAt = new Date().toISOString();
  const scenarios = options.grid ? gridScenarios(options) : [];
  const results = await runGrid(scenarios);
  const recovery = options.recovery ? await runRecovery(options) : [];
  const notes = [
    'grid: producers in worker threads (Producer.attach), batches of 100, 8 in flight each',
    'recovery: 100-byte records in batches of 100, 64 MiB segments, warm page cache',
  ];
  const memoryFigures = [
    ['anonymous RSS', (figure: RecoveryFigure) => figure.rssAnonBytes],
    ['peak RSS (file-backed pages included)', (figure: RecoveryFigure) => figure.peakRssBytes],
  ] as const;
  for (const mode of ['checkpoint', 'full scan'] as const) {
    for (const [label, bytesOf] of memoryFigures) {
      const growth = growthBytesPerMegabyte(recovery, mode, bytesOf);
      if (growth === undefined) continue;
      const flat = growth < flatGrowthBytesPerMegabyteMax ? 'flat' : 'NOT flat';
      notes.push(`${label}, ${mode}: ${(growth / 1024).toFixed(1)} KiB more per MB of log, ` +
        `${flat} (flat: under ${flatGrowthBytesPerMegabyteMax / 1024} KiB/MB)`);
    }
  }
  if (scenarios.length > 0) console.log(`\n${renderGrid(scenarios, results, options)}`);
  if (recovery.length > 0) console.log(renderRecovery(recovery));
  for (const note of notes) console.log(`note: ${note}`);
  const report: SuiteReport = {
    suite: 'scale', startedAt, machine: machineInfo(), scenarios, results, notes,
    details: { recovery },
  };
  const files = await writeReportFiles(report, packageRoot());
  console.log(`\nwrote ${path.relative(process.cwd(), files.jsonPath)} and ` +
    `${path.relative(process.cwd(), files.chartPath)}`);
}
