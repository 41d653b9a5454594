import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import nodePath from 'node:path';
import { MambaError } from '../../src/errors.js';
import {
  MemoryStorage, PartitionLog, isGapBatch, segmentFileName, type PartitionLogOptions,
  type SegmentStorage,
} from '../../src/segments/index.js';
import {
  batchInfo, buildBatch, payloadFor, readAll, seededRandom, type BatchInfo,
} from './batch-builder.js';
import { flipBit, quiet, storageKinds } from './log-harness.js';
import {
  codecNamed, compressBatch, decodeBatch, encodeBatch,
} from '../../src/records/index.js';

const KiB = 1024;

describe.each(storageKinds)('PartitionLog on $name', (kind) => {
  let storage: SegmentStorage;
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ storage, dir, cleanup } = kind.make());
  });
  afterEach(() => cleanup());

  const open = (options: PartitionLogOptions = {}): PartitionLog => PartitionLog.open(dir, {
    storage, segmentSizeBytes: 64 * KiB, indexIntervalBytes: 1 * KiB, log: quiet, ...options,
  });

  /** Appends `count` batches of seeded sizes; returns what each should read back as. */
  function appendMany(log: PartitionLog, count: number, seed: number): BatchInfo[] {
    const random = seededRandom(seed);
    const expected: BatchInfo[] = [];
    for (let i = 0; i < count; i += 1) {
      const payloadSizeBytes = 50 + Math.floor(random() * 3000);
      const recordCountMax = Math.min(20, Math.floor(payloadSizeBytes / 7));
      const recordCount = 1 + Math.floor(random() * recordCountMax);
      const payload = payloadFor(seed * 100_000 + i, payloadSizeBytes);
      const result = log.append(buildBatch({ recordCount, payload }));
      expected.push({
        baseOffset: result.baseOffset, lastOffset: result.lastOffset, recordCount, payload,
      });
    }
    return expected;
  }

  function expectLogHolds(log: PartitionLog, expected: BatchInfo[]): void {
    const got = readAll((from, max) => log.read(from, max), log.logStartOffset);
    expect(got.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i += 1) {
      expect(got[i].baseOffset).toBe(expected[i].baseOffset);
      expect(got[i].lastOffset).toBe(expected[i].lastOffset);
      expect(Buffer.from(got[i].payload).equals(Buffer.from(expected[i].payload))).toBe(true);
    }
  }

  it('appends and reads back across many rolls, with dense offsets', () => {
    const log = open();
    const expected = appendMany(log, 500, 1);
    for (let i = 1; i < expected.length; i += 1) {
      expect(expected[i].baseOffset).toBe(expected[i - 1].lastOffset + 1);
    }
    expect(log.stats().rollCount).toBeGreaterThanOrEqual(10);
    expect(log.logEndOffset).toBe(expected[expected.length - 1].lastOffset + 1);
    expectLogHolds(log, expected);
    log.close();
  });

  it('finds the batch holding every offset', () => {
    const log = open();
    const expected = appendMany(log, 150, 2);
    let batch = 0;
    for (let offset = 0; offset < log.logEndOffset; offset += 1) {
      while (expected[batch].lastOffset < offset) batch += 1;
      const first = batchInfo(log.read(offset, 1));
      expect(first.baseOffset).toBe(expected[batch].baseOffset);
    }
    expect(log.read(log.logEndOffset, 100).length).toBe(0);
    expect(() => log.read(log.logEndOffset + 1, 100)).toThrow(MambaError);
    log.close();
  });

  it('keeps everything over a clean close and reopen, and continues the offsets', () => {
    const log = open();
    const expected = appendMany(log, 120, 3);
    log.close();
    const reopened = open();
    expect(reopened.recovery.checkpointProblem).toBeUndefined();
    expect(reopened.recovery.tornTail).toBeUndefined();
    expectLogHolds(reopened, expected);
    const next = reopened.append(buildBatch({ recordCount: 3, payload: payloadFor(9, 100) }));
    expect(next.baseOffset).toBe(expected[expected.length - 1].lastOffset + 1);
    reopened.close();
  });

  it('keeps everything appended when the writer dies without closing', () => {
    const log = open();
    const first = appendMany(log, 60, 4);
    log.checkpoint();
    const more = appendMany(log, 60, 5);
    kind.processCrash(storage);
    const reopened = open();
    expectLogHolds(reopened, [...first, ...more]);
    reopened.close();
  });

  it('deletes whole oldest segments by size, moving the log start', () => {
    const log = open({ retentionBytes: 200 * KiB });
    const expected = appendMany(log, 300, 6);
    const segmentsBefore = log.stats().segmentCount;
    const deleted = log.applyRetention();
    expect(deleted).toBeGreaterThan(0);
    expect(log.stats().segmentCount).toBe(segmentsBefore - deleted);
    expect(log.sizeBytes()).toBeLessThanOrEqual(200 * KiB);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(storage.exists(nodePath.join(dir, segmentFileName(0, '.log')))).toBe(false);
    expectLogHolds(log, expected.filter((b) => b.baseOffset >= log.logStartOffset));
    expect(() => log.read(0, 100)).toThrow(expect.objectContaining({
      code: 'OFFSET_OUT_OF_RANGE',
    }));
    log.close();
  });

  it('deletes segments whose newest batch is older than retentionMs', () => {
    const log = open({ retentionMs: 60_000 });
    for (let i = 0; i < 200; i += 1) {
      const maxTimestampMs = i < 100 ? 1_000_000 : 2_000_000;
      log.append(buildBatch({ recordCount: 1, payload: payloadFor(i, 1000), maxTimestampMs }));
    }
    expect(log.applyRetention(1_030_000)).toBe(0);
    const deleted = log.applyRetention(1_100_000);
    expect(deleted).toBeGreaterThan(0);
    const oldest = batchInfo(log.read(log.logStartOffset, 1));
    expect(oldest.baseOffset).toBeLessThanOrEqual(100);
    expect(log.logStartOffset).toBeGreaterThan(50);
    log.close();
  });

  it('raises CORRUPT_LOG for a bad checksum below the recovery point', () => {
    const log = open();
    appendMany(log, 10, 7);
    const target = log.append(buildBatch({ recordCount: 2, payload: payloadFor(1, 500) }));
    appendMany(log, 5, 8);
    log.close();
    const path = nodePath.join(dir, segmentFileName(target.segmentBaseOffset, '.log'));
    flipBit(storage, path, target.bytePosition + 100);
    let error: unknown;
    try {
      open();
    } catch (caught) {
      error = caught;
    }
    expect(MambaError.is(error, 'CORRUPT_LOG')).toBe(true);
    const corruption = (error as MambaError).corruption!;
    expect(corruption.path).toBe(path);
    expect(corruption.bytePosition).toBe(target.bytePosition);
    expect(corruption.reason).toContain('below the recovery point');
  });

  it('tells bit rot from a torn tail, and repairs keeping the valid suffix', () => {
    const log = open();
    const before = appendMany(log, 8, 9);
    const rotten = log.append(buildBatch({ recordCount: 4, payload: payloadFor(2, 700) }));
    const after = appendMany(log, 8, 10);
    log.flush();
    kind.processCrash(storage);
    const path = nodePath.join(dir, segmentFileName(rotten.segmentBaseOffset, '.log'));
    flipBit(storage, path, rotten.bytePosition + 200);
    expect(() => open()).toThrow(expect.objectContaining({ code: 'CORRUPT_LOG' }));
    const lines: string[] = [];
    const repaired = open({ repair: true, log: (line) => lines.push(line) });
    expect(repaired.recovery.lostRanges).toEqual([expect.objectContaining({
      fromOffset: rotten.baseOffset, toOffset: rotten.lastOffset + 1, path,
      bytePosition: rotten.bytePosition,
    })]);
    expect(lines.some((line) => line.includes('repaired'))).toBe(true);
    const got = readAll((from, max) => repaired.read(from, max), 0);
    const kept = got.filter((b) => b.recordCount > 0);
    expect(kept.map((b) => b.baseOffset)).toEqual([...before, ...after].map((b) => b.baseOffset));
    const gap = got.find((b) => b.recordCount === 0)!;
    expect([gap.baseOffset, gap.lastOffset]).toEqual([rotten.baseOffset, rotten.lastOffset]);
    const next = repaired.append(buildBatch({ recordCount: 1, payload: payloadFor(3, 10) }));
    expect(next.baseOffset).toBe(after[after.length - 1].lastOffset + 1);
    repaired.close();
    const again = open();
    expect(again.recovery.lostRanges).toEqual([]);
    expect(again.logEndOffset).toBe(next.lastOffset + 1);
    again.close();
  });

  it('finds the valid batches after a rotten compressed batch of many records', () => {
    const gzip = codecNamed('gzip')!;
    const compressed = (count: number, seed: number): Uint8Array => compressBatch(
      encodeBatch(Array.from({ length: count },
        (_, i) => ({ value: i % 50 === 0 ? payloadFor(seed, 8) : null }))),
      gzip);
    const log = open();
    const before = [log.append(compressed(100, 1)), log.append(compressed(100, 2))];
    const rotten = log.append(compressed(5000, 3));
    expect(rotten.lastOffset - rotten.baseOffset + 1).toBe(5000);
    const after = [log.append(compressed(300, 4)), log.append(compressed(300, 5))];
    log.flush();
    kind.processCrash(storage);
    const path = nodePath.join(dir, segmentFileName(rotten.segmentBaseOffset, '.log'));
    flipBit(storage, path, rotten.bytePosition + 70);
    const repaired = open({ repair: true });
    expect(repaired.recovery.lostRanges).toEqual([expect.objectContaining({
      fromOffset: rotten.baseOffset, toOffset: rotten.lastOffset + 1, path,
    })]);
    expect(repaired.logEndOffset).toBe(after[1].lastOffset + 1);
    const kept: number[] = [];
    for (const result of [...before, ...after]) {
      kept.push(...decodeBatch(repaired.read(result.baseOffset, 1), 0).map((r) => r.offset));
    }
    expect(kept).toEqual([...before, ...after].flatMap((r) =>
      Array.from({ length: r.lastOffset - r.baseOffset + 1 }, (_, i) => r.baseOffset + i)));
    repaired.close();
  });

  it('zeroes a torn tail and appends after the valid prefix', () => {
    const log = open();
    const expected = appendMany(log, 20, 11);
    const end = log.append(buildBatch({ recordCount: 1, payload: payloadFor(4, 300) }));
    log.flush();
    kind.processCrash(storage);
    const path = nodePath.join(dir, segmentFileName(end.segmentBaseOffset, '.log'));
    const file = storage.mapReadWrite(path);
    file.bytes.fill(0, end.bytePosition + 150, end.bytePosition + 361); // torn last batch
    file.sync(0, file.bytes.length);
    const reopened = open();
    expect(reopened.recovery.tornTail?.bytePosition).toBe(end.bytePosition);
    expect(reopened.logEndOffset).toBe(end.baseOffset);
    expect(storage.mapReadOnly(path).subarray(end.bytePosition).every((b) => b === 0)).toBe(true);
    expectLogHolds(reopened, expected);
    expect(reopened.append(buildBatch({ recordCount: 2, payload: payloadFor(5, 20) })).baseOffset)
      .toBe(end.baseOffset);
    reopened.close();
  });

  it('rejects malformed batches with their codes and leaves the log as it was', () => {
    const log = open();
    appendMany(log, 3, 12);
    const end = log.logEndOffset;
    const bad = buildBatch({ recordCount: 2, payload: payloadFor(6, 100) });
    bad[bad.length - 1] ^= 1;
    expect(() => log.append(bad)).toThrow(expect.objectContaining({ code: 'CORRUPT_BATCH' }));
    expect(() => log.append(new Uint8Array(10)))
      .toThrow(expect.objectContaining({ code: 'CORRUPT_BATCH' }));
    const huge = buildBatch({ recordCount: 1, payload: new Uint8Array(70 * KiB) });
    expect(() => log.append(huge)).toThrow(expect.objectContaining({ code: 'RECORD_TOO_LARGE' }));
    expect(log.logEndOffset).toBe(end);
    expect(log.append(buildBatch({ recordCount: 1, payload: payloadFor(7, 10) })).baseOffset)
      .toBe(end);
    log.close();
  });

  it('answers a retried idempotent batch with its original offset, also after reopening', () => {
    const log = open();
    const send = (sequence: number, count: number) => buildBatch({
      recordCount: count, payload: payloadFor(sequence, 64), producerId: 7, producerEpoch: 1,
      baseSequence: sequence,
    });
    log.append(send(0, 5));
    const second = log.append(send(5, 3));
    expect(log.producers.check(7, 1, 8, 2)).toEqual({ kind: 'append' });
    expect(log.producers.check(7, 1, 5, 3)).toEqual({
      kind: 'duplicate', baseOffset: second.baseOffset, lastOffset: second.lastOffset,
    });
    log.checkpoint();
    const third = log.append(send(8, 2));
    kind.processCrash(storage);
    const reopened = open();
    expect(reopened.producers.check(7, 1, 8, 2)).toEqual({
      kind: 'duplicate', baseOffset: third.baseOffset, lastOffset: third.lastOffset,
    });
    expect(reopened.producers.check(7, 0, 10, 1)).toMatchObject({ code: 'PRODUCER_FENCED' });
    expect(reopened.producers.check(7, 1, 12, 1)).toMatchObject({
      code: 'OUT_OF_ORDER_SEQUENCE',
    });
    reopened.close();
  });

  it('reports the flush policy and makes appends durable on flush', () => {
    let nowMs = 1000;
    const log = open({ flushPolicy: { intervalMs: 50 }, clockMs: () => nowMs });
    expect(log.flushDue(nowMs)).toBe(false);
    appendMany(log, 3, 13);
    expect(log.flushDue(nowMs + 10)).toBe(false);
    nowMs += 60;
    expect(log.flushDue(nowMs)).toBe(true);
    expect(log.flush()).toBe(log.logEndOffset);
    expect(log.durableOffset).toBe(log.logEndOffset);
    expect(log.flushDue(nowMs + 1000)).toBe(false);
    log.close();
  });

  it('rolls by age', () => {
    let nowMs = 0;
    const log = open({ segmentAgeMs: 1000, clockMs: () => nowMs });
    appendMany(log, 2, 14);
    nowMs = 999;
    appendMany(log, 1, 15);
    expect(log.stats().rollCount).toBe(0);
    nowMs = 1000;
    const rolled = log.append(buildBatch({ recordCount: 1, payload: payloadFor(8, 10) }));
    expect(log.stats().rollCount).toBe(1);
    expect(rolled.segmentBaseOffset).toBe(rolled.baseOffset);
    log.close();
  });
});

