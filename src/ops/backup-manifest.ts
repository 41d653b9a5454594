/**
 * The manifest of a backup: which files it holds, where each one's bytes are (this backup or
 * a base backup it builds on), their SHA-256, and what the snapshot holds per partition. It is
 * JSON inside an envelope that carries the SHA-256 of its body, so a damaged manifest is found
 * like a damaged file.
 *
 * ```
 * <backup>/backup.json      {"sha256": "<hex of body>", "body": "<JSON of BackupManifest>"}
 * <backup>/data/<path>      the bytes of each file this backup holds itself, by data-dir path
 * ```
 *
 * A segment file is stored only up to the end of its valid batches (`sizeBytes`); restore gives
 * it back its full length (`fileSizeBytes`) with zeros, which is what a pre-sized segment holds
 * after its data. An incremental backup lists every file of the snapshot, and for a sealed
 * segment already in its base names the directory that holds it (`in`, relative to this
 * backup), so restore reads one manifest, never a chain.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MambaError } from '../errors.js';

export const BACKUP_MANIFEST_FILE_NAME = 'backup.json';
export const BACKUP_DATA_DIR_NAME = 'data';
const BACKUP_FORMAT = 'mamba-backup';
const BACKUP_VERSION = 1;

export interface BackupFile {
  /** The file's path in the data directory, with `/` separators. */
  path: string;
  /** Bytes stored in the backup. */
  sizeBytes: number;
  sha256: string;
  /** The length to give the file on restore (a segment's pre-sized length); default sizeBytes. */
  fileSizeBytes?: number;
  /** A segment that was no longer the active one: later backups may reuse it. */
  sealed?: boolean;
  /** The backup directory holding the bytes, relative to this one; default this one. */
  in?: string;
  /** A segment: the offset after its last batch. */
  endOffset?: number;
}

export interface BackupPartition {
  topic: string;
  /** The topic's UUID: a topic deleted and created again under its name has another. */
  topicUuid: string | undefined;
  partition: number;
  /** The first offset the snapshot holds. */
  logStartOffset: number;
  /** The offset after the last record the snapshot holds. */
  endOffset: number;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: number;
  id: string;
  createdAtMs: number;
  /** The base backups whose files this one names, with their ids. */
  bases: Array<{ id: string; path: string }>;
  files: BackupFile[];
  partitions: BackupPartition[];
  groups: string[];
}

export function newManifest(id: string, createdAtMs: number): BackupManifest {
  return {
    format: BACKUP_FORMAT, version: BACKUP_VERSION, id, createdAtMs, bases: [], files: [],
    partitions: [], groups: [],
  };
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function encodeBackupManifest(manifest: BackupManifest): string {
  const body = JSON.stringify(manifest);
  return JSON.stringify({ sha256: sha256Hex(body), body });
}

export function backupCorrupt(file: string, reason: string): MambaError {
  return new MambaError('BACKUP_CORRUPT', `backup file ${file} is damaged or missing: ${reason}`,
    { corruption: { path: file, bytePosition: 0, reason } });
}

/** Reads and checks the manifest of the backup in `dir`; BACKUP_CORRUPT if it is damaged. */
export function readBackupManifest(dir: string): BackupManifest {
  const file = path.join(dir, BACKUP_MANIFEST_FILE_NAME);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    throw errno === 'ENOENT'
      ? new MambaError('BACKUP_CORRUPT', `${dir} is not a backup: it has no ${
        BACKUP_MANIFEST_FILE_NAME}`, { detail: { dir } })
      : backupCorrupt(file, `cannot be read (${errno ?? String(error)})`);
  }
  let envelope: { sha256?: unknown; body?: unknown };
  try {
    envelope = JSON.parse(text) as typeof envelope;
  } catch {
    throw backupCorrupt(file, 'not JSON');
  }
  if (typeof envelope.body !== 'string' || typeof envelope.sha256 !== 'string') {
    throw backupCorrupt(file, 'missing body or checksum');
  }
  if (sha256Hex(envelope.body) !== envelope.sha256) throw backupCorrupt(file, 'checksum mismatch');
  const manifest = JSON.parse(envelope.body) as BackupManifest;
  if (manifest.format !== BACKUP_FORMAT || manifest.version !== BACKUP_VERSION) {
    throw backupCorrupt(file, `unknown format ${manifest.format} version ${manifest.version}`);
  }
  for (const entry of manifest.files) checkRelativePath(file, entry.path);
  return manifest;
}

/** A path from a manifest must stay inside the directory it is joined to. */
function checkRelativePath(manifestFile: string, relative: string): void {
  const normal = path.posix.normalize(relative);
  if (relative === '' || path.posix.isAbsolute(relative) || normal !== relative ||
    normal.startsWith('../') || normal === '..') {
    throw backupCorrupt(manifestFile, `file path ${JSON.stringify(relative)} leaves the backup`);
  }
}

/** The backup directory that holds the bytes of `entry`, for the backup in `dir`. */
export function holderOf(dir: string, entry: BackupFile): string {
  return entry.in === undefined ? dir : path.resolve(dir, entry.in);
}

/** Where the bytes of `entry` are, for the backup in `dir`. */
export function storedPathOf(dir: string, entry: BackupFile): string {
  return path.join(holderOf(dir, entry), BACKUP_DATA_DIR_NAME, ...entry.path.split('/'));
}
