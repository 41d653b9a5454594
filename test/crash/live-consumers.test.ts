/**
 * The consumer side of the crash test: the live-stream checker finds each kind of violation in
 * hand-made reports and allows what at-least-once delivery allows; the consumer-group reader
 * keeps the record-source contract; and a real run with a live group sees every acknowledged
 * record, while the same kind of run with one record hidden from the harness and one invented
 * fails with exactly those two violations.
 */
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { AckLedger } from '../../src/cli/crash/ack-ledger.js';
import {
  CONSUMED_EPOCH, CONSUMED_FIELDS, CONSUMED_PRODUCER_ID, CONSUMED_SEQUENCE, CONSUMED_SLOT,
  ConsumerGroupSource,
  ConsumptionLedger, runCrashTest, type ConsumedReport, type CrashTestResult,
} from '../../src/cli/crash/index.js';
import type { AckReport } from '../../src/cli/crash/messages.js';
import { encodeValue } from '../../src/cli/crash/record-value.js';
import { tempDir } from '../helpers/temp-dir.js';

const MiB = 1 << 20;

function acks(producerId: number, triples: Array<[number, number, number]>): AckReport {
  return {
    kind: 'acks', producerId, sentCount: triples.length, failedCount: 0, errors: {},
    acks: Float64Array.from(triples.flat()),
  };
}

/** Deliveries as (slot, offset, producer, sequence, sent slot, epoch). */
function consumed(memberId: number, rows: Array<[number, number, number, number, number, number]>,
  reportId = 0): ConsumedReport {
  return {
    kind: 'consumed', memberId, reportId, records: Float64Array.from(rows.flat()),
    assignedCount: 0, revokedCount: 0,
  };
}

function ledgers(): { acked: AckLedger; live: ConsumptionLedger } {
  const acked = new AckLedger(2, 1);
  acked.registerProducers(1, 1, 0);
  acked.addReport(acks(1, [[0, 0, 0], [0, 1, 1], [0, 2, 2], [1, 0, 3]]));
  return { acked, live: new ConsumptionLedger(acked, (slot) => `t-${slot}`) };
}

describe('live consumption checker', () => {
  it('passes a clean stream and counts redeliveries without calling them violations', () => {
    const { live } = ledgers();
    live.addReport(consumed(0, [[0, 0, 1, 0, 0, 1], [0, 1, 1, 1, 0, 1], [1, 0, 1, 3, 1, 2]]));
    // The partition moved to member 1, which starts again from an older commit.
    live.addReport(consumed(1, [[0, 1, 1, 1, 0, 1], [0, 2, 1, 2, 0, 1]]));
    const result = live.check();
    expect(result).toMatchObject({
      consumed: 5, unique: 4, redelivered: 1, acknowledged: 4, unconsumed: 0, unexpected: 0,
      outOfOrder: 0, misplaced: 0, members: 2, violationCount: 0,
    });
  });

  it('finds a missing, an invented, an out-of-order and a misplaced delivery', () => {
    const { live } = ledgers();
    live.addReport(consumed(0, [
      [0, 0, 1, 0, 0, 1],
      [0, 2, 1, 2, 0, 1], // offset 1 skipped within one hold: out of order
      [0, 3, 9, 0, 0, 1], // producer 9 never existed: unexpected
      [0, 4, -1, -1, -1, 1], // not a record of this run: unexpected
      [1, 0, 1, 1, 0, 2], // sequence 1 was sent to slot 0 and acknowledged there: unexpected
      [1, 1, 1, 3, 1, 2], // sequence 3 acknowledged at offset 0, delivered at 1: misplaced
    ]));
    const result = live.check();
    // Sequence 1 (acknowledged at slot 0, offset 1) was never delivered where it belongs.
    expect(result).toMatchObject({
      unconsumed: 1, unexpected: 3, outOfOrder: 1, misplaced: 1, violationCount: 6,
    });
    expect(result.examples.some((line) => line.includes('sequence 1') &&
      line.includes('never consumed'))).toBe(true);
  });

  it('starts order afresh with each hold of a partition, and per member', () => {
    const { live } = ledgers();
    live.addReport(consumed(0, [[0, 1, 1, 1, 0, 1], [0, 2, 1, 2, 0, 1]]));
    live.addReport(consumed(0, [[0, 0, 1, 0, 0, 2], [0, 1, 1, 1, 0, 2]]));
    live.addReport(consumed(1, [[0, 0, 1, 0, 0, 1]]));
    expect(live.check().outOfOrder).toBe(0);
  });

  it('allows a power cut to take unread acks-1 records, and flags records passed over after it',
    () => {
      const acked = new AckLedger(1, 1);
      acked.registerProducers(1, 1, 0);
      acked.addReport(acks(1, [[0, 0, 0], [0, 1, 1], [0, 2, 2]]));
      acked.observeDurable([1]);
      acked.powerCut(0);
      // The next process found the log ending at 1 and the group's commit at 3; its producer
      // wrote offsets 1 to 3 again, and the group resumed at 3.
      acked.registerProducers(2, 1, 1);
      acked.addReport(acks(2, [[0, 1, 0], [0, 2, 1], [0, 3, 2]]));
      const live = new ConsumptionLedger(acked, (slot) => `t-${slot}`);
      live.addStaleCommit(1, 0, 1, 3);
      live.addReport(consumed(0, [[0, 0, 1, 0, 0, 1]]));
      live.addReport(consumed(3, [[0, 3, 2, 2, 0, 1]]));
      const result = live.check();
      expect(result).toMatchObject({
        lostUnflushed: 2, skippedAfterPowerCut: 2, unconsumed: 0, staleCommits: 1,
        violationCount: 2,
      });
    });
});

