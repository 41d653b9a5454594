/**
 * An online backup of a data directory: a consistent snapshot taken while a broker may be
 * writing to it, without its lock and without writing a byte into it.
 *
 * Why the snapshot is consistent — the order of the reads is what makes it so:
 *
 * | # | what is read                      | why in this order                                  |
 * | - | --------------------------------- | -------------------------------------------------- |
 * | 1 | the topic manifest                | only topics it lists are taken                     |
 * | 2 | each group's offset log, cut to   | a committed offset is at most the high watermark   |
 * |   | its longest valid prefix          | then, and every record below it is in the segment  |
 * |   |                                   | files already, so step 3 reads it                  |
 * | 3 | per partition: the checkpoint,    | the checkpoint's recovery point is flushed data,   |
 * |   | the aborted-transaction index,    | which the segments read after it all hold; an      |
 * |   | then the segments, oldest first;  | abort's index entry is written before its marker,  |
 * |   | each cut after its last valid     | so the index covers the checkpoint's transaction   |
 * |   | batch (CRC-checked)               | state; a batch is copied only whole and CRC-valid, |
 * |   |                                   | so the copy is a prefix of the log, whatever the   |
 * |   |                                   | writer is doing meanwhile                          |
 *
 * Every batch written to a segment before the backup started (every acknowledged `acks: 1` or
 * `acks: 'all'` record) is complete in the page cache, so it is in the copy. A committed
 * offset past the copied log end cannot happen by this order; the broker that opens a restore
 * would move one back anyway (broker.ts, clampCommittedOffsets).
 *
 * A sealed segment (any but a partition's newest) that fails its checks before its end is
 * corruption: the backup fails with CORRUPT_LOG naming it, rather than keep a shorter log.
 * Segments retention deletes while the backup runs are skipped if they were the oldest.
 *
 * Incremental: sealed segments never change, so a sealed segment that the base backup holds
 * (same path, same length, itself sealed there) is named in the new manifest, not copied.
 * The backup is written in `<to>.partial-<id>` and renamed to `<to>` once whole and synced.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MambaError, fromIoError, invalidConfig } from '../errors.js';
import { GROUPS_DIR_NAME, parseLog } from '../coordinator/index.js';
import {
  ABORTED_INDEX_FILE_NAME, CHECKPOINT_FILE_NAME, segmentFileName,
} from '../segments/index.js';
import { MANIFEST_FILE_NAME, readManifest } from '../supervisor/index.js';
import {
  BACKUP_DATA_DIR_NAME, BACKUP_MANIFEST_FILE_NAME, encodeBackupManifest, newManifest,
  holderOf, readBackupManifest, sha256Hex,
  type BackupFile, type BackupManifest, type BackupPartition,
} from './backup-manifest.js';
import {
  directoriesUnder, namesIn, readIfPresent, syncDirectory, writeDurable,
} from './backup-files.js';
import { walkSegment } from './dump-segment.js';

export interface BackupOptions {
  /** A previous backup: sealed segments it holds are named, not copied again. */
  incrementalFrom?: string;
  /**
   * Per partition (`topic-partition`), an offset the snapshot must reach: a broker backing
   * itself up passes its durable offsets, and a snapshot short of one is a bug, not a backup.
   */
  requiredEndOffsets?: ReadonlyMap<string, number>;
}

export interface BackupReport {
  dir: string;
  id: string;
  /** Files the backup lists. */
  fileCount: number;
  /** Files it holds itself, and their bytes. */
  copiedFileCount: number;
  copiedBytes: number;
  /** Sealed segments (and their indexes) named from the base backup instead. */
  reusedFileCount: number;
  partitions: BackupPartition[];
  groups: string[];
  /** Offset logs left out because they were not readable as one (set aside by the broker). */
  skipped: string[];
}

type PartitionId = Omit<BackupPartition, 'endOffset' | 'logStartOffset'>;

const logSuffix = '.log';
const indexSuffix = '.index';

class BackupWriter {
  readonly manifest: BackupManifest;
  copiedBytes = 0;
  copiedFileCount = 0;
  reusedFileCount = 0;
  readonly skipped: string[] = [];

  constructor(
    id: string, readonly dataDir: string, readonly target: string, readonly work: string,
    readonly base: { dir: string; manifest: BackupManifest } | undefined,
  ) {
    this.manifest = newManifest(id, Date.now());
    if (base !== undefined) {
      const relativeBase = path.relative(target, base.dir);
      this.manifest.bases = [{ id: base.manifest.id, path: relativeBase },
        ...base.manifest.bases.map((b) => ({
          id: b.id, path: path.relative(target, path.resolve(base.dir, b.path)),
        }))];
    }
  }

