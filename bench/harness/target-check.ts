/**
 * Issue 7's targets, checked against the results of one run: Mamba ≥ 10× Redis Streams and NATS
 * JetStream on durable produce throughput of 100-byte messages at equal durability (acks=all),
 * and Mamba's p99 end-to-end latency below theirs at a paced load (10 k msgs/s). Each check says
 * MET, NOT MET, or NOT MEASURED with the reason (a peer not running or skipped, Mamba without a
 * consumer side), so a missing figure never reads as a pass.
 */
import { formatCount, formatMicros } from './result-format.js';
import type { ScenarioResult } from './scenario-result.js';
import type { Scenario } from './scenario.js';

/**
 * Issue 7's comparisons say MET / NOT MET / NOT MEASURED; issue 4's absolute targets say
 * PASS / MISS, or NOT RUN when the scenario failed; a ratio an issue asks to see without a
 * bound (issue 11's door against embedded) says REPORTED.
 */
export type TargetVerdict =
  'MET' | 'NOT MET' | 'NOT MEASURED' | 'PASS' | 'MISS' | 'NOT RUN' | 'REPORTED';

export interface TargetCheck {
  /** What is held against what, e.g. `durable produce ≥ 10× redis-streams (100B p1 x1 …)`. */
  readonly target: string;
  readonly verdict: TargetVerdict;
  /** The figures behind the verdict, or why there are none. */
  readonly detail: string;
}

/** The peers the targets name. */
export const targetPeers: readonly string[] = ['redis-streams', 'nats-jetstream'];
export const throughputFactorMin = 10;
const targetMessageSizeBytes = 100;

function resultOf(results: readonly ScenarioResult[], scenario: string, system: string) {
  return results.find((result) => result.scenario === scenario && result.system === system);
}

/** Why a result gives no figure: absent from the run, skipped or failed (with the reason). */
function missing(result: ScenarioResult | undefined, system: string): string | undefined {
  if (result === undefined) return `${system} did not run`;
  if (result.status !== 'ok') return `${system} ${result.status}: ${result.reason}`;
  return undefined;
}

function throughputCheck(scenario: Scenario, results: readonly ScenarioResult[],
  peer: string): TargetCheck {
  const target = `durable produce ≥ ${throughputFactorMin}× ${peer} (${scenario.name})`;
  const mamba = resultOf(results, scenario.name, 'mamba');
  const other = resultOf(results, scenario.name, peer);
  const why = missing(other, peer) ?? missing(mamba, 'mamba');
  if (why !== undefined) return { target, verdict: 'NOT MEASURED', detail: why };
  const ratio = mamba!.messagesPerSec / other!.messagesPerSec;
  return {
    target,
    verdict: ratio >= throughputFactorMin ? 'MET' : 'NOT MET',
    detail: `mamba ${formatCount(mamba!.messagesPerSec)} msgs/s ÷ ${peer} ` +
      `${formatCount(other!.messagesPerSec)} msgs/s = ${ratio.toFixed(2)}×`,
  };
}

function latencyCheck(scenario: Scenario, results: readonly ScenarioResult[],
  peer: string): TargetCheck {
  const target = `p99 end-to-end below ${peer} (${scenario.name})`;
  const mamba = resultOf(results, scenario.name, 'mamba');
  const other = resultOf(results, scenario.name, peer);
  const why = missing(other, peer) ?? missing(mamba, 'mamba');
  if (why !== undefined) return { target, verdict: 'NOT MEASURED', detail: why };
  const ours = mamba!.endToEndLatency;
  const theirs = other!.endToEndLatency;
  if (ours.count === 0 || theirs.count === 0) {
    return { target, verdict: 'NOT MEASURED', detail: 'no end-to-end samples' };
  }
  return {
    target,
    verdict: ours.p99Us < theirs.p99Us ? 'MET' : 'NOT MET',
    detail: `mamba p99 ${formatMicros(ours.p99Us)} vs ${peer} ${formatMicros(theirs.p99Us)} ` +
      `(ratio ${(ours.p99Us / theirs.p99Us).toFixed(2)}×)`,
  };
}

/**
 * The checks for every scenario of the run that a target applies to: unpaced acks=all
 * produce-only scenarios of 100-byte messages for throughput, paced scenarios with consumers
 * for end-to-end latency. A run with neither kind gives no checks.
 */
export function checkTargets(
  scenarios: readonly Scenario[],
  results: readonly ScenarioResult[],
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const scenario of scenarios) {
    if (scenario.messageSizeBytes !== targetMessageSizeBytes) continue;
    const durableProduce = scenario.acks === 'all' && scenario.consumerCount === 0 &&
      scenario.rateMessagesPerSec === 0;
    const pacedEndToEnd = scenario.consumerCount > 0 && scenario.rateMessagesPerSec > 0;
    for (const peer of targetPeers) {
      if (durableProduce) checks.push(throughputCheck(scenario, results, peer));
      if (pacedEndToEnd) checks.push(latencyCheck(scenario, results, peer));
    }
  }
  return checks;
}

export function renderTargetChecks(checks: readonly TargetCheck[],
  title = 'targets (issue 7)'): string {
  if (checks.length === 0) return `${title}: no scenario of this run is one a target applies to`;
  const width = Math.max(...checks.map((check) => check.target.length));
  return [`${title}:`, ...checks.map((check) =>
    `  ${check.verdict.padEnd(12)} ${check.target.padEnd(width)}  ${check.detail}`)].join('\n');
}
