/**
 * The real storage: files on disk, mapped with `@riaskov/mmap-io` (the maintained fork that
 * builds on Node 20 and loads in worker threads; DESIGN.md §4).
 *
 * A mapping made here stays valid after its file descriptor is closed and after the file is
 * unlinked; it is released when the Buffer is garbage-collected. No file is ever shortened
 * (invariant 5): a store into a page past a truncated end is SIGBUS, which kills the process.
 */
import fs from 'node:fs';
import nodePath from 'node:path';
import mmapModule from '@riaskov/mmap-io';
import { Piscina } from 'piscina';
import { workerUrl } from '../worker-url.js';
import { assert, assertNever } from '../assert.js';
import { workerLaunchOptions } from '../worker-exec-argv.js';
import { atomicReplacePlan, runPlan, runPlanAsync, type FileStep } from './atomic-file.js';
import type {
  AppendFile, MappedFile, PreparedFile, PreparedFileState, SegmentStorage,
} from './storage.js';
import { createZeroFilledFile, storageError } from './zero-filled-file.js';
import {
  PREPARE_FAILED, PREPARE_PENDING, PREPARE_READY, type PrepareTask,
} from './segment-prepare-worker.js';

// The package is CommonJS that sets `module.exports` to the binding, so Node's default import
// is the binding itself, while its typings describe it as `.default`.
const mmap = mmapModule as unknown as typeof mmapModule.default;
const pageSizeBytes = mmap.PAGESIZE;

/**
 * One small pool per thread for background file preparation. Its idle workers are unref'd by
 * piscina, so the pool never keeps a process alive. Two tasks share its one thread: a task
 * publishes its file before its fsync and awaits the fsync, and the next preparation must not
 * queue behind that wait (segment-prepare-worker.ts).
 */
let preparePool: Piscina | undefined;

function pool(): Piscina {
  preparePool ??= new Piscina({
    filename: workerUrl('./segment-prepare-entry.cjs', import.meta.url).href,
    minThreads: 0,
    maxThreads: 1,
    concurrentTasksPerWorker: 2,
    idleTimeout: 10_000,
    ...workerLaunchOptions(),
  });
  return preparePool;
}

export class MmapStorage implements SegmentStorage {
  createFile(path: string, sizeBytes: number): void {
    createZeroFilledFile(path, sizeBytes);
  }

  prepareFile(path: string, sizeBytes: number): PreparedFile {
    const status = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const statusWord = new Int32Array(status);
    const task: PrepareTask = { path, sizeBytes, status };
    const settled = pool().run(task).catch(() => {
      Atomics.store(statusWord, 0, PREPARE_FAILED);
    }).then(() => prepareState(Atomics.load(statusWord, 0)));
    return { path, state: () => prepareState(Atomics.load(statusWord, 0)), settled };
  }

  mapReadWrite(path: string): MappedFile {
    const bytes = this.map(path, mmap.PROT_READ | mmap.PROT_WRITE, 'r+');
    // The descriptor fdatasync runs on, opened on first use and kept: opening and closing it
    // per flush added two I/O-pool round trips (~0.2 ms) to every acks 'all' group commit.
    let handle: Promise<fs.promises.FileHandle> | undefined;
    return {
      bytes,
      sync(start: number, end: number): void {
        if (end <= start) return;
        const alignedStart = start - (start % pageSizeBytes);
        mmap.sync(bytes, alignedStart, end - alignedStart, true);
      },
      evict(): void {
        mmap.advise(bytes, mmap.MADV_DONTNEED);
      },
      async syncAsync(): Promise<void> {
        handle ??= fs.promises.open(path, 'r+');
        let file: fs.promises.FileHandle;
        try {
          file = await handle;
        } catch (error) {
          handle = undefined;
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw storageError('open for fdatasync', path, error);
        }
        try {
          await file.datasync();
        } catch (error) {
          throw storageError('fdatasync', path, error);
        }
      },
      close(): void {
        const closing = handle;
        handle = undefined;
        // A flush still running keeps its own reference; the descriptor closes after it.
        void closing?.then((file) => file.close(), () => undefined).catch(() => undefined);
      },
    };
  }

  mapReadOnly(path: string): Uint8Array {
    return this.map(path, mmap.PROT_READ, 'r');
  }

  list(dir: string): string[] {
    try {
      return fs.readdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storageError('list', dir, error);
    }
  }

  exists(path: string): boolean {
    return fs.existsSync(path);
  }

  /**
   * Creates `dir` and its missing parents, durably: the parent of every directory created is
   * fsynced, so a power cut cannot take a directory whose files were made durable (fsyncing a
   * file or a directory does not make that directory's own name durable).
   */
  mkdir(dir: string): void {
    let first: string | undefined;
    try {
      first = fs.mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw storageError('mkdir', dir, error);
    }
    if (first === undefined) return;
    const created = nodePath.resolve(first);
    for (let level = nodePath.resolve(dir); ; level = nodePath.dirname(level)) {
      this.syncDirectory(nodePath.dirname(level));
      if (level === created || level === nodePath.dirname(level)) break;
    }
  }