  async store(relative: string, bytes: Uint8Array, extra: Partial<BackupFile> = {}):
    Promise<void> {
    await writeDurable(path.join(this.work, BACKUP_DATA_DIR_NAME, ...relative.split('/')), bytes);
    this.manifest.files.push({ path: relative, sizeBytes: bytes.length, sha256: sha256Hex(bytes),
      ...extra });
    this.copiedBytes += bytes.length;
    this.copiedFileCount += 1;
  }

  /**
   * The base backup's entry for a sealed file of this length of the same topic (not one
   * deleted and created again under its name), named from the new backup.
   */
  reusable(relative: string, fileSizeBytes: number, from: PartitionId): BackupFile | undefined {
    const basePartition = this.base?.manifest.partitions.find((p) => p.topic === from.topic &&
      p.partition === from.partition);
    if (basePartition === undefined || basePartition.topicUuid !== from.topicUuid ||
      from.topicUuid === undefined) {
      return undefined;
    }
    const entry = this.base?.manifest.files.find((f) => f.path === relative);
    if (entry === undefined || entry.sealed !== true) return undefined;
    if ((entry.fileSizeBytes ?? entry.sizeBytes) !== fileSizeBytes) return undefined;
    return { ...entry, in: path.relative(this.target, holderOf(this.base!.dir, entry)) };
  }
}

/** Takes a snapshot of `dataDir` into the new directory `toDir` (see the table above). */
export async function backupDataDir(dataDir: string, toDir: string,
  options: BackupOptions = {}): Promise<BackupReport> {
  const target = path.resolve(toDir);
  const source = path.resolve(dataDir);
  if (target === source || target.startsWith(source + path.sep)) {
    // A backup inside the directory it copies would be copied into the next one, and its
    // files would look like the broker's to whoever reads the directory.
    throw invalidConfig('backup target', target, `a directory outside ${source}`);
  }
  await checkTarget(target);
  const base = options.incrementalFrom === undefined ? undefined : {
    dir: path.resolve(options.incrementalFrom),
    manifest: readBackupManifest(path.resolve(options.incrementalFrom)),
  };
  const id = randomUUID();
  const work = `${target}.partial-${id}`;
  const writer = new BackupWriter(id, path.resolve(dataDir), target, work, base);
  try {
    await fs.mkdir(path.join(work, BACKUP_DATA_DIR_NAME), { recursive: true });
    const topics = await backupTopicManifest(writer);
    await backupGroups(writer);
    for (const topic of topics) {
      for (let partition = 0; partition < topic.partitions; partition++) {
        const taken = await backupPartition(writer,
          { topic: topic.name, topicUuid: topic.uuid, partition });
        const required = options.requiredEndOffsets?.get(`${topic.name}-${partition}`);
        if (required !== undefined && taken.endOffset < required) {
          throw new MambaError('ILLEGAL_STATE', `the snapshot of ${topic.name}-${partition} ` +
            `ends at ${taken.endOffset}, before its durable offset ${required}`);
        }
        writer.manifest.partitions.push(taken);
      }
    }
    await writeDurable(path.join(work, BACKUP_MANIFEST_FILE_NAME),
      Buffer.from(encodeBackupManifest(writer.manifest), 'utf8'));
    for (const dir of await directoriesUnder(work)) await syncDirectory(dir);
    await fs.rename(work, target);
    await syncDirectory(path.dirname(target));
  } catch (error) {
    await fs.rm(work, { recursive: true, force: true });
    throw fromIoError(error, `backing up ${dataDir} to ${target}`);
  }
  return {
    dir: target, id: writer.manifest.id, fileCount: writer.manifest.files.length,
    copiedFileCount: writer.copiedFileCount, copiedBytes: writer.copiedBytes,
    reusedFileCount: writer.reusedFileCount, partitions: writer.manifest.partitions,
    groups: writer.manifest.groups, skipped: writer.skipped,
  };
}

async function checkTarget(target: string): Promise<void> {
  const names = await namesIn(target);
  if (names.length > 0) {
    throw invalidConfig('backup target', target, 'a directory that does not exist or is empty');
  }
  await fs.rmdir(target).catch(() => undefined);
}

/** Step 1: the manifest's bytes as they are, checked by the manifest's own reader. */
async function backupTopicManifest(writer: BackupWriter):
  Promise<Array<{ name: string; uuid: string | undefined; partitions: number }>> {
  const bytes = await readIfPresent(path.join(writer.dataDir, MANIFEST_FILE_NAME));
  if (bytes === undefined) return [];
  await writer.store(MANIFEST_FILE_NAME, bytes);
  const body = readManifest(path.join(writer.work, BACKUP_DATA_DIR_NAME));
  return body.topics.map((t) => ({
    name: t.name, uuid: t.uuid, partitions: t.config.partitions,
  }));
}

