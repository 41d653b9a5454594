import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLock } from '../src/supervisor/data-dir-lock.js';
import { MambaError } from '../src/errors.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function expectLocked(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(MambaError.is(error, 'DATA_DIR_LOCKED')).toBe(true);
    return;
  }
  throw new Error('expected DATA_DIR_LOCKED');
}

describe('DataDirLock', () => {
  it('refuses a second holder in the same process and frees on release', () => {
    const dir = tempDir();
    const lock = DataDirLock.acquire(dir);
    expectLocked(() => DataDirLock.acquire(dir));
    lock.release();
    DataDirLock.acquire(dir).release();
  });

  it('takes over a lock left by a process that has exited', () => {
    const dir = tempDir();
    const lockPath = path.join(dir, 'LOCK');
    // A child writes a token describing itself, then exits without releasing.
    const child = spawnSync(process.execPath, ['-e', `
      const fs = require('fs'), os = require('os');
      const stat = fs.readFileSync('/proc/self/stat', 'utf8');
      const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      fs.writeFileSync(${JSON.stringify(lockPath)}, JSON.stringify({ hostname: os.hostname(),
        bootId, pid: process.pid, startTicks, nonce: 'dead' }));`]);
    expect(child.status).toBe(0);
    DataDirLock.acquire(dir).release();
  });

  it('treats a reused PID with another start time as stale, a live holder as locked', () => {
    const dir = tempDir();
    const lockPath = path.join(dir, 'LOCK');
    const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const token = { hostname: os.hostname(), bootId, pid: process.pid, nonce: 'x' };
    fs.writeFileSync(lockPath, JSON.stringify({ ...token, startTicks: '1' }));
    DataDirLock.acquire(dir).release();
    fs.writeFileSync(lockPath, JSON.stringify({ ...token, startTicks }));
    expectLocked(() => DataDirLock.acquire(dir));
    fs.writeFileSync(lockPath, JSON.stringify({ ...token, startTicks, hostname: 'elsewhere' }));
    expectLocked(() => DataDirLock.acquire(dir));
  });
});
