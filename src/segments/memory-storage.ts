/**
 * In-memory storage with fault injection (STYLE.md §13, after TigerBeetle's testing storage).
 *
 * It models a disk the way the durability contract in storage.ts describes one:
 * - a file (an inode) has two copies of its bytes: `bytes`, what every mapping and reader sees
 *   (the page cache), and `durable`, what the disk holds. `sync` on a mapping copies a range
 *   from the first to the second, `sync` on an append file copies all of it;
 * - names live in two namespaces: `names`, what listing and opening see, and `durableNames`,
 *   what the disk's directories hold. `syncDirectory` copies a directory's entries from the
 *   first to the second. A created, renamed or unlinked name that no directory sync covered is
 *   undone by a power cut. Directories themselves are durable at once (`mkdir`).
 *
 * `crash()` models a power cut: every durable name comes back pointing at its inode, and each
 * inode falls back to its durable copy, optionally keeping a random prefix of the bytes written
 * since its last sync (a torn write) and flipping random bits in that unflushed range.
 * `cutPowerAfter(n)` arms a cut that happens at the n-th write-like call from now (that call
 * fails, as does every call until `powerOn()`), so a test can cut the power in the middle of any
 * sequence of steps, synchronous or not. `capacityBytes` makes writes fail with `DISK_FULL`.
 */
import nodePath from 'node:path';
import { assertNever } from '../assert.js';
import { MambaError } from '../errors.js';
import { atomicReplacePlan, runPlan, runPlanAsync, type FileStep } from './atomic-file.js';
import type {
  AppendFile, MappedFile, PreparedFile, PreparedFileState, SegmentStorage,
} from './storage.js';

interface Inode {
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
   * cache and every name survive, and nothing more becomes durable than was), or
   * `'randomPrefix'` (a torn write: a random-length prefix of each file's unflushed range).
   */
  unflushed?: 'none' | 'all' | 'randomPrefix';
  /** Bits flipped at random in each file's unflushed range. Default 0. */
  bitFlipCount?: number;
  /** The randomness for the cut and the flips; tests pass a seeded generator. */
  random?: () => number;
}

export class MemoryStorage implements SegmentStorage {
  private names = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();
  private readonly dirs = new Set<string>();
  private readonly pendingPreparations: (() => void)[] = [];
  capacityBytes: number;
  private readonly prepareCompletesAtOnce: boolean;
  /** Write-like calls left before an armed power cut; undefined when none is armed. */
  private callsBeforeCut: number | undefined;
  private cutOptions: CrashOptions = {};
  private powerIsOff = false;

  constructor(options: MemoryStorageOptions = {}) {
    this.capacityBytes = options.capacityBytes ?? Number.POSITIVE_INFINITY;
    this.prepareCompletesAtOnce = options.prepareCompletesAtOnce ?? true;
  }

  /** Bytes held by all files. */
  usedBytes(): number {
    let total = 0;
    for (const file of this.names.values()) total += file.bytes.length;
    return total;
  }

  /**
   * Arms a power cut at the `callCount`-th write-like call from now (1: the next one): that
   * call does nothing and throws `IO_ERROR`, `crash(options)` runs, and every later call throws
   * until `powerOn()`.
   */
  cutPowerAfter(callCount: number, options: CrashOptions = {}): void {
    this.callsBeforeCut = callCount;
    this.cutOptions = options;
  }

  /** Whether an armed cut happened. */
  get powerOff(): boolean {
    return this.powerIsOff;
  }

  /** Power back on after a cut: the disk is as `crash()` left it. */
  powerOn(): void {
    this.powerIsOff = false;
    this.callsBeforeCut = undefined;
  }

  createFile(path: string, sizeBytes: number): void {
    this.writeCall(path);
    const key = normalize(path);
    if (this.names.has(key)) {
      throw new MambaError('IO_ERROR', `create ${path} failed: file exists`, { detail: { path } });
    }
    this.reserve(path, sizeBytes);
    this.names.set(key, { bytes: new Uint8Array(sizeBytes), durable: new Uint8Array(sizeBytes) });
  }

  prepareFile(path: string, sizeBytes: number): PreparedFile {
    let state: PreparedFileState = 'pending';
    let settle!: (state: PreparedFileState) => void;
    const settled = new Promise<PreparedFileState>((resolve) => { settle = resolve; });
    const complete = (): void => {
      try {
        this.createFile(path, sizeBytes);
        state = 'ready';
      } catch {
        state = 'failed';
      }
      settle(state);
    };
    if (this.prepareCompletesAtOnce) complete();
    else this.pendingPreparations.push(complete);
    return { path, state: () => state, settled };
  }

  /** Finishes every background preparation started while `prepareCompletesAtOnce` is false. */
  completePreparations(): void {
    for (const complete of this.pendingPreparations.splice(0)) complete();
  }