/** Step 2: each group's offset log, cut after its last whole record. */
async function backupGroups(writer: BackupWriter): Promise<void> {
  const dir = path.join(writer.dataDir, GROUPS_DIR_NAME);
  for (const name of (await namesIn(dir)).sort()) {
    if (!name.endsWith('.offsets')) continue;
    const bytes = await readIfPresent(path.join(dir, name));
    if (bytes === undefined) continue; // deleted meanwhile
    const parsed = parseLog(bytes);
    if (parsed.groupId === undefined) {
      writer.skipped.push(`${GROUPS_DIR_NAME}/${name}: ${parsed.reason ?? 'unreadable'}`);
      continue;
    }
    await writer.store(`${GROUPS_DIR_NAME}/${name}`, bytes.subarray(0, parsed.validBytes));
    writer.manifest.groups.push(parsed.groupId);
  }
}

/** Step 3: the checkpoint, then every segment up to its last valid batch. */
async function backupPartition(writer: BackupWriter, which: PartitionId):
  Promise<BackupPartition> {
  const { topic, partition } = which;
  const relativeDir = `${topic}-${partition}`;
  const dir = path.join(writer.dataDir, relativeDir);
  const checkpoint = await readIfPresent(path.join(dir, CHECKPOINT_FILE_NAME));
  if (checkpoint !== undefined) {
    await writer.store(`${relativeDir}/${CHECKPOINT_FILE_NAME}`, checkpoint);
  }
  // After the checkpoint, before the segments: every abort whose marker lies below the
  // checkpoint's transaction state has its entry in the index by then (an entry is written
  // before its marker), and recovery re-adds the aborts it finds after that state; entries
  // past the copied log end are dropped when the restore opens.
  const aborted = await readIfPresent(path.join(dir, ABORTED_INDEX_FILE_NAME));
  if (aborted !== undefined) {
    await writer.store(`${relativeDir}/${ABORTED_INDEX_FILE_NAME}`, aborted);
  }
  const baseOffsets = (await namesIn(dir)).flatMap((name) => {
    const match = /^(\d{20})\.log$/.exec(name);
    return match === null ? [] : [Number(match[1])];
  }).sort((a, b) => a - b);
  let logStartOffset: number | undefined;
  let endOffset = 0;
  for (const [index, baseOffset] of baseOffsets.entries()) {
    const sealed = index < baseOffsets.length - 1;
    const taken = await backupSegment(writer, which, baseOffset, sealed);
    if (taken === undefined) {
      if (logStartOffset === undefined) continue; // retention deleted the oldest meanwhile
      throw new MambaError('IO_ERROR', `segment ${baseOffset} of ${relativeDir} vanished ` +
        'during the backup', { detail: { topic, partition, baseOffset } });
    }
    logStartOffset ??= baseOffset;
    endOffset = taken;
  }
  return { ...which, logStartOffset: logStartOffset ?? 0, endOffset };
}

/** Copies (or names) one segment and its index; returns the offset after its data. */
async function backupSegment(writer: BackupWriter, which: PartitionId, baseOffset: number,
  sealed: boolean): Promise<number | undefined> {
  const relativeDir = `${which.topic}-${which.partition}`;
  const logPath = `${relativeDir}/${segmentFileName(baseOffset, logSuffix)}`;
  const indexPath = `${relativeDir}/${segmentFileName(baseOffset, indexSuffix)}`;
  const absolute = path.join(writer.dataDir, ...logPath.split('/'));
  if (sealed) {
    const stat = await fs.stat(absolute).catch(() => undefined);
    const reused = stat === undefined ? undefined : writer.reusable(logPath, stat.size, which);
    const indexStat = await fs.stat(path.join(writer.dataDir, ...indexPath.split('/')))
      .catch(() => undefined);
    const reusedIndex = writer.reusable(indexPath, indexStat?.size ?? -1, which);
    if (reused !== undefined && reusedIndex !== undefined) {
      writer.manifest.files.push(reused, reusedIndex);
      writer.reusedFileCount += 2;
      return reused.endOffset ?? baseOffset;
    }
  }
  const bytes = await readIfPresent(absolute);
  if (bytes === undefined) return undefined;
  const end = walkSegment(bytes, baseOffset);
  if (sealed && end.stopVerdict !== 'zero' && end.stopVerdict !== 'end-of-file') {
    throw new MambaError('CORRUPT_LOG', `sealed segment ${absolute} has a damaged batch at ` +
      `byte ${end.stopBytePosition}; the backup stops rather than keep a shorter log`,
    { corruption: { path: absolute, bytePosition: end.stopBytePosition,
      reason: end.stopVerdict } });
  }
  await writer.store(logPath, bytes.subarray(0, end.endBytePosition),
    { fileSizeBytes: bytes.length, sealed, endOffset: end.nextOffset });
  if (sealed) {
    const index = await readIfPresent(path.join(writer.dataDir, ...indexPath.split('/')));
    // An index is rebuilt from its log when missing, so one deleted meanwhile is no loss.
    if (index !== undefined) await writer.store(indexPath, index, { sealed: true });
  }
  return end.nextOffset;
}
