/**
 * The README's example is examples/quick-start.mjs, word for word, and it runs to completion
 * twice in a row on one data directory (issue 17 item 7): the second run finds its topic, its
 * loop ends, and it reaches `broker.close()`.
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
const example = path.join(root, 'examples/quick-start.mjs');

/** The first ```js block of the README's "Use" section. */
function readmeExample(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const use = readme.slice(readme.indexOf('\n## Use\n'));
  const match = /```js\n([\s\S]*?)```/.exec(use);
  if (match === null) throw new Error('README.md: no js block in the Use section');
  return match[1];
}

interface Run {
  sentOffset: number;
  received: Array<{ value: string; partition: number; offset: number }>;
  lastLine: string;
}

async function runExample(dataDir: string): Promise<Run> {
  // The example imports 'mamba-mq', which resolves to this package (dist/) by self-reference.
  const { stdout } = await run(process.execPath, [example, dataDir], { cwd: root });
  const lines = stdout.trim().split('\n');
  const sent = /^sent hello to orders\/\d+ at offset (\d+)$/.exec(lines[0]);
  expect(sent, stdout).not.toBeNull();
  const received = lines.slice(1, -1).map((line) => {
    const m = /^received (\S+) from orders\/(\d+) at offset (\d+)$/.exec(line);
    expect(m, line).not.toBeNull();
    return { value: m![1], partition: Number(m![2]), offset: Number(m![3]) };
  });
  return { sentOffset: Number(sent![1]), received, lastLine: lines[lines.length - 1] };
}

describe('the README example', () => {
  it('is examples/quick-start.mjs', () => {
    expect(readmeExample()).toBe(readFileSync(example, 'utf8'));
  });

  it('runs to completion twice on the same data directory, printing text', async () => {
    const dataDir = tempDir();
    const first = await runExample(dataDir);
    expect(first.sentOffset).toBe(0);
    expect(first.received.map((r) => r.value).sort()).toEqual(['a', 'b', 'hello']);
    expect(first.lastLine).toBe('closed');
    const second = await runExample(dataDir);
    expect(second.sentOffset).toBe(1);
    // The group resumes after what the first run committed: only the new records.
    expect(second.received.map((r) => r.value).sort()).toEqual(['a', 'b', 'hello']);
    const firstOffsets = new Set(first.received.map((r) => `${r.partition}/${r.offset}`));
    for (const r of second.received) {
      expect(firstOffsets.has(`${r.partition}/${r.offset}`)).toBe(false);
    }
    expect(second.lastLine).toBe('closed');
  });
});
