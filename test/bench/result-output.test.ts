import { describe, expect, it } from 'vitest';
import { escapeXml, renderChart } from '../../bench/harness/result-chart.js';
import { fileTimestamp } from '../../bench/harness/result-files.js';
import { formatCount, formatMicros, formatRatio } from '../../bench/harness/result-format.js';
import { ratioNumerator, renderTable, rowRatios } from '../../bench/harness/result-table.js';
import { report, result, scenario } from './fixtures.js';
import { checkXml } from './xml-check.js';

describe('ratios', () => {
  it('divides by each row with mamba as the numerator when it ran', () => {
    const results = [
      result('s', 'redis-streams', 50_000, 4000),
      result('s', 'mamba', 1_000_000, 500),
    ];
    const numerator = ratioNumerator(results);
    expect(numerator?.system).toBe('mamba');
    const ratios = rowRatios(numerator, results[0]!);
    expect(ratios.throughput).toBeCloseTo(20, 10);
    expect(ratios.ackP99).toBeCloseTo(0.125, 10);
  });

  it('falls back to the first system that ran, and gives no ratio for a skipped row', () => {
    const results = [
      result('s', 'mamba', 0, 0, 'skipped'),
      result('s', 'postmessage-packed', 8e6, 100),
      result('s', 'redis-streams', 0, 0, 'skipped'),
    ];
    const numerator = ratioNumerator(results);
    expect(numerator?.system).toBe('postmessage-packed');
    expect(rowRatios(numerator, results[2]!)).toEqual({ throughput: undefined, ackP99: undefined });
  });
});

describe('formatting', () => {
  it('writes counts, durations and ratios with their units', () => {
    expect(formatCount(12_630_000)).toBe('12.63M');
    expect(formatCount(78_300)).toBe('78.3k');
    expect(formatCount(950)).toBe('950');
    expect(formatMicros(44.8)).toBe('44.8µs');
    expect(formatMicros(1_520)).toBe('1.52ms');
    expect(formatMicros(2_500_000)).toBe('2.50s');
    expect(formatRatio(21.6)).toBe('21.6×');
    expect(formatRatio(0.31)).toBe('0.31×');
    expect(formatRatio(undefined)).toBe('–');
    expect(fileTimestamp('2024-01-02T03:04:05.678Z')).toBe('20240102-030405');
  });

  it('prints one block per scenario naming its numerator, and the skip reason', () => {
    const table = renderTable(report([
      result('a', 'mamba', 1e6, 500),
      result('a', 'redis-streams', 5e4, 4000),
      result('a', 'nats-jetstream', 0, 0, 'skipped'),
    ], [scenario('a')]));
    const lines = table.split('\n');
    expect(lines[0]).toBe('a (ratios: mamba ÷ row)');
    const redis = lines.find((line) => line.trim().startsWith('redis-streams'))!;
    expect(redis.trim().split(/\s+/).slice(-2)).toEqual(['20.0×', '0.13×']);
    expect(lines.find((line) => line.includes('nats-jetstream'))).toMatch(/skipped: not running/);
    // Rows line up: every data row is as long as the heading row.
    const heading = lines[1]!;
    expect(lines[2]!.length).toBe(heading.length);
    expect(redis.length).toBe(heading.length);
  });
});

describe('chart', () => {
  const scenarios = [scenario('100B acks=1'), scenario('100B acks=all')];
  const results = [
    result('100B acks=1', 'mamba', 2e6, 300),
    result('100B acks=1', 'redis-streams', 8e4, 29_000),
    result('100B acks=1', 'nats-jetstream', 0, 0, 'skipped'),
    result('100B acks=all', 'redis-streams <&>', 7e4, 35_000),
  ];
  const svg = renderChart(report(results, scenarios));

  it('is well-formed XML with an svg root', () => {
    const check = checkXml(svg);
    expect(check.problems).toEqual([]);
    expect(check.elements[0]).toBe('svg');
  });

  it('is caught by the well-formedness check when broken', () => {
    expect(checkXml(svg.replace('</svg>', '')).problems).not.toEqual([]);
    expect(checkXml('<svg><text>a & b</text></svg>').problems).not.toEqual([]);
  });

  it('draws one bar per result that ran, in each of its two panels', () => {
    const bars = [...svg.matchAll(/<rect class="bar" data-scenario="([^"]*)" data-system="([^"]*)"/g)];
    const ran = results.filter((entry) => entry.status === 'ok');
    expect(bars.length).toBe(2 * ran.length);
    const firstPanel = bars.slice(0, ran.length).map((bar) => bar[2]);
    expect(firstPanel).toEqual(ran.map((entry) => escapeXml(entry.system)));
  });

  it('draws a higher throughput as a taller bar', () => {
    const heights = [...svg.matchAll(/data-system="(mamba|redis-streams)"[^>]*height="([\d.]+)"/g)]
      .slice(0, 2).map((match) => Number(match[2]));
    expect(heights[0]!).toBeGreaterThan(heights[1]!);
  });
});
