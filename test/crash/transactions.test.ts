/**
 * `mamba crash-test --transactions`: consume-transform-produce workers (read_committed input,
 * derived records to two output topics, the input's offsets sent and committed in the same
 * transaction) run beside the workload under process kills aimed inside transactions
 * (between sends, between sendOffsets and commit, after Prepare, after a marker) and actor
 * kills; the checker finds every transaction all-or-nothing, every input's outputs exactly
 * once, and no record of an aborted transaction handed to a read_committed reader.
 */
import { describe, expect, it } from 'vitest';
import { runCrashTest } from '../../src/cli/crash/index.js';
import { MiB } from '../../src/constants.js';

describe('crash test with transactions', () => {
  it('keeps transactions atomic and outputs exactly once, across kills', async () => {
    const result = await runCrashTest({
      modes: ['process', 'throw', 'terminate'], acks: 1, killEveryMs: 600, durationMs: 6_000,
      calmMs: 0, seed: 1616, partitions: 2, producers: 1, consumers: 1, actors: 2,
      segmentBytes: MiB, recordsPerRound: 16, transactions: true,
    });
    const txn = result.transactions!;
    const detail = [...txn.examples, ...result.failures, ...result.check.examples].join('\n');
    const stepKills = Object.values(txn.stepKills).reduce((sum, n) => sum + n, 0);
    expect(result.kills.process, 'the run killed the broker process').toBeGreaterThan(0);
    expect(stepKills, `kills inside a transaction: ${JSON.stringify(txn.stepKills)}`)
      .toBeGreaterThan(0);
    expect(txn.committedTransactions).toBeGreaterThan(20);
    expect(txn.abortedRecords, 'some transactions were cut short and aborted')
      .toBeGreaterThan(0);
    expect(txn, detail).toMatchObject({
      partial: 0, duplicated: 0, missing: 0, misplaced: 0, orphan: 0, openAtEnd: 0,
      liveAbortedSeen: 0, finalAbortedSeen: 0, finalCommittedUnseen: 0, inputLost: 0,
      inputDuplicated: 0, unexpected: 0,
    });
    expect(txn.inputStored).toBeGreaterThanOrEqual(txn.inputAcknowledged);
    expect(txn.finalSeen).toBe(txn.committedRecords);
    expect(txn.liveSeen).toBeGreaterThan(0);
    expect(result.violationCount, detail).toBe(0);
  }, 60_000);
});
