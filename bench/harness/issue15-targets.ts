/**
 * Issue 15's targets (performance, step two), held against one peers run: the produce figures
 * against the `fs.writeSync` baseline of the same run, end-to-end latency at 10 k and 100 k
 * msgs/s, and the idle CPU and resident memory measured in the run. Rows another suite measures
 * say NOT MEASURED with the command that measures them; restart downtime says NOT RUN with the
 * crash-test command (it needs minutes of chaos, not a bench window).
 */
import type { IdleCpuFigure } from './idle-cpu.js';
import type { MemoryPeaks } from './memory-sampler.js';
import { formatCount, formatMebibytes, formatMicros } from './result-format.js';
import type { ScenarioResult } from './scenario-result.js';
import type { AcksLevel, Scenario } from './scenario.js';
import type { TargetCheck } from './target-check.js';

export interface Issue15Measures {
  /** The idle broker, or why it was not measured. */
  readonly idleCpu: IdleCpuFigure | string;
  /** Resident memory over the whole run, or why it was not sampled. */
  readonly memory: MemoryPeaks | string;
}

const MiB = 1024 * 1024;
export const issue15 = {
  produceAcks1MessagesPerSecMin: 4e6, produceAcks1WriteSyncRatioMin: 1.2,
  produceAcksAllMessagesPerSecMin: 1.5e6, produceAcksAllWriteSyncRatioMin: 2.5,
  endToEndP50UsMax: 30, endToEndP99UsMax: 300, endToEndRates: [10_000, 100_000],
  idleCoreShareMax: 0.01, anonBytesMax: 200 * MiB,
  /** File-backed pages: two 64 MiB segments and the binaries, far below the log written. */
  fileBytesMax: 256 * MiB,
} as const;

function find(results: readonly ScenarioResult[], scenario: Scenario | undefined,
  system: string): ScenarioResult | string {
  if (scenario === undefined) return 'no such scenario in this run';
  const result = results.find((r) => r.scenario === scenario.name && r.system === system);
  if (result === undefined) return `${system} did not run ${scenario.name}`;
  if (result.status !== 'ok') return `${system} ${result.status}: ${result.reason}`;
  return result;
}

function produceCheck(scenarios: readonly Scenario[], results: readonly ScenarioResult[],
  acks: AcksLevel, rateMin: number, ratioMin: number): TargetCheck {
  const scenario = scenarios.find((s) => s.acks === acks && s.rateMessagesPerSec === 0 &&
    s.consumerCount === 0 && s.producerCount === 1 && s.partitionCount === 1 &&
    s.messageSizeBytes === 100);
  const target = `1 producer → 1 partition, acks ${acks}: ≥ ${formatCount(rateMin)} msgs/s ` +
    `and ≥ ${ratioMin}× writesync-log`;
  const mamba = find(results, scenario, 'mamba');
  const baseline = find(results, scenario, 'writesync-log');
  if (typeof mamba === 'string' || typeof baseline === 'string') {
    return { target, verdict: 'NOT MEASURED', detail: [mamba, baseline]
      .filter((why) => typeof why === 'string').join('; ') };
  }
  const ratio = mamba.messagesPerSec / baseline.messagesPerSec;
  return {
    target,
    verdict: mamba.messagesPerSec >= rateMin && ratio >= ratioMin ? 'MET' : 'NOT MET',
    detail: `mamba ${formatCount(mamba.messagesPerSec)} msgs/s, ${ratio.toFixed(2)}× ` +
      `writesync-log (${formatCount(baseline.messagesPerSec)})`,
  };
}

function endToEndCheck(scenarios: readonly Scenario[], results: readonly ScenarioResult[],
  rate: number): TargetCheck {
  const scenario = scenarios.find((s) => s.acks === 1 && s.rateMessagesPerSec === rate &&
    s.consumerCount > 0 && s.messageSizeBytes === 100);
  const { endToEndP50UsMax: p50Max, endToEndP99UsMax: p99Max } = issue15;
  const target = `end-to-end @${formatCount(rate)} msgs/s, acks 1: p50 ≤ ${p50Max}µs, ` +
    `p99 ≤ ${p99Max}µs`;
  const mamba = find(results, scenario, 'mamba');
  if (typeof mamba === 'string') return { target, verdict: 'NOT MEASURED', detail: mamba };
  const { p50Us, p99Us, count } = mamba.endToEndLatency;
  if (count === 0) return { target, verdict: 'NOT MEASURED', detail: 'no end-to-end samples' };
  const baseline = find(results, scenario, 'postmessage-packed');
  const beside = typeof baseline === 'string' ? ''
    : `; postmessage-packed p50 ${formatMicros(baseline.endToEndLatency.p50Us)} ` +
      `p99 ${formatMicros(baseline.endToEndLatency.p99Us)}`;
  return {
    target,
    verdict: p50Us <= p50Max && p99Us <= p99Max ? 'MET' : 'NOT MET',
    detail: `mamba p50 ${formatMicros(p50Us)} p99 ${formatMicros(p99Us)}${beside}`,
  };
}

