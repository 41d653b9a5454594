/**
 * In-memory storage with fault injection (STYLE.md §13, after TigerBeetle's testing storage).
 *
 * Each file keeps two copies: `bytes`, what every mapping sees (the page cache), and `durable`,
 * what the disk holds. `sync` copies a range from the first to the second. `crash()` models a
 * power cut: every file falls back to its durable copy, optionally keeping a random prefix of
 * the bytes written since the last sync (a torn write) and flipping random bits in that
 * unflushed range. Directory operations and `writeFileAtomic` are durable at once (the real
 * storage makes them so with fsync). `capacityBytes` makes creation fail with `DISK_FULL`.
 */
import nodePath from 'node:path';
import { MambaError } from '../errors.js';
import type { MappedFile, PreparedFile, SegmentStorage } from './storage.js';

interface MemoryFile {
  bytes: Uint8Array;
  durable: Uint8Array;
}

export interface MemoryStorageOptions {
  /** Total bytes of files the fake disk holds before creation fails with `DISK_FULL`. */
  capacityBytes?: number;
  /** When false, `prepareFile` stays pending until `completePreparations()`. Default true. */
  prepareCompletesAtOnce?: boolean;
}

export interface CrashOptions {
  /**
   * What survives of the bytes written since the last sync: `'none'` (default, a power cut
   * after perfect writeback ordering of synced data only), `'all'` (a process crash: the page
   * cache survives), or `'randomPrefix'` (a torn write: a random-length prefix of each file's
   * unflushed range).
   */
  unflushed?: 'none' | 'all' | 'randomPrefix';
  /** Bits flipped at random in each file's unflushed range. Default 0. */
  bitFlipCount?: number;
  /** The randomness for the cut and the flips; tests pass a seeded generator. */
  random?: () => number;
}

export class MemoryStorage implements SegmentStorage {
  private readonly files = new Map<string, MemoryFile>();
  private readonly dirs = new Set<string>();
  private readonly pendingPreparations: (() => void)[] = [];
  capacityBytes: number;
  private readonly prepareCompletesAtOnce: boolean;

  constructor(options: MemoryStorageOptions = {}) {
    this.capacityBytes = options.capacityBytes ?? Number.POSITIVE_INFINITY;
    this.prepareCompletesAtOnce = options.prepareCompletesAtOnce ?? true;
  }

  /** Bytes held by all files. */
  usedBytes(): number {
    let total = 0;
    for (const file of this.files.values()) total += file.bytes.length;
    return total;
  }

  createFile(path: string, sizeBytes: number): void {
    const key = normalize(path);
    if (this.files.has(key)) {
      throw new MambaError('IO_ERROR', `create ${path} failed: file exists`, { detail: { path } });
    }
    this.reserve(path, sizeBytes);
    this.files.set(key, { bytes: new Uint8Array(sizeBytes), durable: new Uint8Array(sizeBytes) });
  }

  prepareFile(path: string, sizeBytes: number): PreparedFile {
    let state: 'pending' | 'ready' | 'failed' = 'pending';
    const complete = (): void => {
      try {
        this.createFile(path, sizeBytes);
        state = 'ready';
      } catch {
        state = 'failed';
      }
    };
    if (this.prepareCompletesAtOnce) complete();
    else this.pendingPreparations.push(complete);
    return { path, state: () => state };
  }

  /** Finishes every background preparation started while `prepareCompletesAtOnce` is false. */
  completePreparations(): void {
    for (const complete of this.pendingPreparations.splice(0)) complete();
  }

  mapReadWrite(path: string): MappedFile {
    const file = this.file(path);
    return {
      bytes: file.bytes,
      sync(start: number, end: number): void {
        if (end > start) file.durable.set(file.bytes.subarray(start, end), start);
      },
      evict(): void {},
      close(): void {},
      syncAsync(): Promise<void> {
        file.durable.set(file.bytes);
        return Promise.resolve();
      },
    };
  }

  mapReadOnly(path: string): Uint8Array {
    return this.file(path).bytes;
  }

  list(dir: string): string[] {
    const key = normalize(dir);
    const names: string[] = [];
    for (const path of this.files.keys()) {
      if (nodePath.dirname(path) === key) names.push(nodePath.basename(path));
    }
    return names.sort();
  }

  exists(path: string): boolean {
    const key = normalize(path);
    return this.files.has(key) || this.dirs.has(key);
  }

  mkdir(dir: string): void {
    this.dirs.add(normalize(dir));
  }

  unlink(path: string): void {
    this.files.delete(normalize(path));
  }

  rename(fromPath: string, toPath: string): void {
    const file = this.file(fromPath);
    this.files.delete(normalize(fromPath));
    this.files.set(normalize(toPath), file);
  }

  syncDirectory(): void {
    // Directory entries are durable at once here.
  }

  writeFileAtomic(path: string, bytes: Uint8Array): void {
    const key = normalize(path);
    // The new content goes to a temp file first, beside the old one until the rename: a full
    // disk refuses it even when it is no larger than the file it replaces.
    this.reserve(path, bytes.length);
    this.files.set(key, { bytes: bytes.slice(), durable: bytes.slice() });
  }

  readFile(path: string): Uint8Array | undefined {
    return this.files.get(normalize(path))?.bytes.slice();
  }

  /**
   * A power cut (see `CrashOptions`). Mappings handed out before stay usable but no longer
   * reach the files: a crashed writer's objects must be dropped, as they would be with the
   * process.
   */
  crash(options: CrashOptions = {}): void {
    const random = options.random ?? Math.random;
    const unflushed = options.unflushed ?? 'none';
    for (const [path, file] of this.files) {
      const next = file.durable.slice();
      const [first, last] = differingRange(file.bytes, file.durable);
      if (first >= 0) {
        let keepEnd = first;
        if (unflushed === 'all') keepEnd = last + 1;
        if (unflushed === 'randomPrefix') {
          keepEnd = first + Math.floor(random() * (last + 2 - first));
        }
        next.set(file.bytes.subarray(first, keepEnd), first);
        for (let flip = 0; flip < (options.bitFlipCount ?? 0); flip += 1) {
          const position = first + Math.floor(random() * (last + 1 - first));
          next[position] ^= 1 << Math.floor(random() * 8);
        }
      }
      this.files.set(path, { bytes: next, durable: next.slice() });
    }
    // A preparation in flight dies with the power.
    this.pendingPreparations.length = 0;
  }

  private file(path: string): MemoryFile {
    const file = this.files.get(normalize(path));
    if (file === undefined) {
      throw new MambaError('IO_ERROR', `${path}: no such file`, { detail: { path } });
    }
    return file;
  }

  private reserve(path: string, sizeBytes: number): void {
    if (this.usedBytes() + sizeBytes > this.capacityBytes) {
      throw new MambaError('DISK_FULL', `disk full: create ${path}`, {
        detail: { path, sizeBytes, capacityBytes: this.capacityBytes },
      });
    }
  }
}

function normalize(path: string): string {
  return nodePath.resolve(path);
}

/** The first and last index where the two arrays differ, or [-1, -1]. */
function differingRange(a: Uint8Array, b: Uint8Array): [number, number] {
  let first = 0;
  while (first < a.length && a[first] === b[first]) first += 1;
  if (first === a.length) return [-1, -1];
  let last = a.length - 1;
  while (a[last] === b[last]) last -= 1;
  return [first, last];
}
