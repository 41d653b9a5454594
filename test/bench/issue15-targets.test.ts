import { describe, expect, it } from 'vitest';
import { checkIssue15Targets } from '../../bench/harness/issue15-targets.js';
import type { Scenario } from '../../bench/harness/scenario.js';
import { latency, result, scenario } from './fixtures.js';

const MiB = 1024 * 1024;
const acks1: Scenario = { ...scenario('100B p1 x1 acks=1'), acks: 1 };
const acksAll: Scenario = scenario('100B p1 x1 acks=all');
const paced = (rate: number): Scenario => ({
  ...scenario(`100B p1 x1 acks=1 +c1 @${rate / 1000}k/s`), acks: 1, consumerCount: 1,
  rateMessagesPerSec: rate,
});
const scenarios = [acks1, acksAll, paced(10_000), paced(100_000)];
const idleCpu = { topicCount: 4, consumerCount: 4, windowMs: 10_000, coreShare: 0.004,
  idle: 'default' };
const memory = { anonBytesMax: 150 * MiB, fileBytesMax: 300 * MiB, totalBytesMax: 450 * MiB,
  sampleCount: 10 };

describe('issue 15 target checks', () => {
  it('holds each row to its bound and its same-run baseline, in the issue\'s order', () => {
    const e2e = (name: string, p50Us: number, p99Us: number) => ({
      ...result(name, 'mamba', 10_000, 100), endToEndLatency: { ...latency(p99Us), p50Us },
    });
    const results = [
      result(acks1.name, 'mamba', 5e6, 100), result(acks1.name, 'writesync-log', 4e6, 10),
      result(acksAll.name, 'mamba', 2e6, 100), result(acksAll.name, 'writesync-log', 1e6, 10),
      e2e(paced(10_000).name, 25, 250), e2e(paced(100_000).name, 40, 250),
    ];
    const checks = checkIssue15Targets(scenarios, results, { idleCpu, memory });
    expect(checks.map((check) => check.verdict)).toEqual([
      'NOT MEASURED', 'MET', 'NOT MET', 'NOT MEASURED', 'MET', 'NOT MET', 'NOT MEASURED',
      'NOT RUN', 'MET', 'MET', 'NOT MET',
    ]);
    expect(checks[1]!.detail).toContain('1.25× writesync-log');
    // 2 M msgs/s is above 1.5 M, but only 2× writeSync + fdatasync: the ratio misses.
    expect(checks[2]!.detail).toContain('2.00×');
    expect(checks[5]!.detail).toContain('p50 40.0µs');
    expect(checks[7]!.detail).toContain('crash-test');
    expect(checks[10]!.detail).toContain('RssFile peak 300MiB');
    // The anonymous peak is the process's: the row names the baselines that shared it.
    expect(checks[9]!.target).toContain('(mamba + 1 in-process)');
    expect(checks[9]!.detail).toContain('shared with writesync-log');
  });

  it('labels the anonymous peak as Mamba\'s own when Mamba ran alone', () => {
    const checks = checkIssue15Targets(scenarios, [result(acks1.name, 'mamba', 5e6, 100)],
      { idleCpu, memory });
    expect(checks[9]).toMatchObject({ verdict: 'MET' });
    expect(checks[9]!.target).toContain('(mamba alone)');
  });

  it('says NOT MEASURED with the reason when a side or a figure is missing', () => {
    const checks = checkIssue15Targets(scenarios, [result(acks1.name, 'mamba', 5e6, 100)],
      { idleCpu: '--systems leaves mamba out', memory: 'no /proc/self/status' });
    expect(checks[1]).toMatchObject({ verdict: 'NOT MEASURED',
      detail: 'writesync-log did not run 100B p1 x1 acks=1' });
    expect(checks[4]).toMatchObject({ verdict: 'NOT MEASURED' });
    expect(checks[8]).toMatchObject({ verdict: 'NOT MEASURED',
      detail: '--systems leaves mamba out' });
    expect(checks[9]!.verdict).toBe('NOT MEASURED');
  });
});
