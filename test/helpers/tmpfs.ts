import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * Whether this process may mount a tmpfs (root on Linux, mount permitted): the real full-disk
 * and read-only tests need one and are skipped, with the reason in their title, where it may not.
 */
export function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe]);
    return true;
  } catch {
    return false; // The probe's answer: mounting is not permitted here.
  } finally {
    fs.rmdirSync(probe);
  }
}

/**
 * Mounts a tmpfs (`mount -o options`, e.g. 'size=64m') before the enclosing suite's tests and
 * unmounts it after them — lazily, as mappings of deleted segments live until they are
 * garbage-collected. Returns a getter of its path.
 */
export function useTmpfs(prefix: string, options: string): () => string {
  let mountPoint = '';
  beforeAll(() => {
    mountPoint = fs.mkdtempSync(path.join('/tmp', prefix));
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mountPoint]);
  });
  afterAll(() => {
    execFileSync('umount', ['--lazy', mountPoint]);
    fs.rmdirSync(mountPoint);
  });
  return () => mountPoint;
}

export function freeBytes(dir: string): number {
  const stats = fs.statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/** Grows one file until `leaveBytes` remain free, or (0) until not one more page fits. */
export function fill(filler: string, leaveBytes = 0): void {
  const fd = fs.openSync(filler, 'a');
  try {
    for (const chunkBytes of [1 << 20, 4096]) {
      const chunk = Buffer.alloc(chunkBytes, 1);
      while (freeBytes(path.dirname(filler)) >= leaveBytes + chunkBytes) {
        try {
          fs.writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}
