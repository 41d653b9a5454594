/**
 * A power cut (and a process crash) at every write-like step of a cleaning round — writing the
 * `.cleaned` files, the swap marker, the renames, the marker's removal — then recovery: the log
 * must hold exactly the records it held before the round or exactly those the round leaves,
 * never a mix and never a loss, and appends must go on after it.
 */
import { describe, expect, it } from 'vitest';
import { MambaError } from '../../src/errors.js';
import { MemoryStorage, PartitionLog } from '../../src/segments/index.js';
import { quiet } from './log-harness.js';
import {
  appendUpdates, compactLog, expectedAfterCleaning, readRecords, type StoredRecord,
} from './compaction-harness.js';

const dir = '/data/t-0';
const logOptions = { segmentSizeBytes: 64 * 1024, indexIntervalBytes: 1024, log: quiet };
const stepsMax = 200;

function setUp(): { storage: MemoryStorage; log: PartitionLog; before: StoredRecord[] } {
  const storage = new MemoryStorage();
  const log = PartitionLog.open(dir, { ...logOptions, storage });
  appendUpdates(log, { keyCount: 40, updateCount: 4_000, recordsPerBatch: 10,
    tombstoneEvery: 13, nullKeyEvery: 101 });
  const before = readRecords((from, max) => log.read(from, max));
  // Seal and checkpoint first, so that the cut falls inside the cleaning round itself.
  log.cleanPlan(true);
  return { storage, log, before };
}

describe('a crash at each step of a cleaning round', () => {
  for (const unflushed of ['none', 'all'] as const) {
    it(`leaves the old log or the new one (${unflushed === 'none' ? 'power cut' :
      'process crash'})`, () => {
      const outcomes = { old: 0, new: 0 };
      let completed = false;
      for (let step = 1; step <= stepsMax && !completed; step += 1) {
        const { storage, log, before } = setUp();
        const after = expectedAfterCleaning(before);
        expect(after.length).toBeLessThan(before.length / 10);
        storage.cutPowerAfter(step, { unflushed });
        try {
          const { swapped } = compactLog(log, storage, { rollActive: false });
          expect(swapped).toBe(true);
          completed = true;
        } catch (error) {
          // Only the cut may stop the round.
          if (!(error instanceof MambaError) || !storage.powerOff) throw error;
        }
        if (completed) storage.crash({ unflushed });
        storage.powerOn();
        const reopened = PartitionLog.open(dir, { ...logOptions, storage });
        const records = readRecords((from, max) => reopened.read(from, max));
        const matchesOld = records.length === before.length;
        expect(records, `step ${step}`).toEqual(matchesOld ? before : after);
        outcomes[matchesOld ? 'old' : 'new'] += 1;
        expect(storage.list(dir).filter((name) => name.includes('clean'))).toEqual([]);
        expect(reopened.logEndOffset).toBe(4_000);
        appendUpdates(reopened, { keyCount: 1, updateCount: 5, recordsPerBatch: 5 });
        expect(reopened.logEndOffset).toBe(4_005);
        reopened.close();
      }
      expect(completed).toBe(true);
      // Cuts before the commit point leave the old log, cuts after it the new one.
      expect(outcomes.old).toBeGreaterThan(0);
      expect(outcomes.new).toBeGreaterThan(0);
    });
  }
});
