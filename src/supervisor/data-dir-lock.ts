/**
 * One broker per data directory. Two brokers appending to the same partition files would corrupt
 * them, so `Broker.open` takes this lock first and refuses with `DATA_DIR_LOCKED` when another
 * live broker holds it.
 *
 * Node has no `flock`, so the lock is a file created with `O_EXCL` holding a token. A bare PID
 * cannot be trusted (PIDs are reused, and in containers every broker is PID 1), so the token
 * names the process by PID *and* its start time in clock ticks since boot, plus the kernel's boot
 * id and the host name, and a random nonce for brokers in the same process.
 *
 * Deciding whether an existing lock is stale:
 *
 * | token                                   | holder                        | decision          |
 * |-----------------------------------------|-------------------------------|-------------------|
 * | unreadable, file older than 10 s        | died between create and write | stale: take over  |
 * | unreadable, newer                       | may be writing its token      | locked            |
 * | other host name                         | cannot be checked from here   | locked            |
 * | same host, other boot id                | machine rebooted since        | stale             |
 * | same boot, PID gone                     | process exited or was killed  | stale             |
 * | same boot, PID alive, other start time  | PID reused by another process | stale             |
 * | same boot, PID alive, same start time   | that process holds it         | locked            |
 *
 * Known limit: two processes that find the same stale lock at the same instant can both break
 * it; each re-reads the lock after taking it and backs off if its nonce is not there, which
 * narrows the window to the two reads but does not close it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { MambaError } from '../errors.js';
import { dataDirError, prepareDataDir } from './data-dir.js';

const LOCK_FILE_NAME = 'LOCK';
const unwrittenLockStaleMs = 10_000;

interface LockToken {
  hostname: string;
  bootId: string;
  pid: number;
  startTicks: string;
  nonce: string;
}

/** Locks held by this process, by absolute lock path. */
const heldByThisProcess = new Map<string, string>();

export class DataDirLock {
  private released = false;

  private constructor(readonly lockPath: string, private readonly nonce: string) {}

  static acquire(dataDir: string): DataDirLock {
    // Keyed by the real path: the same directory reached through a symlink is the same lock.
    const lockPath = path.join(prepareDataDir(dataDir), LOCK_FILE_NAME);
    if (heldByThisProcess.has(lockPath)) throw openHere(dataDir);
    const token = currentToken();
    for (let attempt = 0; attempt < 2; attempt++) {
      if (tryCreate(dataDir, lockPath, token)) {
        if (readToken(lockPath)?.nonce !== token.nonce) break;
        heldByThisProcess.set(lockPath, token.nonce);
        return new DataDirLock(lockPath, token.nonce);
      }
      const verdict = judge(lockPath);
      if (verdict === 'this process') throw openHere(dataDir);
      if (verdict !== 'stale') throw locked(dataDir, verdict);
      fs.rmSync(lockPath, { force: true });
    }
    throw locked(dataDir, 'another process took the lock at the same moment');
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    heldByThisProcess.delete(this.lockPath);
    if (readToken(this.lockPath)?.nonce === this.nonce) fs.rmSync(this.lockPath, { force: true });
  }
}

function locked(dataDir: string, why: string): MambaError {
  return new MambaError('DATA_DIR_LOCKED',
    `data directory ${dataDir} is in use: ${why}; if no broker is running, remove ` +
    `${path.join(dataDir, LOCK_FILE_NAME)}`, { detail: { dataDir } });
}

function openHere(dataDir: string): MambaError {
  return new MambaError('DATA_DIR_LOCKED',
    `data directory ${dataDir} is already open in this process (by another Broker); close ` +
    'that one first', { detail: { dataDir } });
}

function tryCreate(dataDir: string, lockPath: string, token: LockToken): boolean {
  let fd: number;
  try {
    fd = fs.openSync(lockPath, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw dataDirError(dataDir, error, 'creating the lock file in');
  }
  try {
    fs.writeSync(fd, JSON.stringify(token));
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(lockPath, { force: true });
    throw dataDirError(dataDir, error, 'writing the lock file in');
  }
  fs.closeSync(fd);
  return true;
}

function readToken(lockPath: string): LockToken | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as Partial<LockToken>;
    if (typeof parsed.pid !== 'number' || typeof parsed.nonce !== 'string') return undefined;
    return parsed as LockToken;
  } catch {
    return undefined;
  }
}

/** 'stale', 'this process', or the reason the lock is held. */
function judge(lockPath: string): 'stale' | string {
  const token = readToken(lockPath);
  if (token === undefined) {
    let ageMs = 0;
    try {
      ageMs = Date.now() - fs.statSync(lockPath).mtimeMs;
    } catch {
      return 'stale';
    }
    return ageMs > unwrittenLockStaleMs ? 'stale' : 'a broker is starting';
  }
  const me = currentToken();
  if (token.hostname !== me.hostname) return `held by a broker on host ${token.hostname}`;
  if (token.bootId !== me.bootId) return 'stale';
  const startTicks = processStartTicks(token.pid);
  if (startTicks === undefined || startTicks !== token.startTicks) return 'stale';
  // Another broker of this process whose lock path was spelled differently (a bind mount).
  if (token.pid === me.pid) return 'this process';
  return `held by process ${token.pid}`;
}

let cachedToken: Omit<LockToken, 'nonce'> | undefined;

function currentToken(): LockToken {
  cachedToken ??= {
    hostname: os.hostname(),
    bootId: readTrimmed('/proc/sys/kernel/random/boot_id') ?? 'unknown',
    pid: process.pid,
    startTicks: processStartTicks(process.pid) ?? 'unknown',
  };
  return { ...cachedToken, nonce: randomBytes(12).toString('hex') };
}

/**
 * Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. The command
 * name (field 2) may hold spaces and parentheses, so fields are counted after its last ')'.
 * Where /proc is missing, a live PID is reported with an unknown start time.
 */
function processStartTicks(pid: number): string | undefined {
  const stat = readTrimmed(`/proc/${pid}/stat`);
  if (stat !== undefined) {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  }
  try {
    process.kill(pid, 0);
    return 'unknown';
  } catch {
    return undefined;
  }
}

function readTrimmed(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
