/**
 * `mamba crash-test --dead-letters`: a group whose handler always fails for a seeded subset of
 * the records (one retry, then `<topic>.DLQ`) runs beside the workload under process kills
 * (SIGKILL of the broker process, mid dead-letter step included) and actor kills, and the
 * dead-letter checker finds each acknowledged failing record in the DLQ exactly once.
 */
import { describe, expect, it } from 'vitest';
import { runCrashTest } from '../../src/cli/crash/index.js';
import { MiB } from '../../src/constants.js';

describe('crash test with dead letters', () => {
  it('dead-letters every acknowledged failing record exactly once, across kills', async () => {
    const result = await runCrashTest({
      modes: ['process', 'throw', 'terminate'], acks: 1, killEveryMs: 700, durationMs: 4_000,
      calmMs: 500, seed: 1414, partitions: 2, producers: 1, consumers: 1, actors: 2,
      segmentBytes: MiB, recordsPerRound: 32, deadLetters: true,
    });
    const dlq = result.deadLetters!;
    const detail = [...dlq.examples, ...result.failures, ...result.check.examples].join('\n');
    expect(result.kills.process, 'the run killed the broker process').toBeGreaterThan(0);
    expect(dlq.stepKills, 'a kill landed inside a dead-letter step').toBeGreaterThan(0);
    // Enough failing records went through the dead-letter path to exercise it (beside another
    // test file in CI a run acknowledges 13-15 of them; alone, 35-46).
    expect(dlq.acknowledgedFailing).toBeGreaterThan(5);
    expect(dlq, detail).toMatchObject({
      missing: 0, twice: 0, wrong: 0, misplaced: 0, unexpected: 0,
    });
    expect(dlq.letters).toBe(dlq.acknowledgedFailing - dlq.lostUnflushed +
      dlq.unacknowledgedFound);
    expect(result.violationCount, detail).toBe(0);
  });

  it('refuses a dead-letters option that is not a boolean', async () => {
    await expect(runCrashTest({ deadLetters: 1 as unknown as boolean })).rejects
      .toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
