/**
 * The storage boundary (STYLE.md §13): every durable file Mamba writes goes through this
 * interface — segments and their indexes, checkpoints, the consumer groups' offset logs and the
 * topic manifest — so that the same code runs on real files (`MmapStorage`) and on an in-memory
 * fake that injects power cuts, torn writes, bit flips and a full disk (`MemoryStorage`). One
 * test suite runs against both, and the power-cut suite runs against every on-disk format.
 * (It is named for its first user, the segment log.)
 *
 * The segment log calls it synchronously from a tight loop in its worker thread; the slow calls
 * there (creating a zero-filled segment, msync) are either moved off that thread
 * (`prepareFile`) or grouped (`sync` covers every append since the last flush). The main
 * thread, which must not block on a disk, uses the asynchronous calls (`openAppendFile`,
 * `writeFileAtomicAsync`, `syncDirectoryAsync`) for the offset logs.
 *
 * Durability contract, which `MemoryStorage.crash()` models exactly:
 * - bytes written through a mapping survive a process crash (they sit in the page cache), but
 *   survive a power cut only once `sync` covered them; bytes appended to an `AppendFile` only
 *   once its `sync` ran after them;
 * - `createFile` and `prepareFile` leave a file at full size and zero-filled (`prepareFile`
 *   also fsyncs the zeros, off the caller's thread, after reporting the file ready); its bytes
 *   become durable as `sync` covers them;
 * - a name (made by `createFile`, `prepareFile`, `rename`, or removed by `unlink`) changes on
 *   disk only once `syncDirectory` ran on its directory; until then a power cut undoes it;
 * - `writeFileAtomic` (and its async twin) is durable, all or nothing, when it returns: a power
 *   cut at any point leaves either the old file or the new one (atomic-file.ts);
 * - a file is never made shorter while mapped (DESIGN.md invariant 5): only an `AppendFile`,
 *   which is never mapped, can be truncated.
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
  /**
   * Resolves once the preparation is no longer pending. A log being deleted waits for it: a
   * preparation still running would create its file in the directory being removed.
   */
  readonly settled: Promise<PreparedFileState>;
}

export type PreparedFileState = 'pending' | 'ready' | 'failed';

/**
 * A file written by appending with write + fdatasync, never mapped: a consumer group's offset
 * log. One writer at a time; calls are not to overlap (the offset store queues them).
 */
export interface AppendFile {
  readonly path: string;
  /** The file's length: the bytes appended so far, durable or not. */
  readonly sizeBytes: number;
  /** Writes `bytes` at the end; durable after the next `sync`. */
  append(bytes: Uint8Array): Promise<void>;
  /** fdatasync: every byte appended so far is durable when this resolves. */
  sync(): Promise<void>;
  /** Cuts the file back to `sizeBytes` (the bytes of an append that failed part way). */
  truncate(sizeBytes: number): Promise<void>;
  close(): Promise<void>;
}

export interface SegmentStorage {
  /** Creates a file of `sizeBytes` zero bytes; fails if the file exists. */
  createFile(path: string, sizeBytes: number): void;
  /**
   * Starts creating a zero-filled file in the background (same result as `createFile`). It is
   * 'ready' once zero-filled; `settled` resolves after the background fsync of its zeros.
   */
  prepareFile(path: string, sizeBytes: number): PreparedFile;
  mapReadWrite(path: string): MappedFile;
  /** A read-only view of the whole file; it stays valid after the file is unlinked. */
  mapReadOnly(path: string): Uint8Array;
  /** File names (not paths) in `dir`; empty when `dir` does not exist. */
  list(dir: string): string[];
  exists(path: string): boolean;
  /** Creates `dir` and its missing parents; their names are durable when it returns. */
  mkdir(dir: string): void;
  /** Removes a name; mappings of the file stay valid (the inode lives until unmapped). */
  unlink(path: string): void;
  rename(fromPath: string, toPath: string): void;
  /** Makes the directory's entries (created, renamed, unlinked names) durable. */
  syncDirectory(dir: string): void;
  /** Replaces `path` with `bytes` atomically and durably (atomic-file.ts). */
  writeFileAtomic(path: string, bytes: Uint8Array): void;
  /** The whole file, or undefined when it does not exist. */
  readFile(path: string): Uint8Array | undefined;

  // Asynchronous calls, for the main thread.
  /** Opens an existing file to append to it. */
  openAppendFile(path: string): Promise<AppendFile>;
  /** `writeFileAtomic` without blocking the calling thread: the same steps, awaited. */
  writeFileAtomicAsync(path: string, bytes: Uint8Array): Promise<void>;
  syncDirectoryAsync(dir: string): Promise<void>;
}
