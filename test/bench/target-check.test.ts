import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../bench/harness/scenario-result.js';
import type { Scenario } from '../../bench/harness/scenario.js';
import { checkTargets, renderTargetChecks } from '../../bench/harness/target-check.js';
import { acksAllP99UsMax, produceTargets } from '../../bench/produce.js';
import { latency, result, scenario } from './fixtures.js';

const durable: Scenario = { ...scenario('100B p1 x1 acks=all'), acks: 'all' };
const paced: Scenario = {
  ...scenario('100B p1 x1 acks=1 +c1 @10k/s'), acks: 1, consumerCount: 1,
  rateMessagesPerSec: 10_000,
};

function withEndToEnd(row: ScenarioResult, p99Us: number): ScenarioResult {
  return { ...row, endToEndLatency: latency(p99Us) };
}

describe('issue 7 target checks', () => {
  it('says MET at 10x, NOT MET below, NOT MEASURED for a skipped peer with its reason', () => {
    const results = [
      result(durable.name, 'mamba', 1_000_000, 500),
      result(durable.name, 'redis-streams', 100_000, 500),
      result(durable.name, 'nats-jetstream', 0, 0, 'skipped'),
    ];
    const checks = checkTargets([durable], results);
    expect(checks.map((check) => check.verdict)).toEqual(['MET', 'NOT MEASURED']);
    expect(checks[0]!.detail).toContain('10.00×');
    expect(checks[1]!.detail).toContain('not running');
    const below = checkTargets([durable],
      [results[0]!, result(durable.name, 'redis-streams', 100_001, 500)]);
    expect(below[0]!.verdict).toBe('NOT MET');
    expect(below[1]!.detail).toBe('nats-jetstream did not run');
  });

  it('compares p99 end-to-end in paced consumer scenarios, and not without samples', () => {
    const results = [
      withEndToEnd(result(paced.name, 'mamba', 10_000, 100), 900),
      withEndToEnd(result(paced.name, 'redis-streams', 10_000, 100), 1000),
      withEndToEnd(result(paced.name, 'nats-jetstream', 10_000, 100), 800),
    ];
    const checks = checkTargets([paced], results);
    expect(checks.map((check) => check.verdict)).toEqual(['MET', 'NOT MET']);
    const mambaSkipped = checkTargets([paced],
      [result(paced.name, 'mamba', 0, 0, 'skipped'), ...results.slice(1)]);
    expect(mambaSkipped.map((check) => check.verdict)).toEqual(['NOT MEASURED', 'NOT MEASURED']);
  });

  it('ignores scenarios no target applies to, and says so when printing', () => {
    const acks1: Scenario = { ...durable, name: 'x', acks: 1 };
    const big: Scenario = { ...durable, name: 'y', messageSizeBytes: 1024 };
    expect(checkTargets([acks1, big], [])).toEqual([]);
    expect(renderTargetChecks([])).toMatch(/no scenario/);
    const text = renderTargetChecks(checkTargets([durable], []), 'targets');
    expect(text).toMatch(/NOT MEASURED .*durable produce ≥ 10× redis-streams/);
  });
});

describe('issue 4 produce targets', () => {
  it('passes acks=1 at 3 M msgs/s and misses below', () => {
    const pass = produceTargets({ ...result('a', 'mamba', 3e6, 100), acks: 1 });
    const miss = produceTargets({ ...result('a', 'mamba', 2.99e6, 100), acks: 1 });
    expect(pass.map((check) => check.verdict)).toEqual(['PASS']);
    expect(miss.map((check) => check.verdict)).toEqual(['MISS']);
  });

  it('holds acks=all to both rate and p99, and a failed run to NOT RUN', () => {
    const fast = produceTargets(result('b', 'mamba', 1e6, acksAllP99UsMax + 1));
    expect(fast.map((check) => check.verdict)).toEqual(['PASS', 'MISS']);
    const failed = produceTargets(result('b', 'mamba', 0, 0, 'failed'));
    expect(failed.map((check) => check.verdict)).toEqual(['NOT RUN', 'NOT RUN']);
  });
});
