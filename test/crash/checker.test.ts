/**
 * The checker and its parts, without a broker: each violation kind is detected on a hand-made
 * log, the power-cut allowance applies only where it should, the schedule is a function of its
 * seed, and power-cut damage stays inside the unflushed tail.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/records/index.js';
import { PartitionLog } from '../../src/segments/index.js';
import { AckLedger } from '../../src/cli/crash/ack-ledger.js';
import { ChaosSchedule } from '../../src/cli/crash/chaos-schedule.js';
import { checkRecords } from '../../src/cli/crash/checker.js';
import { ACK_FIELDS, type AckReport } from '../../src/cli/crash/messages.js';
import type { RecordSource, WorkloadLayout } from '../../src/cli/crash/record-source.js';
import { decodeIdentity, encodeValue, valueProblem } from '../../src/cli/crash/record-value.js';
import { damageUnflushedTail } from '../../src/cli/crash/torn-tail.js';
import { LogFileSource } from '../../src/cli/crash/log-file-source.js';
import { tempDir } from '../helpers/temp-dir.js';

const runId = 0xabcd_1234;
const layout: WorkloadLayout = {
  dataDir: '', topicNames: ['t'], partitions: 2, consumers: 1, highWatermarks: [],
};

function value(producerId: number, sequence: number, partition = 0): Uint8Array {
  return encodeValue(runId, { producerId, sequence, topicIndex: 0, partition }, 40);
}

function acks(producerId: number, triples: Array<[number, number, number]>): AckReport {
  return {
    kind: 'acks', producerId, sentCount: triples.length, failedCount: 0, errors: {},
    acks: Float64Array.from(triples.flat()),
  };
}

/** A source over a fixed list of (slot, offset, value). */
function source(records: Array<[number, number, Uint8Array | null]>): RecordSource {
  return {
    name: 'fixed',
    readAll: async (_layout, visit) => {
      for (const [slot, offset, bytes] of records) visit(slot, offset, bytes);
    },
  };
}

describe('record values', () => {
  it('round-trip their identity and reject a flipped bit', () => {
    const bytes = value(7, 123_456, 1);
    expect(valueProblem(bytes, runId)).toBeUndefined();
    expect(decodeIdentity(bytes)).toEqual(
      { producerId: 7, sequence: 123_456, topicIndex: 0, partition: 1 });
    expect(valueProblem(bytes, runId + 1)).toBe('from another run');
    bytes[25] ^= 0x10;
    expect(valueProblem(bytes, runId)).toBe('bad checksum');
  });
});

describe('checker', () => {
  it('finds every kind of violation in a damaged log', async () => {
    const ledger = new AckLedger(2, 1);
    ledger.registerProducers(1, 1, 0);
    ledger.addReport(acks(1, [[0, 0, 0], [0, 1, 1], [0, 2, 2], [0, 3, 3], [0, 4, 4]]));
    expect(ACK_FIELDS).toBe(3);
    const result = await checkRecords(ledger, source([
      [0, 0, value(1, 0)],
      [0, 1, value(1, 1)],
      [0, 2, value(1, 1)], // duplicate of sequence 1
      [0, 3, value(1, 3)],
      [0, 4, value(1, 2)], // sequence 2 after 3, and not where it was acknowledged
      [0, 6, value(9, 0)], // offset 5 missing; producer 9 never existed
      [0, 7, new Uint8Array(40)], // not a record of this run
      [1, 0, value(1, 5, 0)], // sent to partition 0, stored in partition 1
    ]), layout, runId);
    // Sequence 4 was acknowledged at offset 4 and is nowhere: lost.
    expect(result.totals).toMatchObject({
      lost: 1, duplicated: 1, reordered: 1, misplaced: 1, offsetGaps: 1, unexpected: 3,
      lostUnflushed: 0, acknowledged: 5, stored: 8,
    });
    expect(result.violationCount).toBe(8);
    expect(result.examples.some((line) => line.includes('sequence 4') && line.includes('lost')))
      .toBe(true);
  });

  it('allows losing acks-1 records past the durable offset of a power cut, and no others',
    async () => {
      const ledger = new AckLedger(2, 1);
      ledger.registerProducers(1, 1, 0);
      ledger.addReport(acks(1, [[0, 0, 0], [0, 1, 1], [0, 2, 2], [0, 3, 3]]));
      ledger.observeDurable([2, 0]);
      ledger.powerCut(0);
      ledger.registerProducers(2, 1, 1);
      ledger.addReport(acks(2, [[0, 2, 0]]));
      // After the cut the log kept offsets 0 and 1, and the next process wrote offset 2 anew.
      const stored = source([[0, 0, value(1, 0)], [0, 1, value(1, 1)], [0, 2, value(2, 0)]]);
      const result = await checkRecords(ledger, stored, layout, runId);
      expect(result.totals).toMatchObject({ lost: 0, lostUnflushed: 2, misplaced: 0 });
      expect(result.violationCount).toBe(0);

      // The same loss below the durable offset is a violation.
      const belowDurable = source([[0, 0, value(1, 0)], [0, 1, value(2, 0)]]);
      const strict = new AckLedger(2, 1);
      strict.registerProducers(1, 1, 0);
      strict.addReport(acks(1, [[0, 0, 0], [0, 1, 1]]));
      strict.observeDurable([2, 0]);
      strict.powerCut(0);
      strict.registerProducers(2, 1, 1);
      const verdict = await checkRecords(strict, belowDurable, layout, runId);
      expect(verdict.totals.lost).toBe(1);
    });

  it('never allows a loss with acks all, power cut or not', async () => {
    const ledger = new AckLedger(2, 'all');
    ledger.registerProducers(1, 1, 0);
    ledger.addReport(acks(1, [[0, 0, 0], [0, 1, 1]]));
    ledger.powerCut(0);
    const result = await checkRecords(ledger, source([[0, 0, value(1, 0)]]), layout, runId);
    expect(result.totals).toMatchObject({ lost: 1, lostUnflushed: 0 });
  });
});

