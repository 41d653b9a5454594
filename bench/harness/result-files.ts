/**
 * Writes a suite's report where people look for it: the JSON under bench/results/ (one file
 * per run, kept out of git) and the chart under docs/bench/ (one per suite, shown by the
 * README, so the latest run replaces it).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderChart } from './result-chart.js';
import type { SuiteReport } from './suite-report.js';

export interface WrittenFiles {
  readonly jsonPath: string;
  readonly chartPath: string;
}

/** `2024-05-01T12:30:00.000Z` → `20240501-123000`, safe in a file name. */
export function fileTimestamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '-');
}

export async function writeReportFiles(
  report: SuiteReport,
  rootDir: string,
): Promise<WrittenFiles> {
  const resultsDir = path.join(rootDir, 'bench', 'results');
  const chartDir = path.join(rootDir, 'docs', 'bench');
  await mkdir(resultsDir, { recursive: true });
  await mkdir(chartDir, { recursive: true });
  const jsonPath = path.join(resultsDir, `${report.suite}-${fileTimestamp(report.startedAt)}.json`);
  const chartPath = path.join(chartDir, `${report.suite}.svg`);
  await writeFile(jsonPath, JSON.stringify(report, null, 2) + '\n');
  await writeFile(chartPath, renderChart(report));
  return { jsonPath, chartPath };
}
