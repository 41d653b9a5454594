/**
 * Every `mamba` command answers --help, and bad input gets a message in the command line's own
 * words: each case runs the compiled command (dist/, built by `npm test`) as a child process.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mamba = path.join(root, 'dist/src/cli/main.js');
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as
  { version: string }).version;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runMamba(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mamba, ...args], { timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('mamba --version', () => {
  it.each([['--version'], ['-v']])('%s prints the package version', async (flag) => {
    const { code, stdout } = await runMamba([flag]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });
});

describe('mamba <command> --help', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--help'], /usage: mamba <command>[\s\S]*--version/],
    [['demo', '--help'], /usage: mamba demo[\s\S]*--duration[\s\S]*--data-dir/],
    [['demo', '-h'], /usage: mamba demo/],
    [['crash-test', '--help'], /usage: mamba crash-test[\s\S]*--kill-every/],
    [['bench', '--help'], /usage: mamba bench <suite>/],
    [['bench', 'records', '--help'], /usage: mamba bench records/],
    [['bench', 'segments', '--help'], /usage: mamba bench segments/],
    [['bench', 'ringbuffer', '--help'], /usage: mamba bench ringbuffer/],
    [['bench', 'produce', '--help'], /usage: mamba bench produce[\s\S]*--sizes/],
    [['bench', 'consume', '--help'], /usage: mamba bench consume[\s\S]*--records/],
    [['bench', 'matrix', '--help'], /usage: mamba bench matrix[\s\S]*--partitions/],
    [['bench', 'peers', '--help'], /usage: mamba bench peers[\s\S]*--systems/],
    [['bench', 'scale', '--help'], /usage: mamba bench scale[\s\S]*--threads/],
  ];
  it.each(cases)('mamba %j prints help and exits 0', async (args, help) => {
    const { code, stdout, stderr } = await runMamba(args);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(help);
    // Help only: a suite that ran would have printed its figures.
    expect(stdout).not.toMatch(/\d M\/s|RecordBatch v2 codec|ringbuffer: 100-byte/);
  });
});

describe('bad command lines', () => {
  it('a negative duration is called invalid in plain words', async () => {
    for (const command of ['demo', 'crash-test']) {
      const { code, stderr } = await runMamba([command, '--duration', '-5s']);
      expect(code).toBe(2);
      expect(stderr).toContain('--duration must be a duration of zero or more');
      expect(stderr).not.toMatch(/ambiguous/i);
    }
    const bench = await runMamba(['bench', 'peers', '--duration', '-5s']);
    expect(bench.code).toBe(2);
    expect(bench.stderr).toContain('--duration takes a duration of zero or more');
    expect(bench.stderr).not.toMatch(/ambiguous|\n\s+at /);
  });

  it('crash-test names its flags, not the fields behind them', async () => {
    const { code, stderr } = await runMamba(['crash-test', '--duration', '5ms']);
    expect(code).toBe(2);
    expect(stderr).toContain('--duration (in milliseconds) must be an integer from 100');
    expect(stderr).not.toContain('durationMs');
  });

  it('an unknown flag or a suite given options it does not take exits 2', async () => {
    const demo = await runMamba(['demo', '--bogus']);
    expect(demo.code).toBe(2);
    expect(demo.stderr).toContain('unknown option --bogus');
    const bench = await runMamba(['bench', 'records', '--fast']);
    expect(bench.code).toBe(2);
    expect(bench.stderr).toContain('records takes no options');
  });
});
