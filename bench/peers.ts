/**
 * `npm run bench -- peers`: Mamba against the brokers a Node user would otherwise pick, over
 * loopback, at equal durability: 100-byte messages, one producer, one partition, at acks=1
 * (page cache) and acks=all (fsync'd), with the in-process baselines in the same run. Each
 * peer is used the way its client is fastest (pipelines, async publishes, async confirms),
 * with the same batch size and window for all. Start the peers first: scripts/peers.sh start.
 *
 * A second pass paces each acks level at `--latency-rate` (10 k msgs/s) with one consumer, for
 * end-to-end latency at a stated load, and acks 1 once more at ten times that rate (issue 15's
 * 100 k msgs/s). The run ends with issue 7's target checks, then issue 15's: the produce figures
 * against writeSync, end-to-end latency, and, measured after the scenarios, an idle broker's CPU
 * (10 s) and the run's peak anonymous and file-backed resident memory.
 */
import type { BenchSystemFactory } from './harness/bench-system.js';
import { acksLabel, type Scenario } from './harness/scenario.js';
import {
  parseSuiteOptions, scenarioMatrix, suiteHelp, type SuiteOptions,
} from './harness/suite-options.js';
import { runSuite } from './harness/suite-runner.js';
import { checkTargets } from './harness/target-check.js';
import { measureIdleCpu } from './harness/idle-cpu.js';
import { checkIssue15Targets } from './harness/issue15-targets.js';
import { MemorySampler } from './harness/memory-sampler.js';
import { inProcessFactories, mambaFactory, peerFactories } from './systems/index.js';

export const peersDefaults: SuiteOptions = {
  messageSizesBytes: [100],
  producerCounts: [1],
  partitionCounts: [1],
  acksLevels: [1, 'all'],
  consumerCounts: [0],
  batchMessageCount: 100,
  inFlightBatchesMax: 8,
  warmupMs: 1000,
  durationMs: 5000,
  messageCountMax: 50_000_000,
  drainTimeoutMs: 30_000,
  rateMessagesPerSec: 0,
  latencyRateMessagesPerSec: 10_000,
  systems: [],
};

/** Says which peers answer at which level, before anything is measured. */
async function findPeers(
  factories: readonly BenchSystemFactory[],
  scenarios: readonly Scenario[],
): Promise<string[]> {
  const notes: string[] = [];
  const levels = [...new Set(scenarios.map((scenario) => scenario.acks))];
  for (const factory of factories) {
    for (const acks of levels) {
      const system = factory.create(acks);
      const scenario = scenarios.find((candidate) => candidate.acks === acks)!;
      if (system === undefined) {
        notes.push(`${factory.name} ${acksLabel(acks)}: no configuration at this level`);
        continue;
      }
      const reason = await system.unsupportedReason(scenario);
      await system.teardown().catch(() => undefined);
      notes.push(reason === undefined
        ? `${system.name} ${acksLabel(acks)}: found (${system.durability})`
        : `${system.name} ${acksLabel(acks)}: skipped, ${reason}`);
    }
  }
  return notes;
}

/** Messages per batch in the latency pass: small, so a batch is not most of the latency. */
const latencyBatchMessageCount = 10;
const latencyDurationMsMax = 3000;

/** Issue 15 holds end-to-end latency at acks 1 to its bound at this many times the rate too. */
const highRateFactor = 10;

/**
 * The paced pass: each size and acks level at the latency rate, one consumer, one producer;
 * then acks 1 (where the run has it) at ten times the rate.
 */
export function latencyScenarios(options: SuiteOptions): Scenario[] {
  if (options.latencyRateMessagesPerSec === 0) return [];
  const paced = {
    ...options,
    producerCounts: [1], consumerCounts: [1],
    batchMessageCount: Math.min(options.batchMessageCount, latencyBatchMessageCount),
    durationMs: Math.min(options.durationMs, latencyDurationMsMax),
    rateMessagesPerSec: options.latencyRateMessagesPerSec,
  };
  const high = options.acksLevels.includes(1) ? scenarioMatrix({
    ...paced, acksLevels: [1], rateMessagesPerSec: paced.rateMessagesPerSec * highRateFactor,
  }) : [];
  return [...scenarioMatrix(paced), ...high];
}

/** The idle broker's window (issue 15: CPU time over 10 s). */
const idleWindowMs = 10_000;
const publicApiPath = '../src/index.js';

/** Issue 15's idle CPU: needs Mamba; skipped with the reason when the run leaves it out. */
async function idleCpuOf(systems: readonly string[]) {
  if (systems.length > 0 && !systems.some((prefix) => 'mamba'.startsWith(prefix))) {
    return '--systems leaves mamba out';
  }
  const module = (await import(publicApiPath)) as { Broker: Parameters<typeof measureIdleCpu>[0] };
  const idle = process.env['MAMBA_BENCH_IDLE'];
  return measureIdleCpu(module.Broker, idleWindowMs,
    idle === undefined || idle === '' ? undefined
      : idle.startsWith('{') ? JSON.parse(idle) as unknown : idle);
}

/** Printed by the dispatcher for `mamba bench peers --help`. */
export const help = suiteHelp('peers');

export async function run(args: string[]): Promise<void> {
  const options = parseSuiteOptions('peers', args, peersDefaults);
  if (options === undefined) return;
  const paced = latencyScenarios(options);
  const scenarios = [...scenarioMatrix(options), ...paced];
  const notes = await findPeers(peerFactories, scenarios);
  for (const note of notes) console.log(`peer ${note}`);
  const memory = new MemorySampler();
  await runSuite({
    suite: 'peers',
    scenarios,
    factories: [mambaFactory, ...inProcessFactories, ...peerFactories],
    systemFilter: options.systems,
    checkTargets,
    moreTargets: async (ran, results) => {
      const peaks = memory.stop() ?? 'no /proc/self/status on this system';
      const idleCpu = await idleCpuOf(options.systems);
      return {
        title: 'targets (issue 15)',
        checks: checkIssue15Targets(ran, results, { idleCpu, memory: peaks }),
        details: { idleCpu, memory: peaks },
      };
    },
    notes: [
      ...notes,
      `each system gets batches of ${options.batchMessageCount} messages, ` +
        `${options.inFlightBatchesMax} batches in flight per producer`,
      'ack latency is per batch: from handing the batch over to its last acknowledgement',
      ...(paced.length > 0 ? [`latency pass (@${paced[0]!.rateMessagesPerSec} msgs/s, acks 1 ` +
        `also at ${highRateFactor}×): batches of ${paced[0]!.batchMessageCount}, one consumer, ` +
        'e2e = send stamp to consumer'] : []),
      'cpu/msg is the bench process only (peer servers run in their own processes)',
    ],
  });
}
