/**
 * The dead-letter step across a real crash (issue 13): a child process is SIGKILLed between
 * writing the forward mark and appending the dead letter, and between appending it and
 * committing past the record. After each, the next process finds every failed record in the
 * DLQ exactly once, and the group's commit past every record.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Broker, type ConsumedMessage } from '../../src/index.js';
import { scanPartition } from '../../src/client/partition-scan.js';
import { tempDir } from '../helpers/temp-dir.js';

const child = fileURLToPath(new URL('./workers/dead-letter-child.mjs', import.meta.url));

interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

function runChild(dataDir: string, killAt: string): Promise<ChildExit> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dataDir, killAt],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    proc.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => resolve({ code, signal, stdout }));
  });
}

/** The DLQ's values and the group's commit, read by a broker opened after the child. */
async function inspect(dataDir: string): Promise<{ letters: string[]; committed?: number }> {
  const broker = await Broker.open({ dataDir, actors: 1 });
  try {
    const letters: string[] = [];
    if (broker.listTopics().includes('orders.DLQ')) {
      const internal = broker as unknown as { controlBlock: never; directory: never };
      scanPartition({ controlBlock: internal.controlBlock, directory: internal.directory,
        dataDir }, 'orders.DLQ', 0, 0, (m: ConsumedMessage) => {
        letters.push(`${m.value!.toString()}@${m.headers['mamba.dlq.original.offset']}`);
      });
    }
    return { letters, committed: broker.committedOffset('g', 'orders', 0) };
  } finally {
    await broker.close();
  }
}

describe('the dead-letter step under SIGKILL', () => {
  it('leaves each failed record in the DLQ once, whatever point the crash hit', async () => {
    const dataDir = tempDir();

    // 1. Killed after the dead letter of offset 3 was appended, before the commit past it.
    const first = await runChild(dataDir, 'appended');
    expect(first.signal).toBe('SIGKILL');
    expect(first.stdout).toContain('killed at appended of offset 3');
    let state = await inspect(dataDir);
    expect(state.letters).toEqual(['bad3@3']);
    expect(state.committed ?? 0).toBeLessThanOrEqual(3);

    // 2. Offset 3 fails again and is found in the DLQ (not appended twice, so no kill at
    // 'marked' for it); killed after the mark of offset 7, before its append.
    const second = await runChild(dataDir, 'marked');
    expect(second.signal).toBe('SIGKILL');
    expect(second.stdout).toContain('killed at marked of offset 7');
    state = await inspect(dataDir);
    expect(state.letters).toEqual(['bad3@3']);
    expect(state.committed).toBeGreaterThanOrEqual(4);
    expect(state.committed).toBeLessThanOrEqual(7);

    // 3. No crash: offset 7 is dead-lettered now, and the group commits past the end.
    const third = await runChild(dataDir, 'none');
    expect(third.code).toBe(0);
    state = await inspect(dataDir);
    expect(state.letters).toEqual(['bad3@3', 'bad7@7']);
    expect(state.committed).toBe(10);
  });
});
