import { describe, expect, it } from 'vitest';
import {
  DeliveredSet, TIMING_WHEEL_SLOT_SIZE_BYTES, TimingWheel,
} from '../../src/delay/index.js';
import { delayMsMax } from '../../src/constants.js';

/** A seeded PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('TimingWheel', () => {
  it('fires every slot at its due time, never before, across all four levels', () => {
    const random = prng(7);
    const startMs = 1_700_000_000_123;
    const wheel = new TimingWheel(startMs);
    const due = new Map<number, number>();
    const spans = [200, 60_000, 3_600_000, delayMsMax];
    for (let i = 0; i < 5_000; i++) {
      const dueMs = startMs + Math.floor(random() * spans[i % spans.length]);
      due.set(i, dueMs);
      wheel.add(dueMs, i);
    }
    const fired = new Map<number, number>();
    let nowMs = startMs;
    // Walk the clock by the wheel's own next-wake hints, plus random jumps.
    while (wheel.pendingCount > 0) {
      const wakeMs = wheel.nextWakeMs();
      expect(wakeMs).toBeDefined();
      nowMs = Math.max(nowMs, wakeMs!) + (random() < 0.1 ? Math.floor(random() * 5) : 0);
      wheel.advance(nowMs, (offset, dueMs) => {
        expect(dueMs).toBe(due.get(offset));
        expect(fired.has(offset)).toBe(false);
        fired.set(offset, nowMs);
      });
    }
    expect(fired.size).toBe(due.size);
    let lateMsMax = 0;
    for (const [offset, atMs] of fired) {
      expect(atMs).toBeGreaterThanOrEqual(due.get(offset)!);
      lateMsMax = Math.max(lateMsMax, atMs - due.get(offset)!);
    }
    // Following its hints with at most 4 ms of jitter, nothing fires later than the jitter.
    expect(lateMsMax).toBeLessThanOrEqual(4);
  });

  it('fires slots due in the past at the next advance, and handles a long idle jump', () => {
    const wheel = new TimingWheel(10_000);
    wheel.add(5_000, 1);
    wheel.add(10_000, 2);
    wheel.add(10_001, 3);
    wheel.add(10_000 + 90_000_000, 4);
    const fired: number[] = [];
    wheel.advance(10_000, (offset) => fired.push(offset));
    expect(fired.sort()).toEqual([1, 2]);
    wheel.advance(10_000 + 90_000_000 - 1, (offset) => fired.push(offset));
    expect(fired).toEqual([1, 2, 3]);
    wheel.advance(10_000 + 90_000_000, (offset) => fired.push(offset));
    expect(fired).toEqual([1, 2, 3, 4]);
    expect(wheel.pendingCount).toBe(0);
    expect(wheel.nextWakeMs()).toBeUndefined();
  });

  it('keeps 100 k pending messages in compact slots (bounded memory)', () => {
    const wheel = new TimingWheel(0);
    for (let i = 0; i < 100_000; i++) wheel.add(1 + (i * 7919) % 2_000_000_000, i);
    expect(wheel.pendingCount).toBe(100_000);
    // Slots grow by doubling: at most twice the live slots, 20 bytes each, plus the buckets.
    const bucketBytes = 256 * 4 * 4 + 64;
    expect(wheel.memoryBytes).toBeLessThanOrEqual(2 * 100_000 * TIMING_WHEEL_SLOT_SIZE_BYTES +
      bucketBytes);
    const before = wheel.memoryBytes;
    let fired = 0;
    wheel.advance(2_000_000_001, () => { fired++; });
    expect(fired).toBe(100_000);
    // Freed slots are reused: another 100 k costs nothing more.
    for (let i = 0; i < 100_000; i++) wheel.add(3_000_000_000 + i, i);
    expect(wheel.memoryBytes).toBe(before);
  });
});

describe('DeliveredSet', () => {
  it('tracks done offsets out of order and moves its low offset over done prefixes', () => {
    const set = new DeliveredSet();
    for (const offset of [3, 1, 2, 100, 64]) set.add(offset);
    expect(set.lowOffset).toBe(0);
    set.add(0);
    expect(set.lowOffset).toBe(4);
    expect(set.has(100)).toBe(true);
    expect(set.has(99)).toBe(false);
    const { lowOffset, bits } = set.snapshot();
    const again = new DeliveredSet(lowOffset, bits);
    expect(again.has(64)).toBe(true);
    expect(again.has(100)).toBe(true);
    expect(again.has(5)).toBe(false);
    again.truncate(80);
    expect(again.has(100)).toBe(false);
    expect(again.has(64)).toBe(true);
  });

  it('shrinks its bitmap as the low offset passes (memory follows the pending span)', () => {
    const set = new DeliveredSet();
    for (let offset = 0; offset < 1_000_000; offset++) set.add(offset);
    expect(set.lowOffset).toBe(1_000_000);
    expect(set.memoryBytes).toBeLessThanOrEqual(64 * 4);
  });
});
