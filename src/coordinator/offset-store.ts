/**
 * Committed offsets per (group, topic, partition), durable on disk.
 *
 * One append-only log per group under `<dataDir>/__groups/` (layout: offset-log-layout.ts).
 * Why a log and not a file rewritten per commit: a commit then writes only the entries it
 * changes (tens of bytes) with one `write` + `fdatasync`, instead of rewriting the whole group
 * table with write + fsync + rename + fsync of the directory; concurrent commits of one group
 * share that one `fdatasync` (group commit, DESIGN.md §5: ~1.5 ms each); and a torn write can
 * only cost the records after the tear, which recovery drops, leaving an earlier good state.
 * The log is kept bounded by rewriting it as a snapshot (the storage's one atomic replace:
 * temp, fsync, rename, fsync dir) when it outgrows both `offsetLogCompactBytes` and twice its
 * snapshot, and on open after a tear. Every file operation goes through the storage boundary
 * (segments/storage.ts), so the seeded power-cut suite runs against this format too.
 *
 * Invariants:
 * 1. `committed()` answers only what is durable: memory is updated after the `fdatasync`.
 * 2. The bytes on disk are always a valid header and group record followed by whole records,
 *    plus at most one torn tail; a failed append is cut off before the next one is written.
 * 3. One queue per group serializes its appends, compactions and deletion.
 *
 * Recovery, per file, on open:
 * | file state                                     | outcome                                 |
 * | ---------------------------------------------- | --------------------------------------- |
 * | header bad, or first record not a valid GROUP  | renamed `.corrupt`, reported, no state  |
 * | every record valid                             | state restored, appends continue        |
 * | valid prefix, then a bad record (tear, bit rot) | prefix state kept, lost bytes reported, |
 * |                                                | file rewritten as a snapshot            |
 * | leftover `.tmp` from an interrupted snapshot   | deleted (the rename never happened)     |
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { assert } from '../assert.js';
import {
  commitEntryCountMax, groupIdLengthMax, offsetLogCompactBytes, offsetLogSizeBytesMax,
  offsetMetadataBytesMax, topicNameLengthMax,
} from '../constants.js';
import { MambaError, closed, invalidConfig } from '../errors.js';
import {
  MmapStorage, TEMP_SUFFIX, type AppendFile, type SegmentStorage,
} from '../segments/index.js';
import {
  FILE_HEADER_SIZE_BYTES, RecordType, checkFileHeader, decodeRecord, encodeFileHeader,
  encodeRecord,
} from './offset-log-layout.js';
import type { OffsetEntry, OffsetLogRecord } from './offset-log-layout.js';

export type { OffsetEntry } from './offset-log-layout.js';

export const GROUPS_DIR_NAME = '__groups';
const LOG_SUFFIX = '.offsets';
const CORRUPT_SUFFIX = '.corrupt';

/** What recovery found in one file that was not a clean log. */
export interface OffsetLogRecovery {
  path: string;
  groupId: string | undefined;
  /** Bytes of the file that were valid and kept. */
  validBytes: number;
  fileBytes: number;
  reason: string;
}

export interface OffsetStoreOptions {
  /** The log size past which a group's log is rewritten as a snapshot (default 1 MiB). */
  compactBytes?: number;
  /** Where the files live; tests pass a fault-injecting `MemoryStorage`. */
  storage?: SegmentStorage;
}

/** A committed position and what the committer stored with it ('' for nothing). */
interface Committed {
  offset: number;
  metadata: string;
}

type Offsets = Map<string, Map<number, Committed>>;

