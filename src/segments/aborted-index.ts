/**
 * The aborted-transaction index of one partition (Kafka's `.txnindex`, kept as one file per
 * partition): for every abort marker written while its producer had a transaction open on the
 * partition, the entry (producerId, firstOffset, lastOffset = the marker's offset). A
 * read_committed reader skips producer P's batches within [firstOffset, lastOffset].
 *
 * ```
 *  file `aborted-transactions.idx` in the partition directory
 *  0        4       6       8
 *  +--------+-------+-------+------------------------- entries, `ENTRY_SIZE_BYTES` each
 *  | magic  |version| flags |
 *  | "MBTX" | u16=1 | u16=0 |
 *  +--------+-------+-------+
 *  entry
 *  0            8             16            24        28
 *  +------------+-------------+-------------+---------+---------+
 *  | producerId | firstOffset | lastOffset  | zero    | crc32c  |  (CRC over bytes 0..27)
 *  | i64        | i64         | i64         | u32     | u32     |
 *  +------------+-------------+-------------+---------+---------+
 *  all integers big-endian; entries in ascending lastOffset order
 * ```
 *
 * Invariants:
 * - the file is replaced atomically and durably (atomic-file.ts) on every change, so a reader
 *   in any thread sees the old list or the new one, whole;
 * - an abort's entry is durable before its marker can be: the actor writes the entry in the
 *   same synchronous step as the marker's append, before flushing the log, so a marker on disk
 *   always has its entry (recovery still re-adds one found missing after the recovery point);
 * - no entry names a marker past the log end: recovery drops those (a marker lost with a torn
 *   tail), and retention drops entries whose marker went with its segment.
 *
 * Cost: aborts are rare and the file is rewritten whole on each; the writer keeps the entries
 * in memory (bounded by retention: entries below the log start are dropped). A reader that
 * finds no file (nothing ever aborted) pays one failed `stat`.
 */
import fs from 'node:fs';
import nodePath from 'node:path';
import { assert } from '../assert.js';
import { crc32c } from '../records/index.js';
import type { SegmentStorage } from './storage.js';
import type { AbortedTransaction } from './transaction-state.js';

export const ABORTED_INDEX_FILE_NAME = 'aborted-transactions.idx';
export const ABORTED_INDEX_MAGIC = 0x4d42_5458; // "MBTX"
export const ABORTED_INDEX_VERSION = 1;

const HEADER_MAGIC = 0;
const HEADER_VERSION = HEADER_MAGIC + 4;
const HEADER_FLAGS = HEADER_VERSION + 2;
export const ABORTED_INDEX_HEADER_SIZE_BYTES = HEADER_FLAGS + 2;

const ENTRY_PRODUCER_ID = 0;
const ENTRY_FIRST_OFFSET = ENTRY_PRODUCER_ID + 8;
const ENTRY_LAST_OFFSET = ENTRY_FIRST_OFFSET + 8;
const ENTRY_ZERO = ENTRY_LAST_OFFSET + 8;
const ENTRY_CRC = ENTRY_ZERO + 4;
export const ABORTED_ENTRY_SIZE_BYTES = ENTRY_CRC + 4;

assert(ABORTED_INDEX_HEADER_SIZE_BYTES === 8, 'aborted index header is 8 bytes');
assert(ABORTED_ENTRY_SIZE_BYTES === 32, 'aborted index entry is 32 bytes');

