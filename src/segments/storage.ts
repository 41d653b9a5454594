/**
 * The storage boundary of the segment log (STYLE.md §13): everything the log does to files goes
 * through this interface, so that the same log code runs on real memory-mapped files
 * (`MmapStorage`) and on an in-memory fake that injects power cuts, torn writes, bit flips and a
 * full disk (`MemoryStorage`). One test suite runs against both.
 *
 * All calls are synchronous: the partition actor calls them from a tight loop in its worker
 * thread, and the only slow ones (creating a zero-filled segment, msync) are either moved off
 * that thread (`prepareFile`) or grouped (`sync` covers every append since the last flush).
 *
 * Durability contract, which `MemoryStorage.crash()` models exactly:
 * - bytes written through a mapping survive a process crash (they sit in the page cache), but
 *   survive a power cut only once `sync` covered them;
 * - `createFile` and `prepareFile` leave a file at full size and zero-filled (`prepareFile`
 *   also fsyncs it, off the caller's thread); its bytes become durable as `sync` covers them;
 * - a file's name (after `rename`, `createFile`) is durable once `syncDirectory` ran;
 * - `writeFileAtomic` is durable, all or nothing, when it returns;
 * - a file is never made shorter while mapped (DESIGN.md invariant 5): there is no truncate.
 */

/** A file mapped read-write. */
export interface MappedFile {
  /** The whole file. Writes land in the page cache (visible to every mapping at once). */
  readonly bytes: Uint8Array;
  /** Makes bytes `[start, end)` durable (msync). The range is widened to whole pages. */
  sync(start: number, end: number): void;
  /**
   * Makes everything written to the file so far durable without blocking the calling thread
   * (fdatasync on the I/O thread pool; on Linux it writes back pages dirtied through any
   * mapping of the file, as msync does). Resolves once durable; a file unlinked meanwhile
   * resolves too, since nothing of it needs to survive.
   */
  syncAsync(): Promise<void>;
  /**
   * Drops this mapping's pages from the process's resident set (madvise DONTNEED on a shared
   * file mapping: the data stays in the file and the page cache, and is faulted back in when
   * touched). Recovery calls it after scanning a segment, so memory stays flat as logs grow.
   */
  evict(): void;
  /** Lets go of what `syncAsync` holds open (its file handle); the mapping itself stays. */
  close(): void;
}

/** What `prepareFile` hands back: a file being created and zero-filled off this thread. */
export interface PreparedFile {
  readonly path: string;
  /** Never blocks and needs no event-loop turn: the result is read from shared memory. */
  state(): PreparedFileState;
}

export type PreparedFileState = 'pending' | 'ready' | 'failed';

export interface SegmentStorage {
  /** Creates a file of `sizeBytes` zero bytes; fails if the file exists. */
  createFile(path: string, sizeBytes: number): void;
  /** Starts creating a zero-filled file in the background (same result as `createFile`). */
  prepareFile(path: string, sizeBytes: number): PreparedFile;
  mapReadWrite(path: string): MappedFile;
  /** A read-only view of the whole file; it stays valid after the file is unlinked. */
  mapReadOnly(path: string): Uint8Array;
  /** File names (not paths) in `dir`; empty when `dir` does not exist. */
  list(dir: string): string[];
  exists(path: string): boolean;
  mkdir(dir: string): void;
  /** Removes a name; mappings of the file stay valid (the inode lives until unmapped). */
  unlink(path: string): void;
  rename(fromPath: string, toPath: string): void;
  /** Makes the directory's entries (created, renamed, unlinked names) durable. */
  syncDirectory(dir: string): void;
  /** Replaces `path` with `bytes` atomically and durably: temp file, fsync, rename, fsync dir. */
  writeFileAtomic(path: string, bytes: Uint8Array): void;
  /** The whole file, or undefined when it does not exist. */
  readFile(path: string): Uint8Array | undefined;
}
