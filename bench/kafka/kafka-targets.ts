/**
 * The pure half of `npm run bench -- kafka`: its scenarios, the rows of runs measured by count
 * (connect to last acknowledgement) rather than by the harness's time window, issue 11's target
 * checks and the markdown table of ratios. Nothing here runs a system, so tests can feed it
 * figures made by hand.
 */
import { formatCount } from '../harness/result-format.js';
import { notRunResult, type ScenarioResult } from '../harness/scenario-result.js';
import { scenarioName, type AcksLevel, type Scenario } from '../harness/scenario.js';
import type { TargetCheck, TargetVerdict } from '../harness/target-check.js';

/** Issue 11: librdkafka producing through the door at acks=all. */
export const kcatAcksAllMessagesPerSecMin = 500_000;
/** Issue 11: the same, against Redis Streams with `appendfsync always`. */
export const redisFsyncFactorMin = 2.5;
/** Issue 11: kcat consuming through the door, to the end of the log. */
export const kcatConsumeMessagesPerSecMin = 1_000_000;

export const kcatSystem = 'door-kcat';
export const kafkajsSystem = 'door-kafkajs';
export const embeddedSystem = 'mamba-embedded';
export const redisSystem = 'redis-streams';

export const messageSizeBytes = 100;

export interface KafkaScenarioOptions {
  /** Messages of each counted run (door and embedded). */
  readonly messages: number;
  /** Messages per batch the peers get on the harness (the scenarios' batch size). */
  readonly batch: number;
  /** The peers' measured window (they run on the harness, by time). */
  readonly durationMs: number;
  readonly warmupMs: number;
}

export interface KafkaScenarios {
  readonly produce: Readonly<Record<'1' | 'all', Scenario>>;
  readonly consume: Scenario;
}

function scenarioOf(options: KafkaScenarioOptions, acks: AcksLevel,
  consumerCount: number): Omit<Scenario, 'name'> {
  return {
    messageSizeBytes, batchMessageCount: options.batch, producerCount: 1, partitionCount: 1,
    acks, consumerCount, inFlightBatchesMax: 8, rateMessagesPerSec: 0,
    warmupMs: options.warmupMs, durationMs: options.durationMs,
    messageCountMax: options.messages * 50, drainTimeoutMs: 30_000,
  };
}

/** Produce at acks 1 and all (door, embedded and peers), then reading to the end (kcat). */
export function kafkaScenarios(options: KafkaScenarioOptions): KafkaScenarios {
  const produce = (acks: 1 | 'all'): Scenario => {
    const scenario = scenarioOf(options, acks, 0);
    return { name: scenarioName(scenario), ...scenario };
  };
  const consume = scenarioOf(options, 1, 1);
  return {
    produce: { '1': produce(1), 'all': produce('all') },
    consume: { name: `${messageSizeBytes}B p1 read to the end`, ...consume },
  };
}

export interface CountedSystem {
  readonly name: string;
  readonly acks: AcksLevel;
  readonly durability: string;
}

/** A run measured by count: `messageCount` messages in `elapsedMs`, without latency samples. */
export function countedResult(scenario: Scenario, system: CountedSystem, messageCount: number,
  elapsedMs: number): ScenarioResult {
  const messagesPerSec = elapsedMs > 0 ? messageCount / (elapsedMs / 1000) : 0;
  return {
    ...notRunResult(scenario.name, system, 'skipped', ''),
    status: 'ok', messageCount, elapsedMs, messagesPerSec,
    megabytesPerSec: messagesPerSec * scenario.messageSizeBytes / 1e6,
    consumedCount: scenario.consumerCount > 0 ? messageCount : 0,
  };
}

function find(results: readonly ScenarioResult[], scenario: Scenario,
  system: string): ScenarioResult | undefined {
  return results.find((result) => result.scenario === scenario.name && result.system === system);
}

/** Why a row gives no figure, or undefined when it does. */
function missing(result: ScenarioResult | undefined, system: string): string | undefined {
  if (result === undefined) return `${system} did not run`;
  if (result.status !== 'ok') return `${system} ${result.status}: ${result.reason}`;
  return undefined;
}

function floorCheck(target: string, result: ScenarioResult | undefined, system: string,
  floor: number): TargetCheck {
  const why = missing(result, system);
  if (why !== undefined) return { target, verdict: 'NOT RUN', detail: why };
  const verdict: TargetVerdict = result!.messagesPerSec >= floor ? 'PASS' : 'MISS';
  return { target, verdict, detail: `${formatCount(result!.messagesPerSec)} msgs/s` };
}

