/**
 * Log compaction on the segment log, against both storages: the cleaner keeps the latest record
 * per key with its offset, drops expired tombstones, keeps null-key records and control batches,
 * leaves a chain of batches that recovery, the index and readers accept, and swaps the cleaned
 * segments in so that a reopened log and a read-only reader see the same records.
 */
import { afterEach, describe, expect, it } from 'vitest';
import nodePath from 'node:path';
import { MambaError } from '../../src/errors.js';
import {
  LogReader, MemoryStorage, PartitionLog, segmentFileName, type SegmentStorage,
} from '../../src/segments/index.js';
import { storageKinds, quiet } from './log-harness.js';
import { splitBatches } from './batch-builder.js';
import { ATTRIBUTES_OFFSET, CODEC_ID } from '../../src/records/index.js';
import {
  INDEX_BYTE_POSITION_OFFSET, INDEX_ENTRY_SIZE_BYTES, INDEX_RELATIVE_OFFSET_OFFSET,
} from '../../src/segments/offset-index.js';
import {
  appendUpdates, compactLog, expectedAfterCleaning, readRecords, tableOf, type StoredRecord,
} from './compaction-harness.js';

const logOptions = { segmentSizeBytes: 64 * 1024, indexIntervalBytes: 1024, log: quiet };

