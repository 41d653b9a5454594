/**
 * Restoring a backup into a new data directory. Nothing is written until every file the
 * backup names (in it or in its bases) has been read whole and matched its SHA-256; a damaged
 * or missing file is refused with its path (`BACKUP_CORRUPT`). Then the files are copied into
 * `<dataDir>.restore-<id>` (each hashed again as it is copied, so a file changed since the
 * check is refused too), synced, and the directory is renamed to `<dataDir>` in one step: a
 * crash during a restore leaves no data directory, never half of one.
 *
 * A broker opened on the restored directory recovers it as after a clean stop or a power
 * cut: each partition from its checkpoint, scanning the batches after the recovery point.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MambaError, fromIoError } from '../errors.js';
import {
  backupCorrupt, readBackupManifest, storedPathOf, type BackupManifest,
  type BackupPartition,
} from './backup-manifest.js';
import { copyHashed, directoriesUnder, hashFile, namesIn, syncDirectory } from './backup-files.js';

export interface RestoreReport {
  dataDir: string;
  backupId: string;
  fileCount: number;
  bytes: number;
  partitions: BackupPartition[];
  groups: string[];
}

/** Checks every file of the backup in `fromDir`; BACKUP_CORRUPT names the first bad one. */
export async function verifyBackup(fromDir: string): Promise<BackupManifest> {
  const dir = path.resolve(fromDir);
  const manifest = readBackupManifest(dir);
  for (const base of manifest.bases) {
    const baseDir = path.resolve(dir, base.path);
    if (readBackupManifest(baseDir).id !== base.id) {
      throw new MambaError('BACKUP_CORRUPT', `base backup ${baseDir} is not the one backup ` +
        `${dir} was made on (id ${base.id})`, { detail: { dir, baseDir } });
    }
  }
  for (const entry of manifest.files) {
    const stored = storedPathOf(dir, entry);
    let found;
    try {
      found = await hashFile(stored);
    } catch (error) {
      throw backupCorrupt(stored, `cannot be read (${(error as NodeJS.ErrnoException).code})`);
    }
    if (found.sizeBytes !== entry.sizeBytes) {
      throw backupCorrupt(stored, `${found.sizeBytes} bytes where ${entry.sizeBytes} were saved`);
    }
    if (found.sha256 !== entry.sha256) throw backupCorrupt(stored, 'SHA-256 mismatch');
  }
  return manifest;
}

/** Restores the backup in `fromDir` into `dataDir`, which must not exist or be empty. */
export async function restoreBackup(fromDir: string, dataDir: string): Promise<RestoreReport> {
  const dir = path.resolve(fromDir);
  const target = path.resolve(dataDir);
  if ((await namesIn(target)).length > 0) {
    throw new MambaError('INVALID_DATA_DIR', `data directory ${target} is not empty: a restore ` +
      'writes only into a new or empty directory', { detail: { dataDir: target } });
  }
  const manifest = await verifyBackup(dir);
  const work = `${target}.restore-${randomUUID()}`;
  let bytes = 0;
  try {
    await fs.mkdir(work, { recursive: true });
    for (const entry of manifest.files) {
      const stored = storedPathOf(dir, entry);
      const copied = await copyHashed(stored, path.join(work, ...entry.path.split('/')),
        entry.fileSizeBytes ?? entry.sizeBytes);
      if (copied.sha256 !== entry.sha256) {
        throw backupCorrupt(stored, 'SHA-256 mismatch (the file changed during the restore)');
      }
      bytes += copied.sizeBytes;
    }
    for (const sub of await directoriesUnder(work)) await syncDirectory(sub);
    await fs.rmdir(target).catch(() => undefined);
    await fs.rename(work, target);
    await syncDirectory(path.dirname(target));
  } catch (error) {
    await fs.rm(work, { recursive: true, force: true });
    throw fromIoError(error, `restoring ${dir} into ${target}`);
  }
  return {
    dataDir: target, backupId: manifest.id, fileCount: manifest.files.length, bytes,
    partitions: manifest.partitions, groups: manifest.groups,
  };
}