function ratioCheck(target: string, numerator: ScenarioResult | undefined,
  denominator: ScenarioResult | undefined, factorMin: number | undefined): TargetCheck {
  const why = missing(numerator, numerator?.system ?? 'the door') ??
    missing(denominator, denominator?.system ?? 'the peer');
  if (why !== undefined) return { target, verdict: 'NOT MEASURED', detail: why };
  const ratio = numerator!.messagesPerSec / denominator!.messagesPerSec;
  const verdict: TargetVerdict = factorMin === undefined
    ? 'REPORTED' : ratio >= factorMin ? 'MET' : 'NOT MET';
  return {
    target, verdict,
    detail: `${numerator!.system} ${formatCount(numerator!.messagesPerSec)} ÷ ` +
      `${denominator!.system} ${formatCount(denominator!.messagesPerSec)} msgs/s = ` +
      `${ratio.toFixed(2)}×`,
  };
}

/** Issue 11's checks; a peer or client that did not run reads NOT RUN / NOT MEASURED. */
export function kafkaTargets(scenarios: KafkaScenarios,
  results: readonly ScenarioResult[]): TargetCheck[] {
  const all = scenarios.produce.all;
  const kcatAll = find(results, all, kcatSystem);
  const checks = [
    floorCheck(`kcat produce acks=all ≥ ${formatCount(kcatAcksAllMessagesPerSecMin)} msgs/s`,
      kcatAll, kcatSystem, kcatAcksAllMessagesPerSecMin),
    ratioCheck(`kcat produce acks=all ≥ ${redisFsyncFactorMin}× redis-streams (appendfsync ` +
      'always)', kcatAll, find(results, all, redisSystem) ??
      missingRow(all, redisSystem), redisFsyncFactorMin),
    floorCheck(`kcat consume ≥ ${formatCount(kcatConsumeMessagesPerSecMin)} msgs/s`,
      find(results, scenarios.consume, kcatSystem), kcatSystem, kcatConsumeMessagesPerSecMin),
  ];
  for (const acks of ['1', 'all'] as const) {
    const scenario = scenarios.produce[acks];
    const embedded = find(results, scenario, embeddedSystem) ?? missingRow(scenario,
      embeddedSystem);
    for (const client of [kcatSystem, kafkajsSystem]) {
      checks.push(ratioCheck(`${client} ÷ embedded, acks=${acks}`,
        find(results, scenario, client) ?? missingRow(scenario, client), embedded, undefined));
    }
  }
  return checks;
}

/** A stand-in for a system absent from the results, so the check names it. */
function missingRow(scenario: Scenario, system: string): ScenarioResult {
  return notRunResult(scenario.name, { name: system, acks: scenario.acks, durability: 'n/a' },
    'skipped', 'did not run in this suite');
}

/**
 * The table for bench/README.md: one row per produce or consume path with its rate and its
 * ratios to embedded Mamba and to Redis Streams at the same acks level.
 */
export function markdownTable(scenarios: KafkaScenarios,
  results: readonly ScenarioResult[]): string {
  const ratio = (row: ScenarioResult, other: ScenarioResult | undefined): string =>
    other === undefined || other.status !== 'ok' || row.system === other.system ||
      other.messagesPerSec <= 0
      ? '' : `${(row.messagesPerSec / other.messagesPerSec).toFixed(2)}×`;
  const lines = ['| path | msgs/s | vs embedded | vs redis-streams |',
    '| --- | ---: | ---: | ---: |'];
  for (const scenario of [scenarios.produce['1'], scenarios.produce.all, scenarios.consume]) {
    const embedded = find(results, scenario, embeddedSystem);
    const redis = find(results, scenario, redisSystem);
    for (const row of results.filter((result) => result.scenario === scenario.name)) {
      const name = scenario.consumerCount > 0
        ? `${row.system}, consume to the end` : `${row.system}, produce acks=${row.acks}`;
      if (row.status !== 'ok') {
        lines.push(`| ${name} | ${row.status}: ${row.reason} | | |`);
        continue;
      }
      lines.push(`| ${name} | ${Math.round(row.messagesPerSec).toLocaleString('en-US')} | ` +
        `${ratio(row, embedded)} | ${ratio(row, redis)} |`);
    }
  }
  return lines.join('\n');
}
