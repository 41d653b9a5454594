/**
 * The log cleaner pool's entry file (cleaner-worker.ts), in CommonJS: see
 * segment-prepare-entry.cts for why.
 */
import type { CleanResult, CleanTask } from './segment-cleaner.js';

const task = import('./cleaner-worker.js');

export = async function cleanTask(spec: CleanTask): Promise<CleanResult> {
  return (await task).default(spec);
};
