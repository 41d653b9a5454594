/**
 * Consumer filters (issue 13): header and key conditions, and the SQL subset, evaluated on the
 * record bytes; records filtered out count as consumed.
 */
import { describe, expect, it } from 'vitest';
import { MambaError } from '../../src/index.js';
import { encodeBatch, forEachRecord, type RecordInput } from '../../src/records/index.js';
import { compileFilter } from '../../src/client/record-filter.js';
import { openBroker } from '../consumer/helpers.js';

const encoder = new TextEncoder();

function record(key: string | null, headers: Record<string, string>): RecordInput {
  return {
    key: key === null ? null : encoder.encode(key), value: encoder.encode('v'),
    headers: Object.entries(headers).map(([n, v]) => [n, encoder.encode(v)]),
  };
}

/** Which of the records the filter keeps, evaluated on an encoded batch's record views. */
function kept(filter: unknown, records: RecordInput[]): number[] {
  const predicate = compileFilter(filter);
  const bytes = encodeBatch(records);
  const out: number[] = [];
  forEachRecord(bytes, 0, (view) => { if (predicate(view)) out.push(view.offset); });
  return out;
}

const orders = [
  record('vip-1', { type: 'order', amount: '150', region: 'eu' }),
  record('std-2', { type: 'order', amount: '50', region: 'us' }),
  record('vip-3', { type: 'refund', amount: '500', region: 'asia' }),
  record(null, { type: 'order', amount: 'lots', region: 'eu' }),
  record('std-5', { type: 'order', amount: '101' }),
];

describe('filter conditions', () => {
  it('match headers against a value or one of several, and the key by prefix', () => {
    expect(kept({ headers: { type: 'order' } }, orders)).toEqual([0, 1, 3, 4]);
    expect(kept({ headers: { type: 'order', region: ['eu', 'us'] } }, orders))
      .toEqual([0, 1, 3]);
    expect(kept({ key: { prefix: 'vip-' } }, orders)).toEqual([0, 2]);
    expect(kept({ key: ['std-2', 'std-5'] }, orders)).toEqual([1, 4]);
    expect(kept({ headers: { region: 'eu' }, key: { prefix: 'vip-' } }, orders)).toEqual([0]);
  });

  it('are validated', () => {
    for (const bad of [{}, { header: {} }, { headers: { a: [] } }, { key: { starts: 'x' } }, 5]) {
      expect(() => compileFilter(bad)).toThrowError(expect.objectContaining({
        code: 'INVALID_CONFIG' }) as Error);
    }
  });
});

describe('filter expressions', () => {
  it('evaluate AND, OR, NOT, parentheses, IN, IS NULL, BETWEEN and numeric comparisons', () => {
    expect(kept("type = 'order' AND amount > 100 AND region IN ('eu','us')", orders))
      .toEqual([0]);
    expect(kept("type = 'refund' OR (region = 'us' AND amount <= 50)", orders)).toEqual([1, 2]);
    expect(kept("NOT type = 'order'", orders)).toEqual([2]);
    expect(kept('region IS NULL', orders)).toEqual([4]);
    expect(kept('region IS NOT NULL AND key IS NULL', orders)).toEqual([3]);
    expect(kept('amount BETWEEN 100 AND 200', orders)).toEqual([0, 4]);
    expect(kept("key <> 'vip-1' AND amount >= 101", orders)).toEqual([2, 4]);
    expect(kept("region NOT IN ('eu')", orders)).toEqual([1, 2]);
    expect(kept("\"type\" != 'order'", orders)).toEqual([2]);
    // A header that is not a number matches no numeric comparison.
    expect(kept('amount < 1000000', orders)).toEqual([0, 1, 2, 4]);
  });

  it('reject a bad expression with INVALID_CONFIG at the bad token', () => {
    const cases: Array<[string, number, string]> = [
      ["type = 'order' AND", 18, 'end of filter'],
      ["type = 'order' amount", 15, "'amount'"],
      ['region IN (eu)', 11, "'eu'"],
      ["type = 'x' AND (a = 1", 21, 'end of filter'],
      ['a # 1', 2, "'#'"],
      ['a IS 5', 5, "'5'"],
    ];
    for (const [expression, position, token] of cases) {
      let error: unknown;
      try {
        compileFilter(expression);
      } catch (e) {
        error = e;
      }
      expect(MambaError.is(error, 'INVALID_CONFIG')).toBe(true);
      expect((error as MambaError).detail).toMatchObject({ position });
      expect((error as MambaError).message).toContain(`unexpected ${token} at position ` +
        `${position}`);
    }
  });
});

describe('a filtered subscription', () => {
  it('hands out only matching records and commits past the others', async () => {
    const broker = await openBroker();
    try {
      await broker.createTopic('orders', { partitions: 1 });
      const producer = broker.producer({ acks: 1 });
      await producer.sendBatch('orders', Array.from({ length: 100 }, (_, i) => ({
        key: i % 10 === 0 ? `vip-${i}` : `std-${i}`, value: `v${i}`,
        headers: { type: i % 2 === 0 ? 'order.created' : 'order.paid' },
      })));
      await producer.close();
      const consumer = broker.consumer({ groupId: 'g', fromBeginning: true });
      await consumer.subscribe('orders', { filter: { headers: { type: 'order.created' },
        key: { prefix: 'vip-' } } });
      const seen: number[] = [];
      for await (const m of consumer) {
        seen.push(m.offset);
        if (m.offset === 90) break;
      }
      expect(seen).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
      await consumer.commit([{ topic: 'orders', partition: 0, offset: 91 }]);
      // The rest of the log holds no match: run consumes it all and commits its end.
      const rest = broker.consumer({ groupId: 'g' });
      await rest.subscribe('orders', { filter: "type = 'order.created' AND key = 'none'" });
      await consumer.close();
      let handled = 0;
      const running = rest.run({ eachMessage: () => { handled++; } });
      const deadline = Date.now() + 10_000;
      while (broker.committedOffset('g', 'orders', 0) !== 100 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(broker.committedOffset('g', 'orders', 0)).toBe(100);
      expect(handled).toBe(0);
      expect(rest.lag()[0]).toMatchObject({ lag: 0, filteredCount: 9 });
      await rest.close();
      await running;
      const error = await broker.consumer().subscribe('orders', { filter: 'type =' })
        .then(() => undefined, (e: unknown) => e);
      expect(MambaError.is(error, 'INVALID_CONFIG')).toBe(true);
    } finally {
      await broker.close();
    }
  });
});
