/** Shared set-up for segment-log tests: a storage of each kind and a directory in it. */
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { MemoryStorage, MmapStorage, type SegmentStorage } from '../../src/segments/index.js';

export interface StorageKind {
  name: string;
  make(): { storage: SegmentStorage; dir: string; cleanup(): void };
  /** Drops a writer without closing it, as a process crash does (page cache survives). */
  processCrash(storage: SegmentStorage): void;
}

export const storageKinds: StorageKind[] = [
  {
    name: 'MmapStorage',
    make() {
      const root = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'mamba-seg-'));
      return {
        storage: new MmapStorage(), dir: nodePath.join(root, 'orders-0'),
        cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
      };
    },
    processCrash() {
      // The mapping's writes are in the page cache, which outlives the writer.
    },
  },
  {
    name: 'MemoryStorage',
    make() {
      return { storage: new MemoryStorage(), dir: '/data/orders-0', cleanup: () => undefined };
    },
    processCrash(storage) {
      (storage as MemoryStorage).crash({ unflushed: 'all' });
    },
  },
];

/** Flips one bit of a file on disk, as bit rot would (durable, under any mapping). */
export function flipBit(storage: SegmentStorage, path: string, bytePosition: number): void {
  const file = storage.mapReadWrite(path);
  file.bytes[bytePosition] ^= 0x10;
  file.sync(bytePosition, bytePosition + 1);
}

export const quiet = (): void => undefined;
