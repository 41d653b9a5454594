/**
 * The background job that creates the next segment file (piscina task, DESIGN.md §4). The
 * writer thread does not wait for the task's promise, which would need an event-loop turn that a
 * busy partition actor may not give: the result is published in a shared status word instead,
 * and the writer reads it with `Atomics.load` when it rolls.
 */
import { createZeroFilledFile } from './zero-filled-file.js';

export interface PrepareTask {
  path: string;
  sizeBytes: number;
  /** Int32 slot 0: PREPARE_PENDING, then PREPARE_READY or PREPARE_FAILED (written here). */
  status: SharedArrayBuffer;
}

export const PREPARE_PENDING = 0;
export const PREPARE_READY = 1;
export const PREPARE_FAILED = 2;

export default function prepareSegmentFile(task: PrepareTask): boolean {
  const status = new Int32Array(task.status);
  try {
    // fsync here, off the writer's thread: the zeros reach the disk now, so the writer's later
    // stores land on clean, allocated pages instead of doubling the dirty data it waits on.
    createZeroFilledFile(task.path, task.sizeBytes, true);
    Atomics.store(status, 0, PREPARE_READY);
    return true;
  } catch {
    Atomics.store(status, 0, PREPARE_FAILED);
    return false;
  }
}