function idleCheck(idleCpu: IdleCpuFigure | string): TargetCheck {
  const target = `idle broker, no traffic: ≤ ${issue15.idleCoreShareMax * 100} % of a core`;
  if (typeof idleCpu === 'string') return { target, verdict: 'NOT MEASURED', detail: idleCpu };
  return {
    target,
    verdict: idleCpu.coreShare <= issue15.idleCoreShareMax ? 'MET' : 'NOT MET',
    detail: `${(idleCpu.coreShare * 100).toFixed(2)} % over ${idleCpu.windowMs} ms ` +
      `(${idleCpu.topicCount} topics, ${idleCpu.consumerCount} consumers waiting, ` +
      `idle ${idleCpu.idle})`,
  };
}

/**
 * The anonymous peak is the whole process's: every system that ran in it shares the allocator
 * and the main thread's heap, and glibc keeps a finished worker thread's arena for the next. So
 * the row names who ran; `peers --systems mamba` measures Mamba alone (bench/README.md,
 * "Anonymous memory").
 */
function memoryChecks(memory: MemoryPeaks | string, loggedBytes: number,
  systemsRan: readonly string[]): TargetCheck[] {
  const others = systemsRan.filter((system) => system !== 'mamba');
  const who = others.length === 0 ? 'mamba alone' : `mamba + ${others.length} in-process`;
  const anonTarget = `peak RSS of the run (${who}): anonymous ≤ ` +
    formatMebibytes(issue15.anonBytesMax);
  const shared = others.length === 0 ? '' : `; shared with ${others.join(', ')}`;
  const fileTarget = `file-backed pages released as segments are sealed: peak RssFile ≤ ` +
    `${formatMebibytes(issue15.fileBytesMax)}`;
  if (typeof memory === 'string') {
    return [anonTarget, fileTarget].map((target) =>
      ({ target, verdict: 'NOT MEASURED', detail: memory }));
  }
  return [{
    target: anonTarget,
    verdict: memory.anonBytesMax <= issue15.anonBytesMax ? 'MET' : 'NOT MET',
    detail: `RssAnon peak ${formatMebibytes(memory.anonBytesMax)}, VmHWM ` +
      `${formatMebibytes(memory.totalBytesMax)} (${memory.sampleCount} samples)${shared}`,
  }, {
    target: fileTarget,
    verdict: memory.fileBytesMax <= issue15.fileBytesMax ? 'MET' : 'NOT MET',
    detail: `RssFile peak ${formatMebibytes(memory.fileBytesMax)} while Mamba logged ` +
      `${formatMebibytes(loggedBytes)}`,
  }];
}

/** The rows of issue 15's table, in its order. */
export function checkIssue15Targets(scenarios: readonly Scenario[],
  results: readonly ScenarioResult[], measures: Issue15Measures): TargetCheck[] {
  const elsewhere = (target: string, command: string): TargetCheck =>
    ({ target, verdict: 'NOT MEASURED', detail: `measured by ${command}` });
  const loggedBytes = results.filter((r) => r.system === 'mamba' && r.status === 'ok')
    .reduce((sum, r) => sum + r.megabytesPerSec * r.elapsedMs * 1000, 0);
  return [
    elsewhere('log append ceiling ≥ 10 M rec/s', '`npm run bench -- produce` (ceiling row)'),
    produceCheck(scenarios, results, 1, issue15.produceAcks1MessagesPerSecMin,
      issue15.produceAcks1WriteSyncRatioMin),
    produceCheck(scenarios, results, 'all', issue15.produceAcksAllMessagesPerSecMin,
      issue15.produceAcksAllWriteSyncRatioMin),
    elsewhere('2 producer threads → 4 partitions ≥ 1.5× 1 → 1', '`npm run bench -- produce`'),
    ...issue15.endToEndRates.map((rate) => endToEndCheck(scenarios, results, rate)),
    elsewhere('consume eachBatch / eachMessage / for await ≥ 15 / 12 / 8 M rec/s',
      '`npm run bench -- consume`'),
    { target: 'actor restart downtime under crash-test load: p50 ≤ 100 ms, p99 ≤ 250 ms',
      verdict: 'NOT RUN', detail: 'minutes of chaos: `npm run build && node dist/src/cli/main.js ' +
        'crash-test --duration 120s` prints the downtime percentiles' },
    idleCheck(measures.idleCpu),
    ...memoryChecks(measures.memory, loggedBytes,
      [...new Set(results.filter((r) => r.status === 'ok').map((r) => r.system))]),
  ];
}
