/**
 * The log cleaner's worker entry (a piscina task, DESIGN.md §4): the supervisor's cleaner
 * (supervisor/log-cleaner.ts) runs `cleanSegments` here, off both the main thread and the
 * partition actors, on the real files. Its only writes are `.cleaned` files; the partition's
 * actor swaps them in.
 */
import { initCompression } from '../records/index.js';
import { MmapStorage } from './mmap-storage.js';
import { cleanSegments, type CleanResult, type CleanTask } from './segment-cleaner.js';

export default async function cleanTask(task: CleanTask): Promise<CleanResult> {
  // zstd's codec starts asynchronously (wasm), once per thread.
  await initCompression();
  return cleanSegments(new MmapStorage(), task);
}