  mapReadWrite(path: string): MappedFile {
    this.readCall(path);
    const file = this.file(path);
    return {
      bytes: file.bytes,
      sync: (start: number, end: number): void => {
        this.writeCall(path);
        if (end > start) file.durable.set(file.bytes.subarray(start, end), start);
      },
      evict: (): void => {},
      close: (): void => {},
      // Like fdatasync, it writes back what was dirty when it was called.
      syncAsync: (): Promise<void> => {
        try {
          this.writeCall(path);
        } catch (error) {
          return Promise.reject(error);
        }
        file.durable.set(file.bytes);
        return Promise.resolve();
      },
    };
  }

  mapReadOnly(path: string): Uint8Array {
    this.readCall(path);
    return this.file(path).bytes;
  }

  list(dir: string): string[] {
    this.readCall(dir);
    const key = normalize(dir);
    const names: string[] = [];
    for (const path of this.names.keys()) {
      if (nodePath.dirname(path) === key) names.push(nodePath.basename(path));
    }
    return names.sort();
  }

  exists(path: string): boolean {
    this.readCall(path);
    const key = normalize(path);
    return this.names.has(key) || this.dirs.has(key);
  }

  mkdir(dir: string): void {
    this.writeCall(dir);
    this.dirs.add(normalize(dir));
  }

  unlink(path: string): void {
    this.writeCall(path);
    this.names.delete(normalize(path));
  }

  rename(fromPath: string, toPath: string): void {
    this.writeCall(fromPath);
    const file = this.file(fromPath);
    this.names.delete(normalize(fromPath));
    this.names.set(normalize(toPath), file);
  }

  syncDirectory(dir: string): void {
    this.writeCall(dir);
    const key = normalize(dir);
    for (const path of [...this.durableNames.keys()]) {
      if (nodePath.dirname(path) === key) this.durableNames.delete(path);
    }
    for (const [path, file] of this.names) {
      if (nodePath.dirname(path) === key) this.durableNames.set(path, file);
    }
  }

  writeFileAtomic(path: string, bytes: Uint8Array): void {
    runPlan(atomicReplacePlan(path, bytes), (step) => this.runStep(step));
  }

  writeFileAtomicAsync(path: string, bytes: Uint8Array): Promise<void> {
    return runPlanAsync(atomicReplacePlan(path, bytes),
      (step) => this.later(() => this.runStep(step)));
  }

  syncDirectoryAsync(dir: string): Promise<void> {
    return this.later(() => this.syncDirectory(dir));
  }

  readFile(path: string): Uint8Array | undefined {
    this.readCall(path);
    return this.names.get(normalize(path))?.bytes.slice();
  }

  openAppendFile(path: string): Promise<AppendFile> {
    return this.later(() => {
      this.readCall(path);
      return new MemoryAppendFile(this, path, this.file(path));
    });
  }

  /**
   * A power cut now (see `CrashOptions`). Mappings and append files handed out before stay
   * usable but no longer reach the files: a crashed writer's objects must be dropped, as they
   * would be with the process.
   */
  crash(options: CrashOptions = {}): void {
    // A process crash (`unflushed: 'all'`) keeps what the kernel holds, names included, and
    // makes nothing more durable than it was; a power cut keeps only what the disk holds.
    const processCrash = options.unflushed === 'all';
    const after = new Map<Inode, Inode>();
    const successor = (inode: Inode): Inode => {
      let next = after.get(inode);
      if (next === undefined) {
        const bytes = survivingBytes(inode, options);
        next = { bytes, durable: processCrash ? inode.durable.slice() : bytes.slice() };
        after.set(inode, next);
      }
      return next;
    };
    const durableNames = new Map<string, Inode>();
    for (const [path, inode] of this.durableNames) durableNames.set(path, successor(inode));
    const names = new Map<string, Inode>();
    for (const [path, inode] of processCrash ? this.names : this.durableNames) {
      names.set(path, successor(inode));
    }
    this.names = names;
    this.durableNames = durableNames;
    // A preparation in flight dies with the power.
    this.pendingPreparations.length = 0;
  }

  /** @internal One write-like call of an append file. */
  appendFileCall(path: string): void {
    this.writeCall(path);
  }

  /** @internal Reserves room on the fake disk, or throws `DISK_FULL`. */
  reserve(path: string, sizeBytes: number): void {
    if (this.usedBytes() + sizeBytes > this.capacityBytes) {
      throw new MambaError('DISK_FULL', `disk full: write ${path}`, {
        detail: { path, sizeBytes, capacityBytes: this.capacityBytes },
      });
    }
  }

