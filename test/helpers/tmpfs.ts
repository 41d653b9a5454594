import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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
