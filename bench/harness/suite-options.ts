/**
 * The flags every suite shares, parsed with node's util.parseArgs, validated once and merged
 * with the suite's defaults into a filled type the rest of the bench trusts.
 */
import { parseCommandLine } from '../../src/cli/command-line.js';
import { MambaError } from '../../src/errors.js';
import { parseAcks, scenarioName, type AcksLevel, type Scenario } from './scenario.js';

export interface SuiteOptions {
  readonly messageSizesBytes: readonly number[];
  readonly producerCounts: readonly number[];
  readonly partitionCounts: readonly number[];
  readonly acksLevels: readonly AcksLevel[];
  readonly consumerCounts: readonly number[];
  readonly batchMessageCount: number;
  readonly inFlightBatchesMax: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly messageCountMax: number;
  readonly drainTimeoutMs: number;
  /** Messages per second over all producers in every scenario; 0: as fast as possible. */
  readonly rateMessagesPerSec: number;
  /**
   * The peers suite's latency pass: one consumer, this many messages per second (0: no pass).
   * Other suites ignore it.
   */
  readonly latencyRateMessagesPerSec: number;
  /** Only these systems (by name prefix); empty means all. */
  readonly systems: readonly string[];
}

export const suiteOptionsHelp = `options (lists are comma-separated):
  --sizes 100,1024,16384   message sizes in bytes
  --producers 1,2          producer counts
  --partitions 1,4         partition counts
  --acks 0,1,all           acknowledgement levels
  --consumers 0,1          consumer counts (0: produce only)
  --batch 100              messages per batch handed to a system
  --window 8               batches in flight per producer
  --warmup 1s              warm-up before each measured run (ms, or with s)
  --duration 5s            measured run per scenario (ms, or with s)
  --count 50000000         most messages per measured run
  --drain 30s              most time to wait for acks and consumers after a run
  --rate 10000             pace every scenario to this many msgs/s over all producers
                           (0: as fast as possible), to compare latency at a stated load
  --latency-rate 10000     peers: also run each acks level at this rate with one consumer,
                           for p99 end-to-end latency (0: skip that pass)
  --systems mamba,redis    only systems whose name starts with one of these`;

/** The `--help` text of a suite that takes these options. */
export function suiteHelp(suite: string): string {
  return `usage: mamba bench ${suite} [options]   (or: npm run bench -- ${suite} ...)\n` +
    suiteOptionsHelp;
}

const optionSpec = {
  sizes: { type: 'string' }, producers: { type: 'string' }, partitions: { type: 'string' },
  acks: { type: 'string' }, consumers: { type: 'string' }, batch: { type: 'string' },
  window: { type: 'string' }, warmup: { type: 'string' }, duration: { type: 'string' },
  count: { type: 'string' }, drain: { type: 'string' }, systems: { type: 'string' },
  rate: { type: 'string' }, 'latency-rate': { type: 'string' },
  help: { type: 'boolean' },
} as const;

export function parseIntegerList(flag: string, text: string, min: number): number[] {
  return text.split(',').map((item) => {
    const value = Number(item.trim());
    if (!Number.isInteger(value) || value < min) {
      throw new MambaError('INVALID_CONFIG',
        `--${flag} takes integers >= ${min}, not ${JSON.stringify(item)}`);
    }
    return value;
  });
}

/** `500` and `500ms` are milliseconds, `5s` is seconds. */
export function parseDurationMs(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (match === null) {
    throw new MambaError('INVALID_CONFIG',
      `--${flag} takes a duration of zero or more, like 500ms or 5s, not ${text}`);
  }
  const value = Number(match[1]);
  return Math.round(match[2] === 's' ? value * 1000 : value);
}

/** Parses `args` over `defaults`; returns undefined after printing help for `--help`. */
export function parseSuiteOptions(
  suite: string,
  args: readonly string[],
  defaults: SuiteOptions,
): SuiteOptions | undefined {
  const values = parseCommandLine(args, optionSpec);
  if (values.help === true) {
    console.log(suiteHelp(suite));
    return undefined;
  }
  const integer = (flag: keyof typeof values, fallback: number, min: number): number =>
    values[flag] === undefined ? fallback : parseIntegerList(flag, String(values[flag]), min)[0]!;
  const list = (flag: keyof typeof values, fallback: readonly number[], min: number) =>
    values[flag] === undefined ? fallback : parseIntegerList(flag, String(values[flag]), min);
  const duration = (flag: keyof typeof values, fallback: number): number =>
    values[flag] === undefined ? fallback : parseDurationMs(flag, String(values[flag]));
  return {
    messageSizesBytes: list('sizes', defaults.messageSizesBytes, 8),
    producerCounts: list('producers', defaults.producerCounts, 1),
    partitionCounts: list('partitions', defaults.partitionCounts, 1),
    acksLevels: values.acks === undefined
      ? defaults.acksLevels : values.acks.split(',').map((item) => parseAcks(item.trim())),
    consumerCounts: list('consumers', defaults.consumerCounts, 0),
    batchMessageCount: integer('batch', defaults.batchMessageCount, 1),
    inFlightBatchesMax: integer('window', defaults.inFlightBatchesMax, 1),
    warmupMs: duration('warmup', defaults.warmupMs),
    durationMs: duration('duration', defaults.durationMs),
    messageCountMax: integer('count', defaults.messageCountMax, 1),
    drainTimeoutMs: duration('drain', defaults.drainTimeoutMs),
    rateMessagesPerSec: integer('rate', defaults.rateMessagesPerSec, 0),
    latencyRateMessagesPerSec: integer('latency-rate', defaults.latencyRateMessagesPerSec, 0),
    systems: values.systems === undefined
      ? defaults.systems : values.systems.split(',').map((item) => item.trim()),
  };
}

/** Every combination of the option lists, in a stable order (size outermost). */
export function scenarioMatrix(options: SuiteOptions): Scenario[] {
  const scenarios: Scenario[] = [];
  for (const messageSizeBytes of options.messageSizesBytes) {
    for (const partitionCount of options.partitionCounts) {
      for (const producerCount of options.producerCounts) {
        for (const consumerCount of options.consumerCounts) {
          for (const acks of options.acksLevels) {
            const scenario = {
              messageSizeBytes, partitionCount, producerCount, consumerCount, acks,
              batchMessageCount: options.batchMessageCount,
              inFlightBatchesMax: options.inFlightBatchesMax,
              warmupMs: options.warmupMs, durationMs: options.durationMs,
              messageCountMax: options.messageCountMax, drainTimeoutMs: options.drainTimeoutMs,
              rateMessagesPerSec: options.rateMessagesPerSec,
            };
            scenarios.push({ name: scenarioName(scenario), ...scenario });
          }
        }
      }
    }
  }
  return scenarios;
}