describe('chaos schedule', () => {
  it('is the same sequence for the same seed, and another for another seed', () => {
    const steps = (seed: number) => {
      const schedule = new ChaosSchedule(seed, 500, ['terminate', 'process', 'torn']);
      return Array.from({ length: 50 }, () => schedule.next());
    };
    expect(steps(42)).toEqual(steps(42));
    expect(steps(43)).not.toEqual(steps(42));
    const waits = steps(42).map((step) => step.waitMs);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(250);
    expect(Math.max(...waits)).toBeLessThanOrEqual(750);
    expect(new Set(steps(42).map((step) => step.mode)).size).toBe(3);
  });
});

describe('power-cut damage', () => {
  it.each(['zero', 'garbage'] as const)('%s: only the unflushed tail, file size kept, ' +
    'recovery keeps the durable prefix', (kind) => {
    const dir = path.join(tempDir(), 'p-0');
    const log = PartitionLog.open(dir, { segmentSizeBytes: 1 << 20, log: () => undefined });
    const batch = (n: number) => encodeBatch(
      Array.from({ length: 10 }, (_, i) => ({ value: value(1, n * 10 + i) })));
    for (let n = 0; n < 20; n++) log.append(batch(n));
    const durableOffset = log.flush();
    const durableEnd = log.sizeBytes();
    for (let n = 20; n < 40; n++) log.append(batch(n));
    const logEndOffset = log.logEndOffset;
    const file = path.join(dir, '00000000000000000000.log');
    const before = fs.readFileSync(file);

    const damage = damageUnflushedTail(dir, durableOffset, kind, 99);
    expect(damage).toBeDefined();
    const after = fs.readFileSync(file);
    expect(after.length).toBe(before.length);
    expect(damage!.unflushedBytePosition).toBe(durableEnd);
    expect(damage!.bytePosition).toBeGreaterThanOrEqual(durableEnd);
    expect(after.subarray(0, damage!.bytePosition).equals(before.subarray(0, damage!.bytePosition)))
      .toBe(true);
    expect(after.subarray(damage!.bytePosition, damage!.bytePositionEnd)
      .equals(before.subarray(damage!.bytePosition, damage!.bytePositionEnd))).toBe(false);

    const reopened = PartitionLog.open(dir, { segmentSizeBytes: 1 << 20, log: () => undefined });
    expect(reopened.logEndOffset).toBeGreaterThanOrEqual(durableOffset);
    expect(reopened.logEndOffset).toBeLessThan(logEndOffset);
    reopened.close();
  });

  it('leaves a fully flushed log alone', () => {
    const dir = path.join(tempDir(), 'p-0');
    const log = PartitionLog.open(dir, { segmentSizeBytes: 1 << 20, log: () => undefined });
    log.append(encodeBatch([{ value: value(1, 0) }]));
    const durableOffset = log.flush();
    log.close();
    expect(damageUnflushedTail(dir, durableOffset, 'zero', 1)).toBeUndefined();
  });
});

describe('the log-file source', () => {
  /** Every file of `dir` with its bytes, to tell whether anything was written. */
  function snapshot(dir: string): Map<string, Buffer> {
    return new Map(fs.readdirSync(dir).sort().map((name) =>
      [name, fs.readFileSync(path.join(dir, name))]));
  }

  it('reads the valid prefix of a torn log without recovering it or writing anything', async () => {
    const dataDir = tempDir();
    const dir = path.join(dataDir, 't-0');
    const log = PartitionLog.open(dir, { segmentSizeBytes: 1 << 20, log: () => undefined });
    const batch = (n: number) => encodeBatch(
      Array.from({ length: 10 }, (_, i) => ({ value: value(1, n * 10 + i) })));
    for (let n = 0; n < 20; n++) log.append(batch(n));
    const durableOffset = log.flush();
    log.checkpoint();
    for (let n = 20; n < 40; n++) log.append(batch(n));
    // A process crash: no close, so no final checkpoint; then a torn write in the tail.
    expect(damageUnflushedTail(dir, durableOffset, 'garbage', 7)).toBeDefined();
    const before = snapshot(dir);

    const offsets: number[] = [];
    await new LogFileSource().readAll({ ...layout, dataDir, partitions: 1 },
      (slot, offset, bytes) => {
        expect(slot).toBe(0);
        expect(valueProblem(bytes, runId)).toBeUndefined();
        offsets.push(offset);
      });
    expect(offsets.length).toBeGreaterThanOrEqual(durableOffset);
    expect(offsets.length).toBeLessThan(400);
    expect(offsets).toEqual(offsets.map((_, i) => i));
    // Not one byte changed: the torn tail is still there and no checkpoint was written.
    const after = snapshot(dir);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [name, bytes] of before) expect(after.get(name)!.equals(bytes), name).toBe(true);
  });
});
