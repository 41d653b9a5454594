/**
 * A grouped bar chart as a hand-written SVG string: two panels, throughput (msgs/s) above and
 * p99 ack latency (µs) below, one group per scenario and one bar per system that ran it. Both
 * axes are logarithmic because the systems differ by orders of magnitude (an fsync per batch
 * against a memory copy). Every bar has a `<title>` with its exact figure for hover.
 */
import { formatCount, formatMicros } from './result-format.js';
import type { ScenarioResult } from './scenario-result.js';
import type { SuiteReport } from './suite-report.js';

const barWidthPx = 16;
const barGapPx = 2;
const groupGapPx = 28;
const panelHeightPx = 220;
const marginLeftPx = 70;
const marginTopPx = 40;
const labelHeightPx = 70;
const legendRowPx = 18;
const palette = [
  '#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#edc948', '#76b7b2', '#ff9da7', '#9c755f',
  '#bab0ac', '#86bcb6',
];
const mambaColour = '#e15759';

interface Panel {
  readonly title: string;
  readonly value: (result: ScenarioResult) => number;
  readonly format: (value: number) => string;
}

const panels: readonly Panel[] = [
  { title: 'throughput, msgs/s (log scale, higher is better)',
    value: (result) => result.messagesPerSec, format: formatCount },
  { title: 'p99 ack latency, µs (log scale, lower is better)',
    value: (result) => result.ackLatency.p99Us, format: formatMicros },
];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function systemColours(results: readonly ScenarioResult[]): Map<string, string> {
  const colours = new Map<string, string>();
  for (const result of results) {
    if (colours.has(result.system)) continue;
    colours.set(result.system, result.system === 'mamba'
      ? mambaColour : palette[colours.size % palette.length]!);
  }
  return colours;
}

/** Log-scale bounds: whole powers of ten around every positive value. */
function logBounds(values: readonly number[]): { low: number; high: number } {
  const positive = values.filter((value) => value > 0);
  if (positive.length === 0) return { low: 0, high: 1 };
  const low = Math.floor(Math.log10(Math.min(...positive)));
  const high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(...positive))));
  return { low, high };
}

interface Group { readonly scenario: string; readonly results: readonly ScenarioResult[] }

function renderPanel(panel: Panel, groups: readonly Group[], colours: Map<string, string>,
  topPx: number, widthPx: number): string[] {
  const all = groups.flatMap((group) => group.results);
  const { low, high } = logBounds(all.map(panel.value));
  const yOf = (value: number): number => {
    const fraction = value > 0 ? (Math.log10(value) - low) / (high - low) : 0;
    return topPx + panelHeightPx * (1 - Math.max(0, Math.min(1, fraction)));
  };
  const parts = [`<text x="${marginLeftPx}" y="${topPx - 8}" class="panel">` +
    `${escapeXml(panel.title)}</text>`];
  for (let exponent = low; exponent <= high; exponent++) {
    const y = yOf(10 ** exponent).toFixed(1);
    parts.push(`<line x1="${marginLeftPx}" x2="${widthPx - 10}" y1="${y}" y2="${y}" ` +
      'class="grid"/>',
    `<text x="${marginLeftPx - 6}" y="${y}" class="tick">` +
      `${escapeXml(panel.format(10 ** exponent))}</text>`);
  }
  let x = marginLeftPx + groupGapPx / 2;
  for (const group of groups) {
    for (const result of group.results) {
      const value = panel.value(result);
      const y = yOf(value);
      const height = topPx + panelHeightPx - y;
      parts.push(`<rect class="bar" data-scenario="${escapeXml(group.scenario)}" ` +
        `data-system="${escapeXml(result.system)}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" ` +
        `width="${barWidthPx}" height="${height.toFixed(1)}" ` +
        `fill="${colours.get(result.system)}"><title>${escapeXml(
          `${group.scenario} · ${result.system}: ${panel.format(value)}`)}</title></rect>`);
      x += barWidthPx + barGapPx;
    }
    x += groupGapPx;
  }
  return parts;
}

function groupWidthPx(group: Group): number {
  return group.results.length * (barWidthPx + barGapPx) + groupGapPx;
}

export function renderChart(report: SuiteReport): string {
  const groups: Group[] = report.scenarios.map((scenario) => ({
    scenario: scenario.name,
    results: report.results.filter((result) =>
      result.scenario === scenario.name && result.status === 'ok'),
  })).filter((group) => group.results.length > 0);
  const colours = systemColours(groups.flatMap((group) => group.results));
  const plotWidthPx = groups.reduce((sum, group) => sum + groupWidthPx(group), 0);
  const widthPx = Math.max(720, marginLeftPx + plotWidthPx + 20);
  const legendTopPx = marginTopPx + 2 * (panelHeightPx + labelHeightPx);
  const heightPx = legendTopPx + colours.size * legendRowPx + 20;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}" ` +
      `viewBox="0 0 ${widthPx} ${heightPx}" font-family="sans-serif" font-size="11">`,
    '<style>.grid{stroke:#ddd}.tick{text-anchor:end;dominant-baseline:middle;fill:#555}' +
      '.panel{font-weight:bold}.label{text-anchor:end;fill:#333}</style>',
    `<rect width="${widthPx}" height="${heightPx}" fill="#fff"/>`,
    `<text x="${marginLeftPx}" y="18" font-size="14" font-weight="bold">` +
      `${escapeXml(`mamba bench ${report.suite} · ${report.machine.cpuCount} cores · ` +
        `Node ${report.machine.node} · ${report.startedAt.slice(0, 10)}`)}</text>`,
  ];
  panels.forEach((panel, index) => {
    const topPx = marginTopPx + index * (panelHeightPx + labelHeightPx);
    parts.push(`<g class="panel-${index}">`,
      ...renderPanel(panel, groups, colours, topPx, widthPx), '</g>');
    let x = marginLeftPx + groupGapPx / 2;
    for (const group of groups) {
      const centre = x + (groupWidthPx(group) - groupGapPx) / 2;
      const y = topPx + panelHeightPx + 12;
      parts.push(`<text class="label" transform="translate(${centre.toFixed(1)},${y}) ` +
        `rotate(-30)">${escapeXml(group.scenario)}</text>`);
      x += groupWidthPx(group);
    }
  });
  [...colours].forEach(([system, colour], index) => {
    const y = legendTopPx + index * legendRowPx;
    parts.push(`<rect x="${marginLeftPx}" y="${y}" width="12" height="12" fill="${colour}"/>`,
      `<text x="${marginLeftPx + 18}" y="${y + 10}">${escapeXml(system)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
