/**
 * Everything one suite run produced, with the machine it ran on: the JSON file holds exactly
 * this, and the table and chart are drawn from it.
 */
import os from 'node:os';
import type { ScenarioResult } from './scenario-result.js';
import type { TargetCheck } from './target-check.js';
import type { Scenario } from './scenario.js';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly memoryBytes: number;
  readonly platform: string;
  readonly kernel: string;
  readonly node: string;
}

export interface SuiteReport {
  readonly suite: string;
  /** ISO 8601, when the suite started. */
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly scenarios: readonly Scenario[];
  readonly results: readonly ScenarioResult[];
  /** Notes the suite wants kept with its figures (peers found and skipped, settings). */
  readonly notes: readonly string[];
  /** The targets the suite holds its figures against, with their verdicts; absent if none. */
  readonly targets?: readonly TargetCheck[];
  /** Figures of a suite that are not per scenario and system (the scale suite's recovery). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    node: process.version,
  };
}

/** The ratio numerator of this run: `mamba` when it ran, else the first system listed. */
export const ratioNumeratorName = 'mamba';
