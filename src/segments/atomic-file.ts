/**
 * Replacing a file atomically and durably: the one routine every small durable file uses (the
 * checkpoint, the topic manifest, an offset log's snapshot), on both storages, blocking or not.
 *
 * The steps, as data, so that the blocking and the asynchronous runner take the same ones:
 *
 * | # | step                                         | a power cut after it leaves            |
 * | - | -------------------------------------------- | -------------------------------------- |
 * | 1 | write `<path>.tmp` whole (create or truncate | the old file; maybe a stray `.tmp`     |
 * |   | it) and fsync it                             | (its readers delete or ignore it)      |
 * | 2 | rename `<path>.tmp` over `<path>`            | the old file or the new one, whole     |
 * | 3 | fsync the directory                          | the new file                           |
 *
 * The rename is what makes it atomic: a name points at the old inode or the new one, never at a
 * half-written one, because the new one was fsynced whole before it got the name. The directory
 * fsync is what makes it durable. When a step fails, the temp file is removed and the error
 * (`DISK_FULL` for a full disk, `IO_ERROR` otherwise) is thrown; the old file is untouched.
 */
import nodePath from 'node:path';

export const TEMP_SUFFIX = '.tmp';

export type FileStep =
  | { kind: 'write-durable'; path: string; bytes: Uint8Array }
  | { kind: 'rename'; fromPath: string; toPath: string }
  | { kind: 'sync-directory'; dir: string }
  | { kind: 'remove'; path: string };

export interface ReplacePlan {
  steps: FileStep[];
  /** Run after a failed step; its own failure is ignored (the first error is the story). */
  cleanup: FileStep;
}

export function atomicReplacePlan(path: string, bytes: Uint8Array): ReplacePlan {
  const temporaryPath = `${path}${TEMP_SUFFIX}`;
  return {
    steps: [
      { kind: 'write-durable', path: temporaryPath, bytes },
      { kind: 'rename', fromPath: temporaryPath, toPath: path },
      { kind: 'sync-directory', dir: nodePath.dirname(path) },
    ],
    cleanup: { kind: 'remove', path: temporaryPath },
  };
}

export function runPlan(plan: ReplacePlan, run: (step: FileStep) => void): void {
  try {
    for (const step of plan.steps) run(step);
  } catch (error) {
    try {
      run(plan.cleanup);
    } catch {
      // The step's error is reported; a temp file left behind is removed by the next opener.
    }
    throw error;
  }
}

export async function runPlanAsync(
  plan: ReplacePlan, run: (step: FileStep) => Promise<void>,
): Promise<void> {
  try {
    for (const step of plan.steps) await run(step);
  } catch (error) {
    await run(plan.cleanup).catch(() => undefined);
    throw error;
  }
}