interface PendingCommit {
  bytes: Uint8Array;
  entries: OffsetEntry[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

type Operation =
  | { kind: 'commit'; commit: PendingCommit }
  | { kind: 'control'; run: () => Promise<void>; resolve: () => void;
      reject: (e: unknown) => void };

class GroupLog {
  readonly offsets: Offsets = new Map();
  handle: AppendFile | undefined;
  /** Set when an append failed and could not be cut off; the group refuses writes. */
  broken: Error | undefined;
  deleted = false;
  readonly queue: Operation[] = [];
  running = false;

  constructor(readonly groupId: string, readonly filePath: string) {}
}

export class OffsetStore {
  readonly recovery: readonly OffsetLogRecovery[];
  private readonly logs = new Map<string, GroupLog>();
  private readonly creating = new Map<string, Promise<GroupLog>>();
  private isClosed = false;

  private constructor(
    readonly directory: string,
    recovery: OffsetLogRecovery[],
    private readonly compactBytes: number,
    private readonly storage: SegmentStorage,
  ) {
    this.recovery = recovery;
  }

  /** Opens (creating if needed) `<dataDir>/__groups/` and recovers every group's log. */
  static async open(dataDir: string, options: OffsetStoreOptions = {}): Promise<OffsetStore> {
    if (typeof dataDir !== 'string' || dataDir === '') {
      throw invalidConfig('dataDir', dataDir, 'a non-empty path');
    }
    const compactBytes = options.compactBytes ?? offsetLogCompactBytes;
    if (!Number.isInteger(compactBytes) || compactBytes < 1024
      || compactBytes > offsetLogSizeBytesMax / 4) {
      throw invalidConfig('options.compactBytes', compactBytes,
        `an integer from 1024 to ${offsetLogSizeBytesMax / 4}`);
    }
    const storage = options.storage ?? new MmapStorage();
    const directory = path.join(dataDir, GROUPS_DIR_NAME);
    storage.mkdir(directory);
    const recovery: OffsetLogRecovery[] = [];
    const store = new OffsetStore(directory, recovery, compactBytes, storage);
    for (const name of storage.list(directory).sort()) {
      const filePath = path.join(directory, name);
      if (name.endsWith(TEMP_SUFFIX)) storage.unlink(filePath);
      else if (name.endsWith(LOG_SUFFIX)) await store.recoverFile(filePath, recovery);
    }
    await storage.syncDirectoryAsync(directory);
    return store;
  }

  /** The committed offset (the next record to read), if the group committed one. */
  committed(groupId: string, topic: string, partition: number): number | undefined {
    return this.logs.get(groupId)?.offsets.get(topic)?.get(partition)?.offset;
  }

  /** The committed entry (offset and metadata), if the group committed one. */
  committedEntry(groupId: string, topic: string, partition: number): OffsetEntry | undefined {
    const committed = this.logs.get(groupId)?.offsets.get(topic)?.get(partition);
    return committed === undefined ? undefined : entryOf(topic, partition, committed);
  }

  /** Every committed offset of a group, sorted by topic then partition. */
  committedOffsets(groupId: string): OffsetEntry[] {
    const result: OffsetEntry[] = [];
    const offsets = this.logs.get(groupId)?.offsets;
    if (offsets === undefined) return result;
    for (const topic of [...offsets.keys()].sort()) {
      const partitions = offsets.get(topic)!;
      for (const partition of [...partitions.keys()].sort((a, b) => a - b)) {
        result.push(entryOf(topic, partition, partitions.get(partition)!));
      }
    }
    return result;
  }

  groups(): string[] {
    return [...this.logs.keys()].sort();
  }

  /** Makes the entries durable as one record; resolves after `fdatasync`. */
  async commit(groupId: string, entries: readonly OffsetEntry[]): Promise<void> {
    this.checkOpen();
    checkGroupId(groupId);
    checkEntries(entries);
    if (entries.length === 0) return;
    const copied = entries.map((e) => ({
      topic: e.topic, partition: e.partition, offset: e.offset, metadata: e.metadata ?? '',
    }));
    const bytes = encodeRecord({ type: RecordType.COMMIT, entries: copied });
    const log = await this.logFor(groupId);
    await new Promise<void>((resolve, reject) => {
      this.enqueue(log, { kind: 'commit', commit: { bytes, entries: copied, resolve, reject } });
    });
  }

  /** Forgets a group: its file is unlinked and the directory synced. */
  async deleteGroup(groupId: string): Promise<void> {
    this.checkOpen();
    await this.creating.get(groupId)?.catch(() => undefined);
    const log = this.logs.get(groupId);
    if (log === undefined) return;
    await this.control(log, async () => {
      this.logs.delete(groupId);
      log.deleted = true;
      await log.handle?.close();
      log.handle = undefined;
      this.storage.unlink(log.filePath);
      await this.storage.syncDirectoryAsync(this.directory);
    });
  }

  /** Forgets a topic's offsets in every group that committed some. */
  async deleteTopic(topic: string): Promise<void> {
    this.checkOpen();
    // Commits still queued (or waiting for their group's file) are not in `offsets` yet, and
    // would land after the deletion, onto a topic created again under the name: every log
    // gets the deletion, queued behind them.
    await Promise.all([...this.creating.values()].map((p) => p.catch(() => undefined)));
    const affected = [...this.logs.values()].filter((log) => log.offsets.has(topic) ||
      log.queue.length > 0 || log.running);
    const bytes = encodeRecord({ type: RecordType.DELETE_TOPIC, topic });
    await Promise.all(affected.map((log) => this.control(log, async () => {
      await this.append(log, bytes);
      log.offsets.delete(topic);
    })));
  }

  /** Waits for every queued write, then closes the files. Later calls fail `BROKER_CLOSED`. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    await Promise.allSettled([...this.creating.values()]);
    this.isClosed = true;
    await Promise.allSettled([...this.logs.values()].map((log) => this.control(log, async () => {
      await log.handle?.close();
      log.handle = undefined;
    }, true)));
    this.logs.clear();
  }

  private checkOpen(): void {
    if (this.isClosed) throw closed('BROKER_CLOSED', 'offset store');
  }

  private async logFor(groupId: string): Promise<GroupLog> {
    const existing = this.logs.get(groupId);
    if (existing !== undefined) return existing;
    let creating = this.creating.get(groupId);
    if (creating === undefined) {
      creating = this.createLog(groupId).finally(() => this.creating.delete(groupId));
      this.creating.set(groupId, creating);
    }
    return creating;
  }

  private async createLog(groupId: string): Promise<GroupLog> {
    const log = new GroupLog(groupId, path.join(this.directory, fileNameFor(groupId)));
    await this.writeSnapshot(log);
    this.logs.set(groupId, log);
    return log;
  }

  private control(log: GroupLog, run: () => Promise<void>, evenIfClosed = false): Promise<void> {
    if (!evenIfClosed) this.checkOpen();
    return new Promise((resolve, reject) => {
      this.enqueue(log, { kind: 'control', run, resolve, reject });
    });
  }

  private enqueue(log: GroupLog, operation: Operation): void {
    log.queue.push(operation);
    if (!log.running) void this.drain(log);
  }

  /** Runs a group's operations in order; consecutive commits share one write and one sync. */
  private async drain(log: GroupLog): Promise<void> {
    assert(!log.running, 'one drain per group');
    log.running = true;
    while (log.queue.length > 0) {
      const head = log.queue[0];
      if (head.kind === 'control') {
        log.queue.shift();
        await head.run().then(head.resolve, head.reject);
        continue;
      }
      const batch: PendingCommit[] = [];
      while (log.queue.length > 0 && log.queue[0].kind === 'commit' && batch.length < 1024) {
        batch.push((log.queue.shift() as { commit: PendingCommit }).commit);
      }
      await this.writeCommits(log, batch);
    }
    log.running = false;
  }

  private async writeCommits(log: GroupLog, batch: PendingCommit[]): Promise<void> {
    try {
      await this.append(log, concat(batch.map((c) => c.bytes)));
    } catch (error) {
      for (const commit of batch) commit.reject(error);
      return;
    }
    for (const commit of batch) applyEntries(log.offsets, commit.entries);
    for (const commit of batch) commit.resolve();
    const sizeBytes = log.handle?.sizeBytes ?? 0;
    if (sizeBytes > this.compactBytes && sizeBytes > 2 * snapshotSizeBytes(log)) {
      // The commits are durable already; a failed compaction leaves the longer log in place
      // (the old handle is replaced only after the replace) and is tried again next time.
      await this.writeSnapshot(log).catch(() => undefined);
    }
  }

  private async append(log: GroupLog, bytes: Uint8Array): Promise<void> {
    if (log.deleted) throw new MambaError('ILLEGAL_STATE', `group ${log.groupId} was deleted`);
    if (log.broken !== undefined || log.handle === undefined) throw ioError(log, log.broken);
    const handle = log.handle;
    const before = handle.sizeBytes;
    try {
      await handle.append(bytes);
      await handle.sync();
    } catch (error) {
      // Cut off whatever part of the append reached the file, so that the next append does
      // not land after a torn record (invariant 2). If that fails too, refuse writes.
      await handle.truncate(before).catch((e: Error) => { log.broken = e; });
      throw ioError(log, error);
    }
  }

  /** Replaces the group's file by a snapshot of its state (the storage's atomic replace). */
  private async writeSnapshot(log: GroupLog): Promise<void> {
    await this.storage.writeFileAtomicAsync(log.filePath, snapshotRecords(log));
    // From here the old handle writes to an unlinked file: switch before anything can fail
    // quietly, and refuse further writes if the new file cannot be opened.
    const previous = log.handle;
    log.handle = undefined;
    await previous?.close().catch(() => undefined);
    try {
      log.handle = await this.storage.openAppendFile(log.filePath);
    } catch (error) {
      log.broken = error as Error;
      throw error;
    }
  }

  private async recoverFile(filePath: string, report: OffsetLogRecovery[]): Promise<void> {
    const handle = await this.storage.openAppendFile(filePath);
    const fileBytes = handle.sizeBytes;
    const setAside = async (reason: string) => {
      await handle.close();
      report.push({ path: filePath, groupId: undefined, validBytes: 0, fileBytes, reason });
      this.storage.rename(filePath, filePath + CORRUPT_SUFFIX);
    };
    if (fileBytes > offsetLogSizeBytesMax) {
      await setAside('file larger than the limit');
      return;
    }
    const parsed = parseLog(this.storage.readFile(filePath) ?? new Uint8Array(0));
    if (parsed.groupId === undefined) {
      await setAside(parsed.reason!);
      return;
    }
    const log = new GroupLog(parsed.groupId, filePath);
    for (const [topic, partitions] of parsed.offsets) log.offsets.set(topic, partitions);
    assert(!this.logs.has(parsed.groupId), 'one file per group');
    log.handle = handle;
    if (parsed.reason !== undefined) {
      report.push({ path: filePath, groupId: parsed.groupId, validBytes: parsed.validBytes,
        fileBytes, reason: parsed.reason });
      await this.writeSnapshot(log);
    }
    this.logs.set(parsed.groupId, log);
  }
}

interface ParsedLog {
  groupId: string | undefined;
  offsets: Offsets;
  validBytes: number;
  /** Why parsing stopped before the end of the file; undefined for a clean log. */
  reason: string | undefined;
}

/** The longest valid prefix of a log, applied. Never throws on bad bytes. */
export function parseLog(bytes: Uint8Array): ParsedLog {
  const offsets: Offsets = new Map();
  const headerProblem = checkFileHeader(bytes);
  if (headerProblem !== undefined) {
    return { groupId: undefined, offsets, validBytes: 0, reason: headerProblem };
  }
  let position = FILE_HEADER_SIZE_BYTES;
  let groupId: string | undefined;
  while (position < bytes.byteLength) {
    const decoded = decodeRecord(bytes, position);
    if (!decoded.ok) return { groupId, offsets, validBytes: position, reason: decoded.reason };
    const problem = applyRecord(decoded.record, groupId, offsets);
    if (problem !== undefined) return { groupId, offsets, validBytes: position, reason: problem };
    if (decoded.record.type === RecordType.GROUP) groupId = decoded.record.groupId;
    position += decoded.sizeBytes;
  }
  const reason = groupId === undefined ? 'no group record' : undefined;
  return { groupId, offsets, validBytes: position, reason };
}

function applyRecord(
  record: OffsetLogRecord, groupId: string | undefined, offsets: Offsets,
): string | undefined {
  switch (record.type) {
    case RecordType.GROUP:
      return groupId === undefined ? undefined : 'a second group record';
    case RecordType.COMMIT:
      if (groupId === undefined) return 'a commit before the group record';
      applyEntries(offsets, record.entries);
      return undefined;
    case RecordType.DELETE_TOPIC:
      if (groupId === undefined) return 'a topic deletion before the group record';
      offsets.delete(record.topic);
      return undefined;
  }
}

function applyEntries(offsets: Offsets, entries: readonly OffsetEntry[]): void {
  for (const entry of entries) {
    let partitions = offsets.get(entry.topic);
    if (partitions === undefined) offsets.set(entry.topic, partitions = new Map());
    partitions.set(entry.partition, { offset: entry.offset, metadata: entry.metadata ?? '' });
  }
}

/** The entry as callers see it: `metadata` only when there is some. */
function entryOf(topic: string, partition: number, committed: Committed): OffsetEntry {
  return committed.metadata === '' ? { topic, partition, offset: committed.offset } :
    { topic, partition, offset: committed.offset, metadata: committed.metadata };
}

function snapshotRecords(log: GroupLog): Uint8Array {
  const entries: OffsetEntry[] = [];
  for (const [topic, partitions] of log.offsets) {
    for (const [partition, committed] of partitions) {
      entries.push(entryOf(topic, partition, committed));
    }
  }
  const parts = [
    encodeFileHeader(), encodeRecord({ type: RecordType.GROUP, groupId: log.groupId }),
  ];
  if (entries.length > 0) parts.push(encodeRecord({ type: RecordType.COMMIT, entries }));
  return concat(parts);
}

function snapshotSizeBytes(log: GroupLog): number {
  let size = FILE_HEADER_SIZE_BYTES + 64 + log.groupId.length * 3;
  for (const [topic, partitions] of log.offsets) {
    for (const committed of partitions.values()) {
      size += 16 + topic.length * 3 + committed.metadata.length * 3;
    }
  }
  return size;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let size = 0;
  for (const part of parts) size += part.byteLength;
  const bytes = new Uint8Array(size);
  let position = 0;
  for (const part of parts) {
    bytes.set(part, position);
    position += part.byteLength;
  }
  return bytes;
}

/** A readable, collision-free file name: a sanitized prefix and a hash of the whole id. */
function fileNameFor(groupId: string): string {
  const readable = groupId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  const hash = createHash('sha256').update(groupId).digest('hex').slice(0, 16);
  return `${readable}-${hash}${LOG_SUFFIX}`;
}

function ioError(log: GroupLog, cause: unknown): MambaError {
  const code = MambaError.is(cause, 'DISK_FULL') ? 'DISK_FULL' : 'IO_ERROR';
  return new MambaError(code, `writing offsets of group ${JSON.stringify(log.groupId)} failed`, {
    cause, detail: { groupId: log.groupId, path: log.filePath },
  });
}

export function checkGroupId(groupId: unknown): asserts groupId is string {
  if (typeof groupId !== 'string' || groupId.length === 0 || groupId.length > groupIdLengthMax) {
    throw invalidConfig('groupId', groupId, `a string of 1 to ${groupIdLengthMax} characters`);
  }
}

function checkEntries(entries: readonly OffsetEntry[]): void {
  if (!Array.isArray(entries) || entries.length > commitEntryCountMax) {
    throw invalidConfig('entries', entries?.length, `an array of at most ${commitEntryCountMax}`);
  }
  for (const entry of entries) {
    const { topic, partition, offset, metadata } = entry;
    if (typeof topic !== 'string' || topic.length === 0 || topic.length > topicNameLengthMax) {
      throw invalidConfig('entry.topic', topic, 'a topic name');
    }
    if (!Number.isInteger(partition) || partition < 0 || partition > 0xffff_ffff) {
      throw invalidConfig('entry.partition', partition, 'a non-negative integer');
    }
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new MambaError('OFFSET_OUT_OF_RANGE', `cannot commit offset ${offset}`, {
        detail: { topic, partition, offset },
      });
    }
    checkCommitMetadata({ topic, partition, metadata });
  }
}

/**
 * Commit metadata is absent (undefined or null) or a string of at most
 * `offsetMetadataBytesMax` bytes of UTF-8; anything else is OFFSET_METADATA_TOO_LARGE (Kafka's
 * code for it, as its broker answers).
 */
export function checkCommitMetadata(
  entry: { topic: string; partition: number; metadata?: unknown },
): void {
  const { metadata } = entry;
  if (metadata === undefined || metadata === null) return;
  if (typeof metadata !== 'string' || Buffer.byteLength(metadata) > offsetMetadataBytesMax) {
    throw new MambaError('OFFSET_METADATA_TOO_LARGE',
      `commit metadata is a string of at most ${offsetMetadataBytesMax} bytes`,
      { detail: { topic: entry.topic, partition: entry.partition } });
  }
}
