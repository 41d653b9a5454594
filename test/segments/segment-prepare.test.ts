/**
 * The background preparation of the next segment (segment-prepare-worker.ts), run in this
 * thread on real files. The file is published READY once zero-filled, before its fsync: the
 * writer must not find it pending only because its zeros are still being written to disk (at
 * 64 MiB that fsync took longer than the writer took to fill a segment, so most rolls zero-filled
 * a segment on the writer's own thread). The task's promise settles after the fsync.
 */
import fs from 'node:fs';
import nodePath from 'node:path';
import { describe, expect, it } from 'vitest';
import prepareSegmentFile, {
  PREPARE_FAILED, PREPARE_PENDING, PREPARE_READY,
} from '../../src/segments/segment-prepare-worker.js';
import { tempDir } from '../helpers/temp-dir.js';

const sizeBytes = 4 * 1024 * 1024;

function task(path: string): { status: Int32Array; run: () => Promise<boolean> } {
  const shared = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const status = new Int32Array(shared);
  expect(Atomics.load(status, 0)).toBe(PREPARE_PENDING);
  return { status, run: () => prepareSegmentFile({ path, sizeBytes, status: shared }) };
}

/** Whether `promise` has settled by the time already-queued microtasks have run. */
async function settledNow(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending');
  return await Promise.race([promise, Promise.resolve(pending)]) !== pending;
}

describe('preparing the next segment', () => {
  it('publishes the zero-filled file before its fsync finishes, then settles', async () => {
    const path = nodePath.join(tempDir(), 'next.prepared');
    const { status, run } = task(path);
    const synced = run();
    // The fsync runs on the I/O pool and completes on a later event-loop turn at the earliest,
    // so here it cannot have finished: READY was published before it.
    expect(Atomics.load(status, 0)).toBe(PREPARE_READY);
    expect(await settledNow(synced)).toBe(false);
    const bytes = fs.readFileSync(path);
    expect(bytes.length).toBe(sizeBytes);
    expect(bytes.every((byte) => byte === 0)).toBe(true);
    expect(await synced).toBe(true);
    expect(Atomics.load(status, 0)).toBe(PREPARE_READY);
  });

  it('fails without touching a file that is already there', async () => {
    const path = nodePath.join(tempDir(), 'taken.prepared');
    fs.writeFileSync(path, 'not mine');
    const { status, run } = task(path);
    expect(await run()).toBe(false);
    expect(Atomics.load(status, 0)).toBe(PREPARE_FAILED);
    expect(fs.readFileSync(path, 'utf8')).toBe('not mine');
  });
});
