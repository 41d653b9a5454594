/**
 * The README's delayed-delivery example is examples/delayed-delivery.mjs, word for word, and it
 * runs: the two delayed messages arrive after their due times, the undelayed one first.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const example = path.join(root, 'examples/delayed-delivery.mjs');

describe('the README delayed-delivery example', () => {
  it('is examples/delayed-delivery.mjs', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n### Delayed delivery\n'));
    const match = /```js\n([\s\S]*?)```/.exec(section);
    expect(match?.[1]).toBe(readFileSync(example, 'utf8'));
  });

  it('runs, and each delayed message is seen at or after its due time', async () => {
    // The example imports 'mamba-mq', which resolves to this package (dist/) by self-reference.
    const { stdout } = await run(process.execPath, [example, tempDir()], { cwd: root });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^parked for partition [01], due at \d+$/);
    const seen = lines.slice(1).map((line) => {
      const m = /^(\S+) due (\S+) seen (\d+)$/.exec(line);
      expect(m, line).not.toBeNull();
      return { value: m![1], due: m![2], seenMs: Number(m![3]) };
    });
    // 'now' is not delayed; the other two are due 1.5 s and 2 s after their sends.
    expect(seen[0].value).toBe('now');
    expect(seen.map((s) => s.value).slice(1).sort()).toEqual(['renew', 'soon']);
    expect(seen[0].due).toBe('-');
    for (const { due, seenMs } of seen.slice(1)) {
      expect(seenMs).toBeGreaterThanOrEqual(Number(due));
    }
  });
});
