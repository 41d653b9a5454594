/**
 * What one system measured in one scenario: the record the table, the JSON file and the chart
 * are all made from.
 */
import type { LatencySummary } from './latency-recorder.js';
import type { AcksLevel } from './scenario.js';

export type ResultStatus = 'ok' | 'skipped' | 'failed';

export interface ScenarioResult {
  readonly scenario: string;
  readonly system: string;
  readonly acks: AcksLevel;
  readonly durability: string;
  readonly status: ResultStatus;
  /** Why a result is skipped or failed; empty when ok. */
  readonly reason: string;
  /** Messages acknowledged in the measured window (warm-up excluded). */
  readonly messageCount: number;
  /** Messages consumers read in the measured window; 0 without consumers. */
  readonly consumedCount: number;
  readonly elapsedMs: number;
  readonly messagesPerSec: number;
  /** Payload megabytes (10^6 bytes) per second. */
  readonly megabytesPerSec: number;
  /** This process's CPU time (user + system, all threads) per message; peers' servers excluded. */
  readonly cpuNsPerMessage: number;
  /** The process's peak resident set so far (a high-water mark, never lowered). */
  readonly peakRssBytes: number;
  /** From handing a batch over to its acknowledgement, one sample per batch. */
  readonly ackLatency: LatencySummary;
  /** From a message's send stamp to its arrival at a consumer, one sample per message. */
  readonly endToEndLatency: LatencySummary;
}

const emptyLatency: LatencySummary = {
  count: 0, p50Us: 0, p99Us: 0, p999Us: 0, maxUs: 0, meanUs: 0,
};

/** A result for a system that did not run the scenario. */
export function notRunResult(
  scenario: string,
  system: { name: string; acks: AcksLevel; durability: string },
  status: 'skipped' | 'failed',
  reason: string,
): ScenarioResult {
  return {
    scenario, system: system.name, acks: system.acks, durability: system.durability,
    status, reason, messageCount: 0, consumedCount: 0, elapsedMs: 0, messagesPerSec: 0,
    megabytesPerSec: 0, cpuNsPerMessage: 0, peakRssBytes: 0,
    ackLatency: emptyLatency, endToEndLatency: emptyLatency,
  };
}
