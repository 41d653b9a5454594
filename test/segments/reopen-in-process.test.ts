/**
 * Issue 15, restarts: an actor restart reopens logs its own process wrote (`reopenInProcess`).
 * Recovery then leaves what it kept after the checkpoint's recovery point to the next flush
 * instead of syncing it on the reopening thread: the durable offset starts at the recovery
 * point, a flush moves it, and a power cut in between keeps the durable prefix. Validation is
 * unchanged: damage below the recovery point is still CORRUPT_LOG, a torn tail is still cleared.
 */
import nodePath from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStorage, PartitionLog } from '../../src/segments/index.js';
import { buildBatch, payloadFor } from './batch-builder.js';
import { flipBit, quiet } from './log-harness.js';

const dir = '/data/r-0';

function setUp() {
  const storage = new MemoryStorage();
  const options = { storage, segmentSizeBytes: 64 * 1024, prepareNextSegment: false, log: quiet };
  const log = PartitionLog.open(dir, options);
  const append = (n: number) => {
    const results = [];
    for (let i = 0; i < n; i++) {
      results.push(log.append(buildBatch({ recordCount: 2, payload: payloadFor(i, 40) })));
    }
    return results;
  };
  const first = append(10);
  log.checkpoint(true); // recovery point 20, everything synced
  append(5); // offsets 20..29, in the mapping only
  // The writer dies without closing; the same process opens the log again.
  const reopen = () => PartitionLog.open(dir, { ...options, reopenInProcess: true });
  return { storage, options, first, reopen };
}

describe('reopening a log in the process that wrote it', () => {
  it('keeps the tail after the recovery point unsynced until the next flush', async () => {
    const { storage, options, reopen } = setUp();
    const log = reopen();
    expect(log.logEndOffset).toBe(30);
    expect(log.durableOffset).toBe(20);
    expect(await log.flushAsync()).toBe(30);
    storage.crash({ unflushed: 'none' });
    const afterCut = PartitionLog.open(dir, options);
    expect(afterCut.logEndOffset).toBe(30);
    afterCut.close();
  });

  it('a power cut before that flush keeps exactly the durable prefix', () => {
    const { storage, options, reopen } = setUp();
    const log = reopen();
    expect(log.durableOffset).toBe(20);
    storage.crash({ unflushed: 'none' });
    const afterCut = PartitionLog.open(dir, options);
    expect(afterCut.logEndOffset).toBe(20);
    afterCut.close();
  });

  it('still finds damage below the recovery point', () => {
    const { storage, first, reopen } = setUp();
    const path = nodePath.join(dir, '00000000000000000000.log');
    flipBit(storage, path, first[3].bytePosition + 70);
    expect(() => reopen()).toThrow(expect.objectContaining({ code: 'CORRUPT_LOG' }));
  });

  it('still clears a torn tail, and syncs what it kept', () => {
    const { storage, reopen } = setUp();
    const log = reopen();
    const path = nodePath.join(dir, '00000000000000000000.log');
    // A half-written batch at the end: a header's worth of garbage after the last batch.
    const end = log.stats().sizeBytes;
    for (let i = 0; i < 8; i++) flipBit(storage, path, end + i * 8);
    const again = reopen();
    expect(again.recovery.tornTail).toBeDefined();
    expect(again.logEndOffset).toBe(30);
    expect(again.durableOffset).toBe(30);
  });
});
