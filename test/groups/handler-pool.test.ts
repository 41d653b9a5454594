import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HandlerPool } from '../../src/client/handler-pool.js';
import type { HandlerRecord } from '../../src/client/handler-pool.js';
import { packBatch, unpackMessage } from '../../src/client/handler-task.js';
import { OffsetTracker } from '../../src/client/offset-tracker.js';
import { MambaError } from '../../src/errors.js';

// The pool's worker entry loads from dist/: run `npx tsc -p tsconfig.build.json` first.
const handler = new URL('./fixtures/ordered-handler.mjs', import.meta.url);
const encoder = new TextEncoder();

function shared(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}

function records(partition: number, from: number, count: number,
  value: (offset: number) => string = (o) => `v${partition}-${o}`): HandlerRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    offset: from + i, timestamp: 1_700_000_000_000 + i,
    key: i % 3 === 0 ? null : encoder.encode(`k${i}`),
    value: encoder.encode(value(from + i)),
    headers: i % 4 === 0 ? { h: 'x' } : undefined,
  }));
}

describe('handler task packing', () => {
  it('round-trips keys, values, nulls and headers', () => {
    fc.assert(fc.property(fc.array(fc.record({
      key: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
      value: fc.option(fc.uint8Array({ maxLength: 50 }), { nil: null }),
      headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }),
        fc.uint8Array({ maxLength: 8 }), { maxKeys: 3 }),
    }), { minLength: 1, maxLength: 20 }), (input) => {
      const recs = input.map((r, i) => ({ ...r, offset: 100 + i, timestamp: i }));
      const task = structuredClone(packBatch('t', 3, recs));
      recs.forEach((r, i) => {
        const m = unpackMessage(task, i);
        expect(m).toMatchObject({ topic: 't', partition: 3, offset: 100 + i, timestamp: i });
        expect(m.key === null ? null : [...m.key]).toEqual(r.key === null ? null : [...r.key]);
        expect(m.value === null ? null : [...m.value])
          .toEqual(r.value === null ? null : [...r.value]);
        expect(Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, [...v]])))
          .toEqual(Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, [...v]])));
      });
    }), { numRuns: 100 });
  });
});

describe('OffsetTracker', () => {
  it('commits only past a prefix that completed, in any completion order', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer(), (count, seed) => {
      const tracker = new OffsetTracker();
      const offsets = Array.from({ length: count }, (_, i) => 10 + i);
      tracker.begin(offsets);
      const rank = (o: number) => (o * 7919 + seed) % 97;
      const order = [...offsets].sort((a, b) => rank(a) - rank(b));
      const done = new Set<number>();
      for (const offset of order) {
        tracker.complete(offset);
        done.add(offset);
        let expected = 10;
        while (done.has(expected)) expected++;
        expect(tracker.committable()).toBe(expected === 10 ? undefined : expected);
      }
      expect(tracker.pendingCount()).toBe(0);
    }));
  });
});

describe('HandlerPool', () => {
  it('keeps order per partition, runs partitions in parallel, and commits all', async () => {
    const partitions = 6;
    const progress = shared(partitions);
    const stats = shared(3);
    const committable = new Map<number, number>();
    const pool = await HandlerPool.create({
      handler, concurrency: 3, handlerData: { progress, stats, attempts: shared(1) },
      onCommittable: (_t, p, offset) => committable.set(p, offset),
    });
    try {
      const work: Promise<void>[] = [];
      for (let batch = 0; batch < 5; batch++) {
        for (let p = 0; p < partitions; p++) {
          work.push(pool.process('t', p, records(p, batch * 40, 40)));
        }
      }
      await Promise.all(work);
      expect(stats[1]).toBe(0);
      expect(stats[0]).toBe(partitions * 200);
      for (let p = 0; p < partitions; p++) {
        expect(progress[p]).toBe(200);
        expect(pool.committable('t', p)).toBe(200);
        expect(committable.get(p)).toBe(200);
      }
    } finally {
      await pool.close();
    }
  });

  it('retries a failing record, then fails the partition without committing past it', async () => {
    const progress = shared(2);
    const stats = shared(3);
    const attempts = shared(64);
    const pool = await HandlerPool.create({
      handler, concurrency: 2, maxAttempts: 3, retryBackoffMsMin: 1, retryBackoffMsMax: 2,
      handlerData: { progress, stats, attempts },
    });
    try {
      // Partition 0: offset 5 fails twice, then succeeds on the third attempt.
      await pool.process('t', 0, records(0, 0, 10, (o) => (o === 5 ? 'flaky' : `v0-${o}`)));
      expect(pool.committable('t', 0)).toBe(10);
      expect(attempts[5]).toBe(3);
      // Partition 1: offset 12 always fails; 0..11 commit, nothing after.
      const failing = pool.process('t', 1,
        records(1, 0, 20, (o) => (o === 12 ? 'poison' : `v1-${o}`)));
      const later = pool.process('t', 1, records(1, 20, 5));
      const error = await failing.catch((e: unknown) => e);
      expect(MambaError.is(error, 'HANDLER_FAILED')).toBe(true);
      expect((error as MambaError).detail).toMatchObject({ topic: 't', partition: 1, offset: 12,
        attempts: 3 });
      await expect(later).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
      expect(pool.committable('t', 1)).toBe(12);
      expect(progress[1]).toBe(12);
      await expect(pool.process('t', 1, records(1, 25, 1))).rejects.toMatchObject({
        code: 'HANDLER_FAILED' });
      // Other partitions are unaffected, and a reset partition starts again.
      await pool.resetPartition('t', 1);
      progress[1] = 30;
      await pool.process('t', 1, records(1, 30, 3));
      expect(pool.committable('t', 1)).toBe(33);
      expect(stats[1]).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('refuses an invalid handler module with INVALID_HANDLER', async () => {
    for (const bad of [new URL('./fixtures/not-a-function.mjs', import.meta.url),
      new URL('./fixtures/does-not-exist.mjs', import.meta.url)]) {
      await expect(HandlerPool.create({ handler: bad, concurrency: 1 }))
        .rejects.toMatchObject({ code: 'INVALID_HANDLER' });
    }
    await expect(HandlerPool.create({ handler, concurrency: 0 }))
      .rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
