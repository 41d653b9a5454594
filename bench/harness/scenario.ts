/**
 * A scenario: one point of the matrix (message size, producers, partitions, acks, consumers)
 * and how long to run it. Every system in a suite runs the same scenarios, so their figures
 * can be divided by each other.
 */
import { MambaError } from '../../src/errors.js';

/**
 * Mamba's acknowledgement levels, which every system is matched to:
 * - `0`: acknowledged when handed over (nothing kept yet),
 * - `1`: acknowledged when in the broker's memory or the OS page cache (survives the client
 *   or a broker process crash where the page cache holds it, not a machine crash),
 * - `'all'`: acknowledged when fsync'd to disk (survives a machine crash).
 */
export type AcksLevel = 0 | 1 | 'all';

export const acksLevels: readonly AcksLevel[] = [0, 1, 'all'];

export interface Scenario {
  /** Short, unique within a suite, used as a table heading and a chart group label. */
  readonly name: string;
  readonly messageSizeBytes: number;
  /** Messages per batch handed to a system: the unit that crosses a thread or a socket. */
  readonly batchMessageCount: number;
  /** Concurrent producer handles (connections, or threads where a system has them). */
  readonly producerCount: number;
  readonly partitionCount: number;
  readonly acks: AcksLevel;
  /** Consumers reading while the producers write; 0 measures produce only. */
  readonly consumerCount: number;
  /** Batches each producer may have sent and not yet seen acknowledged (the pipeline depth). */
  readonly inFlightBatchesMax: number;
  /**
   * Messages per second over all producers, or 0 for as fast as the system takes them. A paced
   * run measures latency at a stated load instead of throughput at saturation.
   */
  readonly rateMessagesPerSec: number;
  /** Time run and discarded before measuring, so caches, JIT and files are warm. */
  readonly warmupMs: number;
  /** The measured run ends at this time or at `messageCountMax`, whichever comes first. */
  readonly durationMs: number;
  readonly messageCountMax: number;
  /** The most time to wait, after producing stops, for acks and consumers to catch up. */
  readonly drainTimeoutMs: number;
}

export function acksLabel(acks: AcksLevel): string {
  return `acks=${acks}`;
}

/** Parses `0`, `1` or `all`; anything else is a bad option. */
export function parseAcks(text: string): AcksLevel {
  if (text === '0') return 0;
  if (text === '1') return 1;
  if (text === 'all') return 'all';
  throw new MambaError('INVALID_CONFIG', `--acks takes 0, 1 or all, not ${JSON.stringify(text)}`);
}

/** The scenario's name from its parameters, e.g. `100B p1 x1 acks=all +c1 @10k/s`. */
export function scenarioName(scenario: Omit<Scenario, 'name'>): string {
  const size = scenario.messageSizeBytes >= 1024 && scenario.messageSizeBytes % 1024 === 0
    ? `${scenario.messageSizeBytes / 1024}KiB`
    : `${scenario.messageSizeBytes}B`;
  const consumers = scenario.consumerCount > 0 ? ` +c${scenario.consumerCount}` : '';
  const rate = scenario.rateMessagesPerSec > 0 ? ` @${rateLabel(scenario.rateMessagesPerSec)}` : '';
  return `${size} p${scenario.partitionCount} x${scenario.producerCount} ` +
    `${acksLabel(scenario.acks)}${consumers}${rate}`;
}

/** `10000` → `10k/s`, `2500000` → `2.5M/s`. */
export function rateLabel(messagesPerSec: number): string {
  if (messagesPerSec >= 1e6) return `${+(messagesPerSec / 1e6).toFixed(2)}M/s`;
  if (messagesPerSec >= 1e3) return `${+(messagesPerSec / 1e3).toFixed(2)}k/s`;
  return `${messagesPerSec}/s`;
}
