/**
 * `npm run bench -- matrix`: the scenario matrix of issue 7 — message size × partitions ×
 * producers × consumers × acks — for Mamba, the in-process baselines, and the peers that are
 * running. Narrow it with the flags (see --help); every figure is a ratio against the other
 * systems measured in the same run.
 */
import {
  parseSuiteOptions, scenarioMatrix, suiteHelp, type SuiteOptions,
} from './harness/suite-options.js';
import { runSuite } from './harness/suite-runner.js';
import { checkTargets } from './harness/target-check.js';
import { inProcessFactories, mambaFactory, peerFactories } from './systems/index.js';

const defaults: SuiteOptions = {
  messageSizesBytes: [100, 1024, 16 * 1024],
  producerCounts: [1],
  partitionCounts: [1],
  acksLevels: [1, 'all'],
  consumerCounts: [0, 1],
  batchMessageCount: 100,
  inFlightBatchesMax: 8,
  warmupMs: 500,
  durationMs: 3000,
  messageCountMax: 50_000_000,
  drainTimeoutMs: 30_000,
  rateMessagesPerSec: 0,
  latencyRateMessagesPerSec: 0,
  systems: [],
};

/** Printed by the dispatcher for `mamba bench matrix --help`. */
export const help = suiteHelp('matrix');

export async function run(args: string[]): Promise<void> {
  const options = parseSuiteOptions('matrix', args, defaults);
  if (options === undefined) return;
  await runSuite({
    suite: 'matrix',
    scenarios: scenarioMatrix(options),
    factories: [mambaFactory, ...inProcessFactories, ...peerFactories],
    systemFilter: options.systems,
    checkTargets,
    notes: [
      `batches of ${options.batchMessageCount} messages, ` +
        `${options.inFlightBatchesMax} in flight per producer; producers share the main thread`,
      ...(options.rateMessagesPerSec > 0
        ? [`paced at ${options.rateMessagesPerSec} msgs/s over all producers`] : []),
      'cpu/msg is the bench process only (peer servers run in their own processes)',
    ],
  });
}
