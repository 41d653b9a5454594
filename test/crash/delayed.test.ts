/**
 * `mamba crash-test --delayed`: delayed messages in the workload, process kills (SIGKILL of
 * the broker process) and actor kills, and the delayed checker: every acknowledged delayed
 * message delivered once to a fresh group, never stored before its due time.
 */
import { describe, expect, it } from 'vitest';
import { runCrashTest } from '../../src/cli/crash/index.js';
import { MiB } from '../../src/constants.js';

describe('crash test with delayed messages', () => {
  it('delivers every acknowledged delayed message once, not early, across kills', async () => {
    const result = await runCrashTest({
      modes: ['process', 'throw'], acks: 1, killEveryMs: 700, durationMs: 4_000, calmMs: 500,
      seed: 1313, partitions: 2, producers: 1, consumers: 2, actors: 2, segmentBytes: MiB,
      recordsPerRound: 32, delayed: true,
    });
    const delayed = result.delayed!;
    const detail = [...delayed.examples, ...result.failures, ...result.check.examples]
      .join('\n');
    expect(result.kills.process, 'the run killed the broker process').toBeGreaterThan(0);
    expect(delayed.acknowledged).toBeGreaterThan(100);
    expect(delayed, detail).toMatchObject({ lost: 0, duplicated: 0, early: 0, unexpected: 0 });
    expect(delayed.delivered).toBe(delayed.acknowledged + delayed.unacknowledgedFound);
    expect(result.violationCount, detail).toBe(0);
  });

  it('refuses a delayed option that is not a boolean', async () => {
    await expect(runCrashTest({ delayed: 'yes' as unknown as boolean })).rejects
      .toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
