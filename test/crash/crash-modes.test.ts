/**
 * A short crash-test run of each kill mode, through the exported function: every mode must end
 * with zero violations, and with kills actually made (a run that killed nothing proves nothing).
 * A live consumer group of three reads in every run: it must have consumed every acknowledged
 * record (bar what a power cut may take) and drained to the high-watermarks. The final
 * read-back goes through a fresh consumer group, and for one run through the log files.
 */
import { describe, expect, it } from 'vitest';
import { runCrashTest, type CrashTestResult, type KillMode } from '../../src/cli/crash/index.js';

const MiB = 1 << 20;

function run(mode: KillMode, acks: 1 | 'all', killEveryMs: number,
  verifyWith: 'consumer-group' | 'log' = 'consumer-group'): Promise<CrashTestResult> {
  return runCrashTest({
    modes: [mode], acks, killEveryMs, durationMs: 3_000, calmMs: 500, seed: 20_240_601,
    partitions: 4, producers: 2, consumers: 3, actors: 3, segmentBytes: 1 * MiB,
    recordsPerRound: 32, verifyWith,
  });
}

function expectClean(result: CrashTestResult, mode: KillMode): void {
  const detail = [...result.check.examples, ...result.failures].join('\n');
  expect(result.violationCount, detail).toBe(0);
  expect(result.check.totals.lost).toBe(0);
  expect(result.check.totals.duplicated).toBe(0);
  expect(result.check.totals.reordered).toBe(0);
  expect(result.check.totals.unexpected).toBe(0);
  expect(result.kills[mode]).toBeGreaterThan(0);
  expect(result.records.acknowledged).toBeGreaterThan(0);
  // Everything acknowledged is stored, bar what a power cut may take from acks 1.
  expect(result.check.totals.stored).toBeGreaterThanOrEqual(
    result.records.acknowledged - result.check.totals.lostUnflushed);
  // The live group saw every acknowledged record, bar what a power cut took before it could.
  const live = result.consumers;
  expect(live.violationCount, live.examples.join('\n')).toBe(0);
  expect(live.acknowledged).toBe(result.records.acknowledged);
  expect(live.unconsumed).toBe(0);
  expect(live.acknowledged - live.lostUnflushed).toBeLessThanOrEqual(live.unique);
  expect(live.drained).toBe(true);
  expect(live.lagAtEnd).toBe(0);
  expect(live.members).toBeGreaterThanOrEqual(3);
}

describe('crash test, one mode at a time', () => {
  it.each(['terminate', 'throw', 'exit', 'hang', 'hang-wait'] as const)(
    '%s: actors killed, nothing lost', async (mode) => {
      const result = await run(mode, 1, 200);
      expectClean(result, mode);
      expect(result.restarts.actor).toBeGreaterThan(0);
      // Every actor restart is reported under the mode that caused it.
      expect(result.restarts.byMode[mode]?.downtimeMs.count).toBe(result.restarts.actor);
      // Each is split into phases, and says which standby it found.
      expect(result.restarts.phasesMs.reopenMs.count).toBe(result.restarts.actor);
      const { loaded, loading, none } = result.restarts.standby;
      expect(loaded + loading + none).toBe(result.restarts.actor);
      for (const restart of result.restarts.list) {
        const phases = Object.values(restart.phasesMs ?? {});
        const sum = phases.reduce((total, ms) => total + ms, 0);
        expect(phases).toHaveLength(4);
        expect(Math.abs(sum - restart.downtimeMs)).toBeLessThanOrEqual(phases.length + 2);
      }
      expect(result.check.totals.lostUnflushed).toBe(0);
    });

  it('process: broker process SIGKILLed and reopened, acks 1 survive it', async () => {
    const result = await run('process', 1, 300);
    expectClean(result, 'process');
    expect(result.restarts.process).toBe(result.kills.process);
    expect(result.check.source).toBe('consumer-group');
    expect(result.check.totals.lostUnflushed).toBe(0);
  });

  it('torn with acks 1: only records past the durable offset may go', async () => {
    const result = await run('torn', 1, 300);
    expectClean(result, 'torn');
    expect(result.damage.powerCuts).toBe(result.kills.torn);
  });

  it('torn with acks all: no acknowledged record may go (read back from the log files)',
    async () => {
      const result = await run('torn', 'all', 300, 'log');
      expectClean(result, 'torn');
      expect(result.check.source).toBe('log-files');
      expect(result.check.totals.lostUnflushed).toBe(0);
    });
});
