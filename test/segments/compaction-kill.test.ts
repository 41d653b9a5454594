/**
 * Compaction on real files in a real process, SIGKILLed at random moments while it appends and
 * runs cleaning rounds back to back (the kill often lands in the middle of a clean or a swap).
 * After each kill the log reopens with no leftover `.cleaned` file or swap marker, every record
 * it holds is the update written at that offset, and the table it gives is the table of every
 * update appended: nothing lost, nothing mixed up. (That a round is all-or-nothing is checked
 * step by step on the fault-injecting storage: compaction-power-cut.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { workerUrl } from '../../src/worker-url.js';
import { PartitionLog } from '../../src/segments/index.js';
import { seededRandom } from './batch-builder.js';
import { quiet } from './log-harness.js';
import { readRecords, tableOf, type StoredRecord } from './compaction-harness.js';

const keyCount = 50;
const killCount = 6;

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'mamba-compact-kill-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/**
 * Runs the child until a moment `delayMs` after its `messages`-th report (a round's clean or
 * its swap), then SIGKILLs it.
 */
async function runAndKill(dir: string, messages: number, delayMs: number): Promise<void> {
  const entry = fileURLToPath(workerUrl('./fixtures/compaction-child.js', import.meta.url));
  const child = fork(entry, [dir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => {
    child.on('exit', (_code, signal) => resolve(signal));
  });
  let seen = 0;
  await new Promise<void>((resolve) => {
    child.on('message', () => {
      seen += 1;
      // The delay picks a moment after the report; it synchronises nothing.
      if (seen === messages) setTimeout(() => { child.kill('SIGKILL'); resolve(); }, delayMs);
    });
  });
  expect(await exited).toBe('SIGKILL');
}

describe('compaction in a process killed with SIGKILL', () => {
  it('reopens to the updates appended, never a lost or mixed-up record', async () => {
    const dir = nodePath.join(root, 'table-0');
    const random = seededRandom(16);
    for (let kill = 0; kill < killCount; kill += 1) {
      await runAndKill(dir, 1 + Math.floor(random() * 6), Math.floor(random() * 4));
      const log = PartitionLog.open(dir, { segmentSizeBytes: 64 * 1024, log: quiet });
      expect(fs.readdirSync(dir).filter((name) => name.includes('clean'))).toEqual([]);
      const records = readRecords((from, max) => log.read(from, max));
      for (const record of records) {
        expect(record).toMatchObject({ key: `k${record.offset % keyCount}`,
          value: `v${record.offset}` });
      }
      const updates: StoredRecord[] = Array.from({ length: log.logEndOffset }, (_, i) =>
        ({ offset: i, key: `k${i % keyCount}`, value: `v${i}`, timestamp: 0 }));
      expect(tableOf(records)).toEqual(tableOf(updates));
      // Cleaning happened: far fewer records than updates.
      expect(records.length).toBeLessThan(log.logEndOffset / 2);
      log.close();
    }
  }, 60_000);
});
