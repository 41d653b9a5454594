/**
 * When a segment's offset index is made durable. A group commit (`flushAsync`, acks 'all')
 * fdatasyncs the log on the I/O pool and must not msync the index on the writer's thread: that
 * blocking msync, once per commit, was 15 % of an acks 'all' actor's profile. Recovery rebuilds
 * the index of the segment it scans; the segments below it are adopted by their index, so a
 * checkpoint makes a sealed segment's index durable before it moves the recovery point past it,
 * and a power cut after that checkpoint still finds every record through the adopted index.
 */
import nodePath from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MemoryStorage, PartitionLog, segmentFileName, type MappedFile,
} from '../../src/segments/index.js';
import { buildBatch, payloadFor } from './batch-builder.js';
import { quiet } from './log-harness.js';

const KiB = 1024;
const indexSuffix = '.index';

/** A MemoryStorage that counts the blocking syncs of `.index` files, by file name. */
class IndexSyncCounter extends MemoryStorage {
  readonly indexSyncs = new Map<string, number>();

  override mapReadWrite(path: string): MappedFile {
    const file = super.mapReadWrite(path);
    if (!path.endsWith(indexSuffix)) return file;
    const name = nodePath.basename(path);
    return {
      ...file,
      sync: (start: number, end: number): void => {
        this.indexSyncs.set(name, (this.indexSyncs.get(name) ?? 0) + 1);
        file.sync(start, end);
      },
    };
  }

  syncsOf(baseOffset: number): number {
    return this.indexSyncs.get(segmentFileName(baseOffset, indexSuffix)) ?? 0;
  }
}

describe('offset index durability', () => {
  it('group commits leave the index alone; a checkpoint syncs a sealed segment\'s', async () => {
    const storage = new IndexSyncCounter();
    const dir = '/data/t-0';
    const options = {
      storage, segmentSizeBytes: 64 * KiB, indexIntervalBytes: 4 * KiB,
      prepareNextSegment: false, log: quiet,
    };
    const log = PartitionLog.open(dir, options);
    const batch = () => buildBatch({ recordCount: 10, payload: payloadFor(10, 900) });
    let appended = 0;
    while (log.stats().rollCount === 0) {
      log.append(batch());
      appended += 10;
      await log.flushAsync();
    }
    // Every batch is durable through the group commits, none of which synced an index.
    expect(log.durableOffset).toBe(appended);
    expect(storage.syncsOf(0)).toBe(0);
    log.checkpoint();
    expect(storage.syncsOf(0)).toBe(1);
    expect(storage.syncsOf(appended - 10)).toBe(0); // the active segment: recovery scans it

    storage.crash({ unflushed: 'none' });
    const reopened = PartitionLog.open(dir, options);
    try {
      expect(reopened.logEndOffset).toBe(appended);
      // The first segment was adopted by its (durable) index: reads find every offset in it.
      for (let offset = 0; offset < appended - 10; offset += 10) {
        expect(reopened.read(offset, 1).length).toBeGreaterThan(0);
      }
    } finally {
      reopened.close();
    }
  });
});