describe('consumer-group record source', () => {
  it('hands every record over once, each partition in offset order', async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 2 });
    const partitions = 4;
    const perPartition = 3000;
    try {
      await broker.createTopic('t', { partitions, segmentBytes: MiB });
      const producer = broker.producer({ acks: 1 });
      for (let round = 0; round < perPartition / 500; round++) {
        await Promise.all(Array.from({ length: partitions }, (_, partition) =>
          producer.sendBatch('t', Array.from({ length: 500 }, (_, i) => ({
            partition, value: encodeValue(1, {
              producerId: 1, sequence: round * 500 + i, topicIndex: 0, partition,
            }, 32),
          })))));
      }
      await producer.close();
    } finally {
      await broker.close();
    }
    const source = new ConsumerGroupSource();
    const next = new Array<number>(partitions).fill(0);
    let visits = 0;
    await source.readAll({
      dataDir, topicNames: ['t'], partitions, consumers: 3, highWatermarks: [],
    }, (slot, offset, value) => {
      expect(offset).toBe(next[slot]);
      expect(value).not.toBeNull();
      next[slot] = offset + 1;
      visits++;
    });
    expect(next).toEqual(new Array(partitions).fill(perPartition));
    expect(visits).toBe(partitions * perPartition);
    expect(source.stalled).toBe(false);
  });
});

function run(hooks: Parameters<typeof runCrashTest>[1] = {}): Promise<CrashTestResult> {
  return runCrashTest({
    modes: ['throw', 'process'], acks: 1, killEveryMs: 300, durationMs: 3_000, calmMs: 500,
    seed: 77, partitions: 4, producers: 2, consumers: 3, actors: 3, segmentBytes: MiB,
    recordsPerRound: 32,
  }, hooks);
}

describe('crash test with a live consumer group', () => {
  it('catches a record hidden from the harness and one it never sent', async () => {
    // Hide every delivery of producer 1's sequence 0 (sent and acknowledged in the calm phase),
    // and add one delivery of a record from a producer that never existed. The deliveries after
    // a hidden one in the same report go under another epoch (as if the member's hold of the
    // partition had begun again there), so that hiding does not also read as a skipped offset.
    let invented = false;
    const result = await run({
      tamperConsumed: (report) => {
        const rows: number[] = [];
        let hiddenSlot = -1;
        for (let at = 0; at < report.records.length; at += CONSUMED_FIELDS) {
          const row = Array.from(report.records.subarray(at, at + CONSUMED_FIELDS));
          if (row[CONSUMED_PRODUCER_ID] === 1 && row[CONSUMED_SEQUENCE] === 0) {
            hiddenSlot = row[CONSUMED_SLOT];
            continue;
          }
          if (row[CONSUMED_SLOT] === hiddenSlot) row[CONSUMED_EPOCH] = -1 - row[CONSUMED_EPOCH];
          rows.push(...row);
        }
        if (!invented && report.records.length > 0) {
          invented = true;
          rows.push(0, 1e9, 1e6, 0, 0, -1e6);
        }
        return { ...report, records: Float64Array.from(rows) };
      },
    });
    expect(result.consumers).toMatchObject({ unconsumed: 1, unexpected: 1, violationCount: 2 });
    // The log itself is clean: the violations are the live stream's alone.
    expect(result.check.violationCount).toBe(0);
    expect(result.violationCount).toBe(2);
    expect(result.consumers.examples.join('\n')).toContain('sequence 0, acknowledged');
  });
});