for (const kind of storageKinds) {
  describe(`compaction on ${kind.name}`, () => {
    let cleanup: () => void = () => undefined;
    afterEach(() => cleanup());

    function openLog(): { log: PartitionLog; storage: SegmentStorage; dir: string } {
      const made = kind.make();
      cleanup = made.cleanup;
      const log = PartitionLog.open(made.dir, { ...logOptions, storage: made.storage });
      return { log, storage: made.storage, dir: made.dir };
    }

    it('keeps the latest record per key at its offset, null keys too', () => {
      const { log, storage, dir } = openLog();
      appendUpdates(log, { keyCount: 50, updateCount: 15_000, recordsPerBatch: 20,
        nullKeyEvery: 97 });
      const before = readRecords((from, max) => log.read(from, max));
      const segmentsBefore = log.stats().segmentCount;
      expect(segmentsBefore).toBeGreaterThan(3);
      const sizeBefore = log.sizeBytes();
      const { result, swapped } = compactLog(log, storage);
      expect(swapped).toBe(true);
      expect(result.segments.length).toBe(segmentsBefore);
      const after = readRecords((from, max) => log.read(from, max));
      expect(after).toEqual(expectedAfterCleaning(before));
      expect(after.filter((r) => r.key === null).length).toBe(
        before.filter((r) => r.key === null).length);
      expect(tableOf(after)).toEqual(tableOf(before));
      expect(log.sizeBytes()).toBeLessThan(sizeBefore / 10);
      // Offsets stay: the log's ends are where they were, and appends go on after them.
      expect(log.logStartOffset).toBe(0);
      expect(log.logEndOffset).toBe(15_000);
      appendUpdates(log, { keyCount: 1, updateCount: 1, recordsPerBatch: 1 });
      expect(log.logEndOffset).toBe(15_001);
      // A read-only reader maps the new files; a reopened log recovers them.
      const reader = LogReader.open(dir, storage);
      const readerRecords = readRecords((from, max) => reader.read(from, max, 15_001));
      log.close();
      const reopened = PartitionLog.open(dir, { ...logOptions, storage });
      const recovered = readRecords((from, max) => reopened.read(from, max));
      expect(recovered).toEqual(readerRecords);
      expect(recovered.slice(0, -1)).toEqual(after);
      expect(reopened.logEndOffset).toBe(15_001);
      reopened.close();
    });

    it('serves a read from inside a gap with the next record', () => {
      const { log, storage, dir } = openLog();
      appendUpdates(log, { keyCount: 10, updateCount: 2_000, recordsPerBatch: 25 });
      compactLog(log, storage);
      const kept = readRecords((from, max) => log.read(from, max)).map((r) => r.offset);
      expect(kept).toEqual(Array.from({ length: 10 }, (_, i) => 1_990 + i));
      for (const from of [0, 1, 999, 1_500, 1_989, 1_995]) {
        const next = kept.find((offset) => offset >= from);
        expect(readRecords((f, max) => log.read(f, max), from)[0].offset).toBe(next);
        const reader = LogReader.open(dir, storage);
        expect(readRecords((f, max) => reader.read(f, max, 2_000), from)[0].offset).toBe(next);
      }
      log.close();
    });

    it('drops tombstones older than deleteRetentionMs, keeps younger ones', () => {
      const { log, storage } = openLog();
      const nowMs = 2_000_000;
      // Update i is stamped i ms; every 7th is a tombstone.
      appendUpdates(log, { keyCount: 100, updateCount: 3_000, recordsPerBatch: 30,
        tombstoneEvery: 7, timestampMs: (i) => i });
      const before = readRecords((from, max) => log.read(from, max));
      const deleteRetentionMs = nowMs - 2_950;
      const { result } = compactLog(log, storage, { nowMs, deleteRetentionMs });
      const after = readRecords((from, max) => log.read(from, max));
      const expired = (r: StoredRecord) => nowMs - r.timestamp > deleteRetentionMs;
      expect(after).toEqual(expectedAfterCleaning(before, expired));
      expect(result.tombstonesRemoved).toBeGreaterThan(0);
      expect(after.some((r) => r.value === null)).toBe(true);
      expect(after.filter((r) => r.value === null).every((r) => !expired(r))).toBe(true);
      expect(tableOf(after)).toEqual(tableOf(before));
      log.close();
    });

    it('cleans compressed batches and keeps them compressed', () => {
      const { log, storage } = openLog();
      appendUpdates(log, { keyCount: 30, updateCount: 3_000, recordsPerBatch: 50,
        compression: 'gzip' });
      const before = readRecords((from, max) => log.read(from, max));
      compactLog(log, storage);
      const after = readRecords((from, max) => log.read(from, max));
      expect(after).toEqual(expectedAfterCleaning(before));
      // The kept records are in the last batches: re-encoded (some records dropped) and
      // compressed with gzip again.
      const codecs = splitBatches(log.read(0, 1 << 20)).map((batch) =>
        new DataView(batch.buffer, batch.byteOffset).getInt16(ATTRIBUTES_OFFSET) & 0x07);
      expect(codecs).toContain(CODEC_ID.GZIP);
      log.close();
    });

    it('cleans a prefix when the key map is full, and the rest in the next round', () => {
      const { log, storage } = openLog();
      appendUpdates(log, { keyCount: 2_000, updateCount: 8_000, recordsPerBatch: 40 });
      const before = readRecords((from, max) => log.read(from, max));
      const first = compactLog(log, storage, { keysMax: 100 });
      expect(first.result.segments.length).toBeLessThan(log.stats().segmentCount - 1);
      expect(tableOf(readRecords((from, max) => log.read(from, max)))).toEqual(tableOf(before));
      compactLog(log, storage, { rollActive: false });
      const after = readRecords((from, max) => log.read(from, max));
      expect(after).toEqual(expectedAfterCleaning(before));
      log.close();
    });

    it('a reader whose .index is of another version of the segment reads right', () => {
      // A reader maps a segment's .log and .index one after the other; a swap between the two
      // gives it an index of the other version, whose entries point at other batches.
      const { log, storage, dir } = openLog();
      for (let i = 0; i < 40; i += 1) {
        appendUpdates(log, { keyCount: 1_000, updateCount: 10, recordsPerBatch: 10 });
      }
      const indexPath = nodePath.join(dir, segmentFileName(0, '.index'));
      const index = storage.mapReadWrite(indexPath);
      const view = new DataView(index.bytes.buffer, index.bytes.byteOffset);
      // Entry 1 claims offset 1 is at the start of the 30th batch (offset 290).
      const position = log.read(290, 1).byteOffset - log.read(0, 1).byteOffset;
      view.setUint32(INDEX_ENTRY_SIZE_BYTES + INDEX_RELATIVE_OFFSET_OFFSET, 1, true);
      view.setUint32(INDEX_ENTRY_SIZE_BYTES + INDEX_BYTE_POSITION_OFFSET, position, true);
      const reader = LogReader.open(dir, storage);
      expect(readRecords((from, max) => reader.read(from, max, 400), 5)[0].offset).toBe(5);
      log.close();
    });

    it('refuses to swap segments that changed since the plan, and leaves no files', () => {
      const { log, storage, dir } = openLog();
      appendUpdates(log, { keyCount: 10, updateCount: 2_000, recordsPerBatch: 25 });
      const plan = log.cleanPlan(true);
      const stale = plan.segments.map((spec) => ({ ...spec, nextOffset: spec.nextOffset + 1 }));
      expect(log.swapCleaned(stale)).toBe(false);
      expect(storage.list(dir).filter((name) => name.includes('.cleaned'))).toEqual([]);
      expect(storage.exists(nodePath.join(dir, segmentFileName(0, '.log')))).toBe(true);
      log.close();
    });
  });
}

describe('compaction on a full disk', () => {
  it('fails the round with DISK_FULL, leaves the log as it was and no .cleaned file', () => {
    const storage = new MemoryStorage();
    const dir = '/data/full-0';
    const log = PartitionLog.open(dir, { ...logOptions, storage });
    appendUpdates(log, { keyCount: 20, updateCount: 6_000, recordsPerBatch: 20 });
    const before = readRecords((from, max) => log.read(from, max));
    log.cleanPlan(true);
    // Room for a cleaned file or two, not for all of them.
    storage.capacityBytes = storage.usedBytes() + 12 * 1024;
    const error = (() => {
      try {
        compactLog(log, storage, { rollActive: false });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(MambaError.is(error, 'DISK_FULL')).toBe(true);
    expect(storage.list(dir).filter((name) => name.includes('clean'))).toEqual([]);
    expect(readRecords((from, max) => log.read(from, max))).toEqual(before);
    storage.capacityBytes = Number.POSITIVE_INFINITY;
    expect(compactLog(log, storage, { rollActive: false }).swapped).toBe(true);
    expect(readRecords((from, max) => log.read(from, max))).toEqual(expectedAfterCleaning(before));
    log.close();
  });
});
