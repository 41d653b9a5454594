/**
 * The terminal table: one block per scenario, one row per system, and two ratios per row —
 * the numerator system's throughput ÷ the row's, and its p99 ack latency ÷ the row's. The
 * numerator is `mamba` where it ran, else the first system that ran the scenario, and every
 * block names it. Throughput ratio above 1 and latency ratio below 1 favour the numerator.
 */
import { formatCount, formatMebibytes, formatMicros, formatRatio } from './result-format.js';
import type { ScenarioResult } from './scenario-result.js';
import { ratioNumeratorName, type SuiteReport } from './suite-report.js';

/** The result every other result of a scenario is divided into; undefined when none ran. */
export function ratioNumerator(results: readonly ScenarioResult[]): ScenarioResult | undefined {
  const ran = results.filter((result) => result.status === 'ok');
  return ran.find((result) => result.system === ratioNumeratorName) ?? ran[0];
}

export interface RowRatios {
  /** numerator msgs/s ÷ row msgs/s */
  readonly throughput: number | undefined;
  /** numerator p99 ack latency ÷ row p99 ack latency */
  readonly ackP99: number | undefined;
}

export function rowRatios(numerator: ScenarioResult | undefined, row: ScenarioResult): RowRatios {
  if (numerator === undefined || row.status !== 'ok') {
    return { throughput: undefined, ackP99: undefined };
  }
  return {
    throughput: divide(numerator.messagesPerSec, row.messagesPerSec),
    ackP99: divide(numerator.ackLatency.p99Us, row.ackLatency.p99Us),
  };
}

function divide(numerator: number, denominator: number): number | undefined {
  return denominator > 0 && numerator > 0 ? numerator / denominator : undefined;
}

const headings = [
  'system', 'msgs/s', 'MB/s', 'ack p50', 'ack p99', 'ack p99.9', 'ack max', 'e2e p50', 'e2e p99',
  'cpu/msg', 'rss', 'thr ratio', 'p99 ratio',
];

function rowCells(result: ScenarioResult, numerator: ScenarioResult | undefined): string[] {
  if (result.status !== 'ok') {
    return [result.system, `${result.status}: ${result.reason}`];
  }
  const ratios = rowRatios(numerator, result);
  const endToEnd = result.endToEndLatency;
  const ack = result.ackLatency;
  // A row without samples (a ceiling measured without acknowledgements) shows dashes, not 0.
  const micros = (count: number, value: number) => (count > 0 ? formatMicros(value) : '–');
  return [
    result.system,
    formatCount(result.messagesPerSec),
    result.megabytesPerSec.toFixed(1),
    micros(ack.count, ack.p50Us),
    micros(ack.count, ack.p99Us),
    micros(ack.count, ack.p999Us),
    micros(ack.count, ack.maxUs),
    micros(endToEnd.count, endToEnd.p50Us),
    micros(endToEnd.count, endToEnd.p99Us),
    result.cpuNsPerMessage > 0 ? formatMicros(result.cpuNsPerMessage / 1000) : '–',
    result.peakRssBytes > 0 ? formatMebibytes(result.peakRssBytes) : '–',
    formatRatio(ratios.throughput),
    formatRatio(ratios.ackP99),
  ];
}

/** Lays out rows in columns; a short row (a skip reason) spans the rest of its line. */
function layout(rows: readonly string[][]): string[] {
  const widths = headings.map((_, column) =>
    Math.max(...rows.filter((row) => column === 0 || row.length === headings.length)
      .map((row) => row[column]!.length)));
  return rows.map((row) => {
    if (row.length !== headings.length) return `  ${row[0]!.padEnd(widths[0]!)}  ${row[1]}`;
    return '  ' + row.map((cell, column) =>
      column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)).join('  ');
  });
}

export function renderTable(report: SuiteReport): string {
  const lines: string[] = [];
  for (const scenario of report.scenarios) {
    const results = report.results.filter((result) => result.scenario === scenario.name);
    if (results.length === 0) continue;
    const numerator = ratioNumerator(results);
    const ratioNote = numerator === undefined
      ? 'no system ran' : `ratios: ${numerator.system} ÷ row`;
    lines.push(`${scenario.name} (${ratioNote})`);
    lines.push(...layout([headings, ...results.map((result) => rowCells(result, numerator))]));
    lines.push('');
  }
  lines.push('durability of the systems that ran, as configured:');
  const seen = new Set<string>();
  for (const result of report.results) {
    if (result.status !== 'ok') continue;
    const key = `${result.system} acks=${result.acks}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(`  ${key}: ${result.durability}`);
  }
  return lines.join('\n');
}
