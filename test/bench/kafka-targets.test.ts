import { describe, expect, it } from 'vitest';
import {
  countedResult, embeddedSystem, kafkajsSystem, kafkaScenarios, kafkaTargets, kcatSystem,
  markdownTable, redisSystem,
} from '../../bench/kafka/kafka-targets.js';
import { renderChart } from '../../bench/harness/result-chart.js';
import { notRunResult } from '../../bench/harness/scenario-result.js';
import { report } from './fixtures.js';
import { checkXml } from './xml-check.js';

const scenarios = kafkaScenarios({ messages: 1000, batch: 100, durationMs: 1000, warmupMs: 0 });
const all = scenarios.produce.all;
const one = scenarios.produce['1'];

function row(scenario: typeof all, system: string, messagesPerSec: number) {
  // A counted run of messagesPerSec messages in one second.
  return countedResult(scenario, { name: system, acks: scenario.acks, durability: 'stated' },
    messagesPerSec, 1000);
}

describe('kafka suite pieces', () => {
  it('names a produce scenario per acks level and a consume one, all distinct', () => {
    expect(one.acks).toBe(1);
    expect(all.acks).toBe('all');
    expect(scenarios.consume.consumerCount).toBe(1);
    expect(new Set([one.name, all.name, scenarios.consume.name]).size).toBe(3);
    expect(all.batchMessageCount).toBe(100);
  });

  it('turns a counted run into a rate with megabytes and consumed counts', () => {
    const produced = countedResult(all, { name: kcatSystem, acks: 'all', durability: 'd' },
      500_000, 2000);
    expect(produced).toMatchObject({ status: 'ok', messagesPerSec: 250_000,
      megabytesPerSec: 25, consumedCount: 0, messageCount: 500_000 });
    const consumed = countedResult(scenarios.consume,
      { name: kcatSystem, acks: 1, durability: 'd' }, 1000, 500);
    expect(consumed.consumedCount).toBe(1000);
    expect(consumed.messagesPerSec).toBe(2000);
  });

  it('checks the floors and the Redis factor: PASS and MET at the bounds, MISS below', () => {
    const results = [
      row(all, kcatSystem, 500_000), row(all, redisSystem, 200_000),
      row(all, embeddedSystem, 400_000), row(scenarios.consume, kcatSystem, 999_999),
    ];
    const checks = kafkaTargets(scenarios, results);
    expect(checks.slice(0, 3).map((check) => check.verdict)).toEqual(['PASS', 'MET', 'MISS']);
    expect(checks[1]!.detail).toContain('2.50×');
    const below = kafkaTargets(scenarios, [row(all, kcatSystem, 499_999),
      row(all, redisSystem, 200_000)]);
    expect(below.slice(0, 2).map((check) => check.verdict)).toEqual(['MISS', 'NOT MET']);
  });

  it('reports each client against embedded, and says why a figure is missing', () => {
    const results = [
      row(all, kcatSystem, 600_000), row(all, embeddedSystem, 400_000),
      notRunResult(all.name, { name: redisSystem, acks: 'all', durability: 'n/a' },
        'skipped', 'no Redis on 127.0.0.1:16380'),
    ];
    const checks = kafkaTargets(scenarios, results);
    expect(checks[1]).toMatchObject({ verdict: 'NOT MEASURED' });
    expect(checks[1]!.detail).toContain('no Redis on 127.0.0.1:16380');
    expect(checks[2]).toMatchObject({ verdict: 'NOT RUN' });
    const kcatAll = checks.find((check) => check.target === `${kcatSystem} ÷ embedded, acks=all`);
    expect(kcatAll).toMatchObject({ verdict: 'REPORTED' });
    expect(kcatAll!.detail).toContain('1.50×');
    const kafkajsAll = checks.find((check) =>
      check.target === `${kafkajsSystem} ÷ embedded, acks=all`);
    expect(kafkajsAll).toMatchObject({ verdict: 'NOT MEASURED' });
  });

  it('tabulates ratios to embedded and Redis, and a skipped peer with its reason', () => {
    const results = [
      row(one, kcatSystem, 300_000), row(one, embeddedSystem, 200_000),
      notRunResult(one.name, { name: redisSystem, acks: 1, durability: 'n/a' },
        'skipped', 'not running'),
      row(all, kcatSystem, 500_000), row(all, embeddedSystem, 250_000),
      row(all, redisSystem, 100_000), row(scenarios.consume, kcatSystem, 700_000),
    ];
    const lines = markdownTable(scenarios, results).split('\n');
    expect(lines).toContain(`| ${kcatSystem}, produce acks=1 | 300,000 | 1.50× |  |`);
    expect(lines).toContain(`| ${redisSystem}, produce acks=1 | skipped: not running | | |`);
    expect(lines).toContain(`| ${kcatSystem}, produce acks=all | 500,000 | 2.00× | 5.00× |`);
    expect(lines).toContain(`| ${kcatSystem}, consume to the end | 700,000 |  |  |`);
  });

  it('draws every system that ran in the shared chart', () => {
    const results = [row(all, kcatSystem, 500_000), row(all, redisSystem, 100_000)];
    const svg = renderChart({ ...report(results, [one, all, scenarios.consume]), suite: 'kafka' });
    expect(checkXml(svg).problems).toEqual([]);
    expect(svg).toContain(`data-system="${kcatSystem}"`);
    expect(svg).toContain(`data-system="${redisSystem}"`);
  });
});
