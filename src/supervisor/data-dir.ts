/**
 * Making sure a data directory can hold a broker before anything is written into it (issue 17
 * item 6). The raw errors of `mkdir` and `open` name a system call, not the problem (`EEXIST …
 * mkdir` for a path that is a file, `EROFS … LOCK` for a read-only mount), so each is turned
 * into a `MambaError` that says what is wrong with the directory, with the fs error as `cause`:
 *
 * | what is found                                      | code                   |
 * |----------------------------------------------------|------------------------|
 * | the path, or a directory above it, is a file       | `INVALID_DATA_DIR`     |
 * | the file system is mounted read-only (EROFS)       | `DATA_DIR_UNAVAILABLE` |
 * | no permission to create or write in it             | `DATA_DIR_UNAVAILABLE` |
 * | no space left to create it                         | `DISK_FULL`            |
 * | anything else the system refuses                   | `DATA_DIR_UNAVAILABLE` |
 */
import fs from 'node:fs';
import path from 'node:path';
import { MambaError } from '../errors.js';

/**
 * Creates the data directory if needed, checks it is a writable directory, and returns its
 * real path (symlinks resolved), so one directory reached by two names is recognised as one.
 */
export function prepareDataDir(dataDir: string): string {
  try {
    makeDirectory(dataDir);
  } catch (error) {
    throw dataDirError(dataDir, error, 'creating');
  }
  try {
    fs.accessSync(dataDir, fs.constants.W_OK | fs.constants.X_OK);
    return fs.realpathSync(dataDir);
  } catch (error) {
    throw dataDirError(dataDir, error, 'writing to');
  }
}

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdir reports ENOENT where the system said
 * EROFS (a read-only mount), which would hide the real problem. The directory itself is always
 * made, so a file in its place is EEXIST.
 */
function makeDirectory(dataDir: string): void {
  const levels = [path.resolve(dataDir)];
  for (let parent = path.dirname(levels[0]); !fs.existsSync(parent);
    parent = path.dirname(parent)) {
    levels.unshift(parent);
  }
  for (const level of levels) {
    try {
      fs.mkdirSync(level);
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST' || !fs.statSync(level).isDirectory()) throw error;
    }
  }
}

/** An fs error met while creating or writing in the data directory, said in its terms. */
export function dataDirError(dataDir: string, error: unknown, doing: string): MambaError {
  if (error instanceof MambaError) return error;
  const errno = errnoOf(error);
  const detail = { dataDir, errno };
  const options = { cause: error, detail };
  const start = `data directory ${dataDir}`;
  switch (errno) {
    case 'EEXIST':
      return new MambaError('INVALID_DATA_DIR', `${start} is a file, not a directory`, options);
    case 'ENOTDIR':
      return new MambaError('INVALID_DATA_DIR',
        `${start} cannot be created: a part of its path is a file, not a directory`, options);
    case 'EROFS':
      return new MambaError('DATA_DIR_UNAVAILABLE',
        `${start} is on a read-only file system (${doing} it failed)`, options);
    case 'EACCES':
    case 'EPERM':
      return new MambaError('DATA_DIR_UNAVAILABLE',
        `${start} is not writable by this process: permission denied ${doing} it`, options);
    case 'ENOSPC':
    case 'EDQUOT':
      return new MambaError('DISK_FULL', `${start}: no space left on device ${doing} it`,
        options);
    default: {
      const reason = error instanceof Error ? error.message : String(error);
      return new MambaError('DATA_DIR_UNAVAILABLE', `${start} is unusable: ${doing} it ` +
        `failed (${reason})`, options);
    }
  }
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
