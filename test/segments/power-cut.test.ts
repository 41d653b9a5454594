/**
 * Hundreds of seeded power cuts on the fault-injecting storage: a cut at a random byte of each
 * file's unflushed range, with random bit flips in it. Whatever the damage, reopening must yield
 * exactly the batches that survived intact, in order — the valid prefix when nothing intact
 * follows the damage (a torn tail), or CORRUPT_LOG and, with `repair`, every intact batch —
 * and appends must continue with dense offsets. Flushed batches must always survive.
 */
import { describe, expect, it } from 'vitest';
import nodePath from 'node:path';
import { MambaError } from '../../src/errors.js';
import { MemoryStorage, PartitionLog, segmentFileName } from '../../src/segments/index.js';
import { buildBatch, payloadFor, readAll, seededRandom } from './batch-builder.js';
import { quiet } from './log-harness.js';

const seedCount = 300;
const dir = '/data/t-0';

interface Appended {
  baseOffset: number;
  lastOffset: number;
  path: string;
  bytePosition: number;
  stored: Uint8Array;
}

function runCase(seed: number): void {
  const random = seededRandom(seed);
  const storage = new MemoryStorage();
  const options = {
    storage, segmentSizeBytes: 64 * 1024, indexIntervalBytes: 512, log: quiet,
  };
  const log = PartitionLog.open(dir, options);
  const appended: Appended[] = [];
  const appendCount = 20 + Math.floor(random() * 120);
  for (let i = 0; i < appendCount; i += 1) {
    const payloadSizeBytes = 7 + Math.floor(random() * 1500);
    const recordCount = 1 + Math.floor(random() * Math.floor(payloadSizeBytes / 7));
    const result = log.append(buildBatch({
      recordCount, payload: payloadFor(seed * 1000 + i, payloadSizeBytes),
      producerId: 1, producerEpoch: 0, baseSequence: result0(appended),
    }));
    appended.push({
      baseOffset: result.baseOffset, lastOffset: result.lastOffset,
      path: nodePath.join(dir, segmentFileName(result.segmentBaseOffset, '.log')),
      bytePosition: result.bytePosition,
      stored: log.read(result.baseOffset, 1).slice(),
    });
    const dice = random();
    if (dice < 0.08) log.flush();
    else if (dice < 0.1) log.checkpoint();
  }
  const durableOffset = log.durableOffset;
  const unflushed = (['none', 'all', 'randomPrefix', 'randomPrefix'] as const)[
    Math.floor(random() * 4)];
  storage.crash({ unflushed, bitFlipCount: Math.floor(random() * 4), random });

  const state = appended.map((batch) => survived(storage, batch));
  appended.forEach((batch, i) => {
    if (batch.lastOffset < durableOffset) expect(state[i], `flushed batch ${i}`).toBe('intact');
  });
  // A batch whose only damage is its base offset (not covered by the CRC) right after an intact
  // batch of the same segment is restamped by recovery: it counts as intact.
  const intact: boolean[] = [];
  state.forEach((s, i) => {
    intact.push(s === 'intact' || (s === 'offset-only' && i > 0 && intact[i - 1] &&
      appended[i - 1].path === appended[i].path));
  });
  const firstLost = intact.indexOf(false);
  const suffixSurvives = firstLost >= 0 && intact.slice(firstLost).includes(true);

  let reopened: PartitionLog;
  if (suffixSurvives) {
    expect(() => PartitionLog.open(dir, options)).toThrow(MambaError);
    reopened = PartitionLog.open(dir, { ...options, repair: true });
    expect(reopened.recovery.lostRanges.length).toBeGreaterThan(0);
  } else {
    reopened = PartitionLog.open(dir, options);
  }
  const kept = appended.filter((_, i) =>
    intact[i] && (suffixSurvives || i < firstLost || firstLost < 0));
  const got = readAll((from, max) => reopened.read(from, max), 0)
    .filter((batch) => batch.recordCount > 0);
  expect(got.map((b) => b.baseOffset)).toEqual(kept.map((b) => b.baseOffset));
  for (let i = 0; i < kept.length; i += 1) {
    const storedPayload = Buffer.from(kept[i].stored.subarray(61));
    expect(Buffer.from(got[i].payload).equals(storedPayload)).toBe(true);
  }
  const expectedEnd = kept.length === 0 ? 0 : kept[kept.length - 1].lastOffset + 1;
  expect(reopened.logEndOffset).toBe(expectedEnd);
  const next = reopened.append(buildBatch({ recordCount: 2, payload: payloadFor(seed, 40) }));
  expect(next.baseOffset).toBe(expectedEnd);
  reopened.close();
  const again = PartitionLog.open(dir, options);
  expect(again.logEndOffset).toBe(expectedEnd + 2);
  again.close();
}

/** Sequences continue per producer; the value only needs to be plausible here. */
function result0(appended: Appended[]): number {
  return appended.length === 0 ? 0 : appended[appended.length - 1].lastOffset + 1;
}

/** Whether a batch's stored bytes are all there after the crash, or all but its offset. */
function survived(storage: MemoryStorage, batch: Appended): 'intact' | 'offset-only' | 'lost' {
  const file = storage.readFile(batch.path);
  if (file === undefined) return 'lost';
  const now = Buffer.from(
    file.subarray(batch.bytePosition, batch.bytePosition + batch.stored.length));
  const stored = Buffer.from(batch.stored);
  if (now.equals(stored)) return 'intact';
  return now.subarray(8).equals(stored.subarray(8)) ? 'offset-only' : 'lost';
}

describe('recovery after seeded power cuts', () => {
  it(`yields exactly the intact batches in ${seedCount} cases`, () => {
    for (let seed = 1; seed <= seedCount; seed += 1) {
      try {
        runCase(seed);
      } catch (error) {
        throw new Error(`seed ${seed}: ${(error as Error).message}`, { cause: error });
      }
    }
  });
});
