/**
 * `npm run bench -- peers`: Mamba against the brokers a Node user would otherwise pick, over
 * loopback, at equal durability: 100-byte messages, one producer, one partition, at acks=1
 * (page cache) and acks=all (fsync'd), with the in-process baselines in the same run. Each
 * peer is used the way its client is fastest (pipelines, async publishes, async confirms),
 * with the same batch size and window for all. Start the peers first: scripts/peers.sh start.
 *
 * A second pass paces each acks level at `--latency-rate` (10 k msgs/s) with one consumer, for
 * end-to-end latency at a stated load; the run ends with issue 7's target checks.
 */
import type { BenchSystemFactory } from './harness/bench-system.js';
import { acksLabel, type Scenario } from './harness/scenario.js';
import {
  parseSuiteOptions, scenarioMatrix, suiteHelp, type SuiteOptions,
} from './harness/suite-options.js';
import { runSuite } from './harness/suite-runner.js';
import { checkTargets } from './harness/target-check.js';
import { inProcessFactories, mambaFactory, peerFactories } from './systems/index.js';

const defaults: SuiteOptions = {
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

/** The paced pass: each size and acks level at the latency rate, one consumer, one producer. */
export function latencyScenarios(options: SuiteOptions): Scenario[] {
  if (options.latencyRateMessagesPerSec === 0) return [];
  return scenarioMatrix({
    ...options,
    producerCounts: [1], consumerCounts: [1],
    batchMessageCount: Math.min(options.batchMessageCount, latencyBatchMessageCount),
    durationMs: Math.min(options.durationMs, latencyDurationMsMax),
    rateMessagesPerSec: options.latencyRateMessagesPerSec,
  });
}

/** Printed by the dispatcher for `mamba bench peers --help`. */
export const help = suiteHelp('peers');

export async function run(args: string[]): Promise<void> {
  const options = parseSuiteOptions('peers', args, defaults);
  if (options === undefined) return;
  const paced = latencyScenarios(options);
  const scenarios = [...scenarioMatrix(options), ...paced];
  const notes = await findPeers(peerFactories, scenarios);
  for (const note of notes) console.log(`peer ${note}`);
  await runSuite({
    suite: 'peers',
    scenarios,
    factories: [mambaFactory, ...inProcessFactories, ...peerFactories],
    systemFilter: options.systems,
    checkTargets,
    notes: [
      ...notes,
      `each system gets batches of ${options.batchMessageCount} messages, ` +
        `${options.inFlightBatchesMax} batches in flight per producer`,
      'ack latency is per batch: from handing the batch over to its last acknowledgement',
      ...(paced.length > 0 ? [`latency pass (@${paced[0]!.rateMessagesPerSec} msgs/s): batches ` +
        `of ${paced[0]!.batchMessageCount}, one consumer, e2e = send stamp to consumer`] : []),
      'cpu/msg is the bench process only (peer servers run in their own processes)',
    ],
  });
}