  private runStep(step: FileStep): void {
    switch (step.kind) {
      case 'write-durable': {
        // Three calls, as on a disk, so that a cut can fall between them: open with O_TRUNC
        // (the length is cut at once), write (page cache), fsync (disk). The name is durable
        // only after a directory sync.
        this.writeCall(step.path);
        const key = normalize(step.path);
        let inode = this.names.get(key);
        this.reserve(step.path, step.bytes.length - (inode?.bytes.length ?? 0));
        if (inode === undefined) {
          inode = { bytes: new Uint8Array(0), durable: new Uint8Array(0) };
          this.names.set(key, inode);
        } else {
          inode.bytes = new Uint8Array(0);
        }
        this.writeCall(step.path);
        inode.bytes = step.bytes.slice();
        this.writeCall(step.path);
        inode.durable = step.bytes.slice();
        return;
      }
      case 'rename': return this.rename(step.fromPath, step.toPath);
      case 'sync-directory': return this.syncDirectory(step.dir);
      case 'remove': return this.unlink(step.path);
      default: return assertNever(step);
    }
  }

  /** Runs `call` on a later turn, as real I/O completes, so that callers interleave. */
  private later<T>(call: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(call());
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  private writeCall(path: string): void {
    this.readCall(path);
    if (this.callsBeforeCut === undefined) return;
    this.callsBeforeCut -= 1;
    if (this.callsBeforeCut > 0) return;
    this.callsBeforeCut = undefined;
    this.crash(this.cutOptions);
    this.powerIsOff = true;
    throw powerCut(path);
  }

  private readCall(path: string): void {
    if (this.powerIsOff) throw powerCut(path);
  }

  private file(path: string): Inode {
    const file = this.names.get(normalize(path));
    if (file === undefined) {
      throw new MambaError('IO_ERROR', `${path}: no such file`, { detail: { path } });
    }
    return file;
  }
}

/** An offset log in memory: appends grow the page-cache copy; `sync` makes it all durable. */
class MemoryAppendFile implements AppendFile {
  constructor(
    private readonly storage: MemoryStorage,
    readonly path: string,
    private readonly inode: Inode,
  ) {}

  get sizeBytes(): number {
    return this.inode.bytes.length;
  }

  append(bytes: Uint8Array): Promise<void> {
    return this.later(() => {
      this.storage.reserve(this.path, bytes.length);
      const grown = new Uint8Array(this.inode.bytes.length + bytes.length);
      grown.set(this.inode.bytes);
      grown.set(bytes, this.inode.bytes.length);
      this.inode.bytes = grown;
    });
  }

  sync(): Promise<void> {
    return this.later(() => {
      this.inode.durable = this.inode.bytes.slice();
    });
  }

  truncate(sizeBytes: number): Promise<void> {
    return this.later(() => {
      this.inode.bytes = this.inode.bytes.slice(0, sizeBytes);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private later(call: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        try {
          this.storage.appendFileCall(this.path);
          call();
          resolve();
        } catch (error) {
          reject(error);
        }
      });
    });
  }
}

function powerCut(path: string): MambaError {
  return new MambaError('IO_ERROR', `${path}: the power is off`, { detail: { path } });
}

function normalize(path: string): string {
  return nodePath.resolve(path);
}

/** What a power cut leaves of an inode: its durable bytes, plus what `options` lets survive. */
function survivingBytes(inode: Inode, options: CrashOptions): Uint8Array {
  const { bytes, durable } = inode;
  const [first, last] = differingRange(bytes, durable);
  if (first < 0) return durable.slice();
  const random = options.random ?? Math.random;
  let result: Uint8Array;
  if (options.unflushed === 'all') {
    result = bytes.slice(); // the page cache outlived the process, truncations included
  } else {
    let keepEnd = first;
    if (options.unflushed === 'randomPrefix') {
      keepEnd = first + Math.floor(random() * (last + 2 - first));
    }
    keepEnd = Math.min(keepEnd, bytes.length);
    result = new Uint8Array(Math.max(durable.length, keepEnd));
    result.set(durable);
    if (keepEnd > first) result.set(bytes.subarray(first, keepEnd), first);
  }
  const flipEnd = Math.min(last + 1, result.length);
  for (let flip = 0; flip < (options.bitFlipCount ?? 0) && flipEnd > first; flip += 1) {
    const position = first + Math.floor(random() * (flipEnd - first));
    result[position] ^= 1 << Math.floor(random() * 8);
  }
  return result;
}

/**
 * The first and last index where the two arrays differ, or [-1, -1]; an index past the end of
 * the shorter one counts as differing.
 */
function differingRange(a: Uint8Array, b: Uint8Array): [number, number] {
  const common = Math.min(a.length, b.length);
  let first = 0;
  while (first < common && a[first] === b[first]) first += 1;
  if (first === common && a.length === b.length) return [-1, -1];
  let last = Math.max(a.length, b.length) - 1;
  if (a.length === b.length) {
    while (a[last] === b[last]) last -= 1;
  }
  return [first, last];
}
