/**
 * The background job that creates the next segment file (piscina task, DESIGN.md §4). The
 * writer thread does not wait for the task's promise, which would need an event-loop turn that a
 * busy partition actor may not give: the result is published in a shared status word instead,
 * and the writer reads it with `Atomics.load` when it rolls.
 *
 * The file is published READY as soon as it is zero-filled, before its fsync: the zeros are
 * written (so every block is reserved and no store into the mapping can meet a full disk), and
 * their durability is no part of the log's promises (a power cut before the fsync leaves holes,
 * which read as zeros too; the writer's own flushes make its batches durable). The fsync runs
 * after, still on this pool's thread but no longer in the writer's way: it only keeps the zeros
 * from being written by the writer's first flush of the segment. Before, READY waited for it:
 * on this 2-core machine a 64 MiB fsync took 90–340 ms while the writer filled a segment in
 * ~70 ms, so the writer found the next segment still pending at most rolls and zero-filled one
 * on its own thread (bench/README.md, "Append and produce").
 */
import fs from 'node:fs';
import { openZeroFilledFile } from './zero-filled-file.js';

export interface PrepareTask {
  path: string;
  sizeBytes: number;
  /** Int32 slot 0: PREPARE_PENDING, then PREPARE_READY or PREPARE_FAILED (written here). */
  status: SharedArrayBuffer;
}

export const PREPARE_PENDING = 0;
export const PREPARE_READY = 1;
export const PREPARE_FAILED = 2;

/**
 * Zero-fills the file, publishes READY, then fsyncs it. Resolves to whether the zeros were
 * synced; a failed fsync does not take READY back (the file may be in use by then, and nothing
 * durable depends on its zeros), it only means the writer's first flush writes them.
 */
export default function prepareSegmentFile(task: PrepareTask): Promise<boolean> {
  const status = new Int32Array(task.status);
  let fd: number;
  try {
    fd = openZeroFilledFile(task.path, task.sizeBytes);
  } catch {
    Atomics.store(status, 0, PREPARE_FAILED);
    return Promise.resolve(false);
  }
  Atomics.store(status, 0, PREPARE_READY);
  return new Promise((resolve) => {
    fs.fsync(fd, (syncError) => {
      fs.close(fd, () => resolve(syncError === null));
    });
  });
}