export function encodeAbortedIndex(entries: readonly AbortedTransaction[]): Uint8Array {
  const bytes = new Uint8Array(ABORTED_INDEX_HEADER_SIZE_BYTES +
    entries.length * ABORTED_ENTRY_SIZE_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(HEADER_MAGIC, ABORTED_INDEX_MAGIC);
  view.setUint16(HEADER_VERSION, ABORTED_INDEX_VERSION);
  view.setUint16(HEADER_FLAGS, 0);
  entries.forEach((entry, i) => {
    const at = ABORTED_INDEX_HEADER_SIZE_BYTES + i * ABORTED_ENTRY_SIZE_BYTES;
    view.setBigInt64(at + ENTRY_PRODUCER_ID, BigInt(entry.producerId));
    view.setBigInt64(at + ENTRY_FIRST_OFFSET, BigInt(entry.firstOffset));
    view.setBigInt64(at + ENTRY_LAST_OFFSET, BigInt(entry.lastOffset));
    view.setUint32(at + ENTRY_ZERO, 0);
    view.setUint32(at + ENTRY_CRC, crc32c(bytes.subarray(at, at + ENTRY_CRC)));
  });
  return bytes;
}

/**
 * The entries in `bytes`, up to the first that fails its check (a file is replaced whole, so
 * a bad entry means damage: what follows it is not trusted either). `problem` says why the
 * list stopped early, if it did.
 */
export function decodeAbortedIndex(bytes: Uint8Array):
  { entries: AbortedTransaction[]; problem: string | undefined } {
  const entries: AbortedTransaction[] = [];
  if (bytes.length < ABORTED_INDEX_HEADER_SIZE_BYTES) {
    return { entries, problem: `too short (${bytes.length} bytes)` };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(HEADER_MAGIC) !== ABORTED_INDEX_MAGIC) return { entries, problem: 'magic' };
  const version = view.getUint16(HEADER_VERSION);
  if (version !== ABORTED_INDEX_VERSION) return { entries, problem: `version ${version}` };
  let at = ABORTED_INDEX_HEADER_SIZE_BYTES;
  for (; at + ABORTED_ENTRY_SIZE_BYTES <= bytes.length; at += ABORTED_ENTRY_SIZE_BYTES) {
    if (crc32c(bytes.subarray(at, at + ENTRY_CRC)) !== view.getUint32(at + ENTRY_CRC)) {
      return { entries, problem: `entry at byte ${at} fails its checksum` };
    }
    entries.push({
      producerId: Number(view.getBigInt64(at + ENTRY_PRODUCER_ID)),
      firstOffset: Number(view.getBigInt64(at + ENTRY_FIRST_OFFSET)),
      lastOffset: Number(view.getBigInt64(at + ENTRY_LAST_OFFSET)),
    });
  }
  const problem = at === bytes.length ? undefined : `${bytes.length - at} trailing bytes`;
  return { entries, problem };
}

/** The aborted transactions in `entries` that overlap [fromOffset, toOffset). */
function overlapping(entries: readonly AbortedTransaction[], fromOffset: number,
  toOffset: number): AbortedTransaction[] {
  return entries.filter((entry) => entry.lastOffset >= fromOffset && entry.firstOffset < toOffset);
}

/** The writer's side: owned by the partition's log (one writer). */
export class AbortedIndex {
  private constructor(
    private readonly storage: SegmentStorage,
    readonly path: string,
    private entries: AbortedTransaction[],
  ) {}

  /**
   * Loads the index of the log in `dir`, keeping the entries whose marker lies in
   * [logStartOffset, logEndOffset); rewrites the file if that dropped any (a marker lost with
   * a torn tail, or damage). `log` hears what was dropped and why.
   */
  static open(storage: SegmentStorage, dir: string, logStartOffset: number,
    logEndOffset: number, log: (line: string) => void): AbortedIndex {
    const path = nodePath.join(dir, ABORTED_INDEX_FILE_NAME);
    const bytes = storage.readFile(path);
    if (bytes === undefined) return new AbortedIndex(storage, path, []);
    const decoded = decodeAbortedIndex(bytes);
    if (decoded.problem !== undefined) {
      log(`aborted-transaction index: ${decoded.problem}; entries after it are rebuilt`);
    }
    const kept = decoded.entries.filter((entry) =>
      entry.lastOffset >= logStartOffset && entry.lastOffset < logEndOffset);
    const index = new AbortedIndex(storage, path, kept);
    if (decoded.problem !== undefined || kept.length !== decoded.entries.length) index.write();
    return index;
  }

  get size(): number {
    return this.entries.length;
  }

  /** The last marker offset recorded, or -1. */
  get lastMarkerOffset(): number {
    return this.entries.length === 0 ? -1 : this.entries[this.entries.length - 1].lastOffset;
  }

  /** Adds an abort (durably, before returning); one already recorded is ignored. */
  add(entry: AbortedTransaction): void {
    // Markers take increasing offsets: one at or below the last is a replay of a known one.
    if (entry.lastOffset <= this.lastMarkerOffset) return;
    assert(entry.firstOffset <= entry.lastOffset, 'an aborted transaction ends at its marker');
    this.entries.push({ ...entry });
    this.write();
  }

  /** Drops the entries whose marker lies below `logStartOffset` (retention removed it). */
  dropBelow(logStartOffset: number): void {
    if (this.entries.length === 0 || this.entries[0].lastOffset >= logStartOffset) return;
    this.entries = this.entries.filter((entry) => entry.lastOffset >= logStartOffset);
    this.write();
  }

  /** The entries overlapping [fromOffset, toOffset), from memory (the writer's thread). */
  collect(fromOffset: number, toOffset: number): AbortedTransaction[] {
    return overlapping(this.entries, fromOffset, toOffset);
  }

  private write(): void {
    this.storage.writeFileAtomic(this.path, encodeAbortedIndex(this.entries));
  }
}

/**
 * The whole aborted index of the log in `dir` through `storage` (the log cleaner's view, on
 * either storage): the entries before any damage, none when there is no file.
 */
export function readAbortedIndex(storage: SegmentStorage, dir: string): AbortedTransaction[] {
  const bytes = storage.readFile(nodePath.join(dir, ABORTED_INDEX_FILE_NAME));
  return bytes === undefined ? [] : decodeAbortedIndex(bytes).entries;
}

/**
 * Whether the transactional batch of `producerId` at `baseOffset` belongs to one of the
 * `aborted` transactions (Kafka's rule: a producer's batches from an aborted transaction's
 * first offset up to its abort marker).
 */
export function isAbortedBatch(aborted: readonly AbortedTransaction[], producerId: number,
  baseOffset: number): boolean {
  for (const entry of aborted) {
    if (entry.producerId === producerId && entry.firstOffset <= baseOffset &&
      baseOffset <= entry.lastOffset) {
      return true;
    }
  }
  return false;
}

interface CachedIndex {
  ino: number;
  sizeBytes: number;
  mtimeMs: number;
  entries: AbortedTransaction[];
}

/** The last list read per file, so a reader polling an unchanged index decodes nothing. */
const readerCache = new Map<string, CachedIndex>();
const readerCacheSizeMax = 1024;

/**
 * The aborted transactions of the partition in `partitionDir` that overlap [fromOffset,
 * toOffset): entries with `lastOffset >= fromOffset` and `firstOffset < toOffset`. Callable
 * from any thread (it reads the file, never the writer's memory); an empty list when nothing
 * was ever aborted there, at the cost of one `stat`. A damaged file yields the entries before
 * the damage (the writer repairs it on its next open).
 */
export function readAbortedTransactions(partitionDir: string, fromOffset: number,
  toOffset: number): AbortedTransaction[] {
  const path = nodePath.join(partitionDir, ABORTED_INDEX_FILE_NAME);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let cached = readerCache.get(path);
  if (cached === undefined || cached.ino !== stat.ino || cached.sizeBytes !== stat.size ||
    cached.mtimeMs !== stat.mtimeMs) {
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(path);
    } catch (error) {
      // Deleted between the stat and the read (the topic went): nothing to skip.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    cached = { ino: stat.ino, sizeBytes: stat.size, mtimeMs: stat.mtimeMs,
      entries: decodeAbortedIndex(bytes).entries };
    if (readerCache.size >= readerCacheSizeMax) readerCache.clear();
    readerCache.set(path, cached);
  }
  return overlapping(cached.entries, fromOffset, toOffset);
}
