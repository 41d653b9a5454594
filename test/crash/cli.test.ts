/**
 * The one test that runs the `mamba` command itself (the compiled dist/ entry): its `--json`
 * output is one parseable result, and its exit code follows the verdict and the usage.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mamba = path.join(root, 'dist/src/cli/main.js');

function runMamba(args: string[]) {
  return spawnSync(process.execPath, [mamba, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('mamba crash-test', () => {
  it('prints a JSON result and exits 0 when nothing was violated', () => {
    const child = runMamba(['crash-test', '--json', '--duration', '2s', '--calm', '500ms',
      '--kill-every', '300ms', '--modes', 'throw,process,hang', '--partitions', '2',
      '--actors', '2', '--seed', '5', '--segment-bytes', String(1 << 20)]);
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout) as {
      violationCount: number; config: { seed: number; modes: string[] };
      check: { source: string; totals: { lost: number; acknowledged: number } };
      consumers: { unconsumed: number; consumed: number; drained: boolean };
    };
    expect(result.violationCount).toBe(0);
    expect(result.config.seed).toBe(5);
    expect(result.config.modes).toEqual(['throw', 'process', 'hang']);
    expect(result.check.totals.acknowledged).toBeGreaterThan(0);
    expect(result.check.totals.lost).toBe(0);
    expect(result.check.source).toBe('consumer-group');
    expect(result.consumers.consumed).toBeGreaterThanOrEqual(result.check.totals.acknowledged);
    expect(result.consumers.unconsumed).toBe(0);
    expect(result.consumers.drained).toBe(true);
  });

  it('exits 2 with the usage on a bad option', () => {
    const child = runMamba(['crash-test', '--modes', 'meteor']);
    expect(child.status).toBe(2);
    expect(child.stderr).toContain('--modes must be');
    expect(child.stderr).not.toContain('options.');
    expect(child.stderr).toContain('usage: mamba crash-test');
  });
});