  unlink(path: string): void {
    try {
      fs.rmSync(path, { force: true });
    } catch (error) {
      throw storageError('unlink', path, error);
    }
  }

  rename(fromPath: string, toPath: string): void {
    try {
      fs.renameSync(fromPath, toPath);
    } catch (error) {
      throw storageError('rename', fromPath, error);
    }
  }

  syncDirectory(dir: string): void {
    let fd: number | undefined;
    try {
      fd = fs.openSync(dir, 'r');
      fs.fsyncSync(fd);
    } catch (error) {
      throw storageError('fsync directory', dir, error);
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  writeFileAtomic(path: string, bytes: Uint8Array): void {
    runPlan(atomicReplacePlan(path, bytes), (step) => this.runStep(step));
  }

  writeFileAtomicAsync(path: string, bytes: Uint8Array): Promise<void> {
    return runPlanAsync(atomicReplacePlan(path, bytes), (step) => this.runStepAsync(step));
  }

  async syncDirectoryAsync(dir: string): Promise<void> {
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(dir, 'r');
      await handle.sync();
    } catch (error) {
      throw storageError('fsync directory', dir, error);
    } finally {
      await handle?.close();
    }
  }

  async openAppendFile(path: string): Promise<AppendFile> {
    let handle: fs.promises.FileHandle;
    let sizeBytes: number;
    try {
      handle = await fs.promises.open(path, 'r+');
      sizeBytes = (await handle.stat()).size;
    } catch (error) {
      throw storageError('open', path, error);
    }
    return new FileAppendFile(path, handle, sizeBytes);
  }

  private runStep(step: FileStep): void {
    switch (step.kind) {
      case 'write-durable': {
        let fd: number | undefined;
        try {
          fd = fs.openSync(step.path, 'w');
          let written = 0;
          while (written < step.bytes.length) {
            written += fs.writeSync(fd, step.bytes, written, step.bytes.length - written, written);
          }
          fs.fsyncSync(fd);
        } catch (error) {
          throw storageError('write', step.path, error);
        } finally {
          if (fd !== undefined) fs.closeSync(fd);
        }
        return;
      }
      case 'rename': return this.rename(step.fromPath, step.toPath);
      case 'sync-directory': return this.syncDirectory(step.dir);
      case 'remove': return this.unlink(step.path);
      default: return assertNever(step);
    }
  }

  private async runStepAsync(step: FileStep): Promise<void> {
    if (step.kind !== 'write-durable' && step.kind !== 'sync-directory') {
      this.runStep(step); // a rename or unlink is one metadata call that does not wait on disk
      return;
    }
    if (step.kind === 'sync-directory') return this.syncDirectoryAsync(step.dir);
    let handle: fs.promises.FileHandle | undefined;
    try {
      handle = await fs.promises.open(step.path, 'w');
      await writeAllAsync(handle, step.bytes, 0);
      await handle.sync();
    } catch (error) {
      throw storageError('write', step.path, error);
    } finally {
      await handle?.close();
    }
  }

  readFile(path: string): Uint8Array | undefined {
    try {
      return fs.readFileSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storageError('read', path, error);
    }
  }

  private map(path: string, protection: number, mode: 'r' | 'r+'): Buffer {
    let fd: number | undefined;
    try {
      fd = fs.openSync(path, mode);
      const sizeBytes = fs.fstatSync(fd).size;
      return mmap.map(sizeBytes, protection as 1 | 3, mmap.MAP_SHARED, fd);
    } catch (error) {
      throw storageError('map', path, error);
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
}

/** An offset log on disk: positioned writes at the end, fdatasync, ftruncate. */
class FileAppendFile implements AppendFile {
  constructor(
    readonly path: string,
    private readonly handle: fs.promises.FileHandle,
    private size: number,
  ) {}

  get sizeBytes(): number {
    return this.size;
  }

  async append(bytes: Uint8Array): Promise<void> {
    try {
      await writeAllAsync(this.handle, bytes, this.size);
    } catch (error) {
      throw storageError('append', this.path, error);
    }
    this.size += bytes.byteLength;
  }

  async sync(): Promise<void> {
    try {
      await this.handle.datasync();
    } catch (error) {
      throw storageError('fdatasync', this.path, error);
    }
  }

  async truncate(sizeBytes: number): Promise<void> {
    try {
      await this.handle.truncate(sizeBytes);
    } catch (error) {
      throw storageError('truncate', this.path, error);
    }
    this.size = sizeBytes;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

async function writeAllAsync(
  handle: fs.promises.FileHandle, bytes: Uint8Array, position: number,
): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    const { bytesWritten } = await handle.write(
      bytes, written, bytes.byteLength - written, position + written);
    assert(bytesWritten > 0, 'a write makes progress');
    written += bytesWritten;
  }
}

function prepareState(word: number): PreparedFileState {
  if (word === PREPARE_PENDING) return 'pending';
  if (word === PREPARE_READY) return 'ready';
  return 'failed';
}
