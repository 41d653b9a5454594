/**
 * Runs a suite: every scenario against every system that has its acks level, one at a time
 * (systems never share the machine while measured), then prints the table and writes the JSON
 * file and the chart.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchSystemFactory } from './bench-system.js';
import { formatCount, formatMicros } from './result-format.js';
import { writeReportFiles } from './result-files.js';
import { renderTable } from './result-table.js';
import { notRunResult, type ScenarioResult } from './scenario-result.js';
import { runScenario } from './scenario-runner.js';
import { acksLabel, type Scenario } from './scenario.js';
import { machineInfo, type SuiteReport } from './suite-report.js';
import { renderTargetChecks, type TargetCheck } from './target-check.js';

export interface SuiteDefinition {
  readonly suite: string;
  readonly scenarios: readonly Scenario[];
  readonly factories: readonly BenchSystemFactory[];
  /** Only systems whose name starts with one of these; empty means all. */
  readonly systemFilter: readonly string[];
  readonly notes: readonly string[];
  /** Holds the results against the suite's targets; printed after the table, kept in the JSON. */
  readonly checkTargets?: (
    scenarios: readonly Scenario[], results: readonly ScenarioResult[]) => TargetCheck[];
  /**
   * A second table of targets, measured after the scenarios (it may run more of its own, such
   * as the idle broker); printed under its title, its checks kept in the JSON with the others.
   */
  readonly moreTargets?: (scenarios: readonly Scenario[], results: readonly ScenarioResult[]) =>
    Promise<{ title: string; checks: TargetCheck[]; details?: Record<string, unknown> }>;
}

function selected(name: string, filter: readonly string[]): boolean {
  return filter.length === 0 || filter.some((prefix) => name.startsWith(prefix));
}

function summaryLine(result: ScenarioResult): string {
  const head = `${result.scenario} · ${result.system}`;
  if (result.status !== 'ok') return `${head}: ${result.status} (${result.reason})`;
  return `${head}: ${formatCount(result.messagesPerSec)} msgs/s, ` +
    `ack p50 ${formatMicros(result.ackLatency.p50Us)} p99 ${formatMicros(result.ackLatency.p99Us)}`;
}

export async function runSuite(definition: SuiteDefinition): Promise<SuiteReport> {
  const startedAt = new Date().toISOString();
  const results: ScenarioResult[] = [];
  for (const scenario of definition.scenarios) {
    for (const factory of definition.factories) {
      const system = factory.create(scenario.acks);
      let result: ScenarioResult;
      if (system === undefined) {
        if (!selected(factory.name, definition.systemFilter)) continue;
        result = notRunResult(scenario.name,
          { name: factory.name, acks: scenario.acks, durability: 'n/a' },
          'skipped', `has no configuration at ${acksLabel(scenario.acks)}`);
      } else {
        if (!selected(system.name, definition.systemFilter)) continue;
        result = await runScenario(system, scenario);
      }
      results.push(result);
      console.log(summaryLine(result));
    }
  }
  const targets = definition.checkTargets?.(definition.scenarios, results);
  const more = await definition.moreTargets?.(definition.scenarios, results);
  const allTargets = [...targets ?? [], ...more?.checks ?? []];
  const report: SuiteReport = {
    suite: definition.suite, startedAt, machine: machineInfo(),
    scenarios: definition.scenarios, results, notes: definition.notes,
    ...(targets === undefined && more === undefined ? {} : { targets: allTargets }),
    ...(more?.details === undefined ? {} : { details: more.details }),
  };
  console.log(`\n${renderTable(report)}`);
  for (const note of definition.notes) console.log(`note: ${note}`);
  if (targets !== undefined) console.log(`\n${renderTargetChecks(targets)}`);
  if (more !== undefined) console.log(`\n${renderTargetChecks(more.checks, more.title)}`);
  const files = await writeReportFiles(report, packageRoot());
  console.log(`\nwrote ${path.relative(process.cwd(), files.jsonPath)} and ` +
    `${path.relative(process.cwd(), files.chartPath)}`);
  return report;
}

/** The directory holding package.json, found upward from this file (in src or in dist). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('no package.json above the bench');
    dir = parent;
  }
  return dir;
}