describe('PartitionLog options and faults', () => {
  it('names the bad option and value', () => {
    const storage = new MemoryStorage();
    expect(() => PartitionLog.open('/d', { storage, segmentSizeBytes: 1000 })).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        message: expect.stringContaining('options.segmentSizeBytes'),
      }));
    expect(() => PartitionLog.open('/d', {
      storage, flushPolicy: { intervalMs: -1 },
    })).toThrow(/options\.flushPolicy\.intervalMs must be a positive number \(got -1\)/);
  });

  it('fails a roll on a full disk with DISK_FULL and keeps the log usable', () => {
    const storage = new MemoryStorage({ capacityBytes: 3 * 64 * KiB });
    const log = PartitionLog.open('/d', {
      storage, segmentSizeBytes: 64 * KiB, prepareNextSegment: false, log: quiet,
    });
    let error: unknown;
    let appended = 0;
    try {
      for (;;) {
        log.append(buildBatch({ recordCount: 1, payload: payloadFor(appended, 4000) }));
        appended += 1;
      }
    } catch (caught) {
      error = caught;
    }
    expect(MambaError.is(error, 'DISK_FULL')).toBe(true);
    expect(log.logEndOffset).toBe(appended);
    expect(readAll((from, max) => log.read(from, max), 0).length).toBe(appended);
  });

  it('opens after clearing a torn tail on a full disk, keeping the last checkpoint', () => {
    const storage = new MemoryStorage();
    const options = { storage, segmentSizeBytes: 64 * KiB, prepareNextSegment: false, log: quiet };
    const log = PartitionLog.open('/d', options);
    for (let i = 0; i < 5; i += 1) {
      log.append(buildBatch({ recordCount: 1, payload: payloadFor(i, 300) }));
    }
    log.checkpoint(true);
    const end = log.append(buildBatch({ recordCount: 1, payload: payloadFor(9, 300) }));
    const file = storage.mapReadWrite(nodePath.join('/d', segmentFileName(0, '.log')));
    file.bytes.fill(0, end.bytePosition + 150, end.bytePosition + 361); // torn last batch
    storage.capacityBytes = storage.usedBytes();
    const reopened = PartitionLog.open('/d', options);
    expect(reopened.recovery.tornTail?.bytePosition).toBe(end.bytePosition);
    expect(reopened.logEndOffset).toBe(5);
    storage.capacityBytes = Number.POSITIVE_INFINITY;
    reopened.close();
    const again = PartitionLog.open('/d', options);
    expect(again.recovery.checkpointProblem).toBeUndefined();
    expect(again.logEndOffset).toBe(5);
    again.close();
  });

  it('rolls onto a prepared segment when ready, and creates one itself when not', () => {
    const storage = new MemoryStorage({ prepareCompletesAtOnce: false });
    const log = PartitionLog.open('/d', {
      storage, segmentSizeBytes: 64 * KiB, log: quiet,
    });
    const batch = buildBatch({ recordCount: 1, payload: payloadFor(1, 4000) });
    for (let i = 0; i < 20; i += 1) log.append(batch);
    expect(log.stats()).toMatchObject({ rollCount: 1, preparedRollCount: 0 });
    storage.completePreparations();
    for (let i = 0; i < 16; i += 1) log.append(batch);
    expect(log.stats()).toMatchObject({ rollCount: 2, preparedRollCount: 1 });
    expect(storage.list('/d').filter((name) => name.endsWith('.prepared'))).toEqual([]);
    log.close();
  });

  it('marks the gap of a repair with a control batch of no records', () => {
    const storage = new MemoryStorage();
    const log = PartitionLog.open('/d', { storage, segmentSizeBytes: 64 * KiB, log: quiet });
    const batches = [0, 1, 2].map((i) =>
      log.append(buildBatch({ recordCount: 2, payload: payloadFor(i, 200) })));
    log.flush();
    flipBit(storage, '/d/' + segmentFileName(0, '.log'), batches[1].bytePosition + 80);
    const repaired = PartitionLog.open('/d', { storage, repair: true, log: quiet });
    const view = repaired.read(2, 1);
    expect(isGapBatch(new DataView(view.buffer, view.byteOffset, view.byteLength), 0)).toBe(true);
  });
});
