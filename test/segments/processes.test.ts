/**
 * The log across processes and threads, on real files: a child SIGKILLed while appending loses
 * nothing it had appended, and a worker thread with a read-only mapping sees appended batches.
 * Both run compiled entries from dist/ (`npm test` builds first).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { workerUrl } from '../../src/worker-url.js';
import { crc32c } from '../../src/records/crc32c.js';
import { PartitionLog } from '../../src/segments/index.js';
import { buildBatch, payloadFor, readAll } from './batch-builder.js';
import { quiet } from './log-harness.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'mamba-proc-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

interface Report { sequence: number; baseOffset: number; lastOffset: number }

describe('segment log across processes and threads', () => {
  it('loses nothing appended before a SIGKILL', async () => {
    const dir = nodePath.join(root, 'kill-0');
    const entry = fileURLToPath(workerUrl('./fixtures/append-child.js', import.meta.url));
    const child = fork(entry, [dir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const reports: Report[] = [];
    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      child.on('exit', (_code, signal) => resolve(signal));
    });
    await new Promise<void>((resolve) => {
      child.on('message', (report: Report) => {
        reports.push(report);
        // Enough to span several segments of 256 KiB.
        if (reports.length === 3000) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    expect(await exited).toBe('SIGKILL');
    const log = PartitionLog.open(dir, { log: quiet });
    expect(log.stats().segmentCount).toBeGreaterThan(2);
    const got = readAll((from, max) => log.read(from, max), 0);
    expect(got.length).toBeGreaterThanOrEqual(reports.length);
    for (const report of reports) {
      const batch = got[report.sequence];
      expect(batch.baseOffset).toBe(report.baseOffset);
      expect(batch.lastOffset).toBe(report.lastOffset);
      const payload = payloadFor(report.sequence, 200 + (report.sequence % 700));
      expect(Buffer.from(batch.payload).equals(Buffer.from(payload))).toBe(true);
    }
    const next = log.append(buildBatch({ recordCount: 1, payload: payloadFor(1, 10) }));
    expect(next.baseOffset).toBe(got[got.length - 1].lastOffset + 1);
    log.close();
  });

  it('shows appended batches to a reader thread with its own read-only mapping', async () => {
    const dir = nodePath.join(root, 'read-0');
    const log = PartitionLog.open(dir, { segmentSizeBytes: 64 * 1024, log: quiet });
    const worker = new Worker(workerUrl('./fixtures/reader-worker.js', import.meta.url),
      { workerData: { dir } });
    const ask = (highWatermark: number) =>
      new Promise<{ seen: { baseOffset: number; payloadCrc: number }[] }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage({ highWatermark });
      });
    const expected: { baseOffset: number; payloadCrc: number }[] = [];
    const seen: { baseOffset: number; payloadCrc: number }[] = [];
    try {
      for (let round = 0; round < 5; round += 1) {
        for (let i = 0; i < 40; i += 1) {
          const payload = payloadFor(round * 100 + i, 300 + i * 20);
          const result = log.append(buildBatch({ recordCount: 2, payload }));
          expected.push({ baseOffset: result.baseOffset, payloadCrc: crc32c(payload) });
        }
        seen.push(...(await ask(log.logEndOffset)).seen);
      }
      expect(log.stats().rollCount).toBeGreaterThanOrEqual(2);
      expect(seen).toEqual(expected);
    } finally {
      await worker.terminate();
      log.close();
    }
  });
});
