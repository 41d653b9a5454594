import { afterEach, describe, expect, it, vi } from 'vitest';
import { demoCommand } from '../../src/cli/demo.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('mamba demo (npm start)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('produces, consumes, survives its crash, and verifies every record', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => { lines.push(String(line)); });
    const code = await demoCommand(['--duration', '2s', '--data-dir', tempDir(), '--actors', '2']);
    const output = lines.join('\n');
    expect(code).toBe(0);
    expect(output).toMatch(/actor 0 crashed/);
    expect(output).toMatch(/actor 0 restarted \d+ ms after its crash/);
    expect(output).toMatch(/verification\s+OK: every acknowledged record consumed exactly once \(0 lost, 0 duplicated\)/);
  });
});
