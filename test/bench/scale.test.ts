import { describe, expect, it } from 'vitest';
import {
  flatGrowthBytesPerMegabyteMax, gridScenarios, growthBytesPerMegabyte, parseScaleOptions,
  renderGrid, renderRecovery,
} from '../../bench/scale.js';
import type { RecoveryFigure } from '../../bench/scale/log-recovery.js';
import { result } from './fixtures.js';

const MiB = 1024 * 1024;

function figure(logBytes: number, mode: RecoveryFigure['mode'], anonMiB: number,
  peakMiB: number): RecoveryFigure {
  return {
    logBytes, mode, openMs: 100 + logBytes / 1e7, highWatermark: 0,
    rssAfterOpenBytes: peakMiB * MiB, rssAnonBytes: anonMiB * MiB,
    rssFileBytes: (peakMiB - anonMiB) * MiB, peakRssBytes: peakMiB * MiB,
  };
}

describe('scale suite', () => {
  it('parses its flags: sizes in MB, --big adds 10 GB, grids of partitions × threads', () => {
    const defaults = parseScaleOptions([])!;
    expect(defaults.logSizesBytes).toEqual([256e6, 1024e6]);
    const big = parseScaleOptions(['--big', '--log-mb', '64', '--threads', '1,2',
      '--partitions', '1', '--acks', '1,all'])!;
    expect(big.logSizesBytes).toEqual([64e6, 10_240e6]);
    const names = gridScenarios(big).map((scenario) => scenario.name);
    expect(names).toEqual(['100B p1 x1 acks=1 threads', '100B p1 x2 acks=1 threads',
      '100B p1 x1 acks=all threads', '100B p1 x2 acks=all threads']);
    expect(() => parseScaleOptions(['--log-mb', '0'])).toThrow(/--log-mb/);
  });

  it('divides each grid point by the first one', () => {
    const options = parseScaleOptions(['--partitions', '1,4', '--threads', '1,2'])!;
    const scenarios = gridScenarios(options);
    const rates = [1e6, 1.5e6, 2e6, 3e6];
    const results = scenarios.map((scenario, index) =>
      ({ ...result(scenario.name, 'mamba', rates[index]!, 100), acks: 1 as const }));
    const text = renderGrid(scenarios, results, options);
    expect(text).toContain('1.00M (1.00×)');
    expect(text).toContain('3.00M (3.00×)');
  });

  it('calls memory flat only when it grows less than the bound per MB of log', () => {
    const flat = [figure(0, 'full scan', 36, 140), figure(1e9, 'full scan', 38, 1100)];
    const anonGrowth = growthBytesPerMegabyte(flat, 'full scan', (f) => f.rssAnonBytes)!;
    expect(anonGrowth).toBeLessThan(flatGrowthBytesPerMegabyteMax);
    const peakGrowth = growthBytesPerMegabyte(flat, 'full scan', (f) => f.peakRssBytes)!;
    expect(peakGrowth).toBeGreaterThan(flatGrowthBytesPerMegabyteMax);
    expect(growthBytesPerMegabyte(flat, 'checkpoint', (f) => f.peakRssBytes)).toBeUndefined();
    expect(renderRecovery(flat)).toMatch(/1000 MB\s+full scan .* 1\.06×/);
  });
});
