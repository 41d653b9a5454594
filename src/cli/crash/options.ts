/**
 * Options of `mamba crash-test`, validated once at the edge (STYLE.md §9): `resolveCrashTest…`
 * names the bad option and value in an `INVALID_CONFIG` error and returns a filled type that the
 * rest of the harness trusts.
 */
import os from 'node:os';
import { invalidConfig } from '../../errors.js';
import { optionalInteger } from '../../options.js';
import { rejectUnknownOptions, type OptionNames } from '../../option-names.js';
import {
  MiB, actorsMax, pageSizeBytes, partitionsPerTopicMax, segmentSizeBytesMax, segmentSizeBytesMin,
} from '../../constants.js';

/**
 * How the chaos loop kills: five ways inside the broker (`hang`: an actor spins until the
 * heartbeat deadline has it terminated; `hang-wait`: it blocks in `Atomics.wait` instead), two
 * of the whole broker process. `hang-wait` is taken only when named: the default set stays the
 * six modes it was, so a seed from before replays the same schedule.
 */
export type KillMode = 'terminate' | 'throw' | 'exit' | 'process' | 'torn' | 'hang' |
  'hang-wait';
export const KILL_MODES: readonly KillMode[] =
  ['terminate', 'throw', 'exit', 'process', 'torn', 'hang', 'hang-wait'];
const defaultModes: readonly KillMode[] = KILL_MODES.filter((mode) => mode !== 'hang-wait');

/** Crashes of one actor (worker thread) through `broker.crashActor`. */
export type ActorKillMode = 'terminate' | 'throw' | 'exit' | 'hang' | 'hang-wait';

export function isActorKillMode(mode: KillMode): mode is ActorKillMode {
  return mode !== 'process' && mode !== 'torn';
}

export interface CrashTestOptions {
  /** How long the chaos phase runs. Default 30 s. */
  durationMs?: number;
  /** Mean time between kills; each wait is drawn from 0.5× to 1.5× of it. Default 500 ms. */
  killEveryMs?: number;
  modes?: readonly KillMode[];
  topics?: number;
  partitions?: number;
  /** Producer worker threads per broker process. */
  producers?: number;
  /**
   * Members of the live consumer group that reads while the chaos runs, and of the fresh group
   * that reads everything back at the end (`verifyWith: 'consumer-group'`). Default 3.
   */
  consumers?: number;
  /** How the final check reads the stored records: a consumer group (default) or the logs. */
  verifyWith?: VerifyWith;
  acks?: 1 | 'all';
  /** Seeds the chaos schedule (times, modes, victims, damage). Default: a random one. */
  seed?: number;
  /** A new or empty directory. Default: a temporary one, removed after a clean run. */
  dataDir?: string;
  /** Length of the calm phase (same workload, no kills) run first. Default min(duration, 10 s). */
  calmMs?: number;
  /** Partition actors (worker threads) of the broker. Default 4. */
  actors?: number;
  segmentBytes?: number;
  /** Bytes of each record's value (at least the 24 of its header and checksum). Default 64. */
  valueBytes?: number;
  /** Records per partition that a producer sends in one round. Default 64. */
  recordsPerRound?: number;
  /**
   * Also send delayed messages (0-2 s) to a topic of their own, and check that each is
   * delivered, once per group, not before its time (delayed-check.ts). Default false.
   */
  delayed?: boolean;
  /**
   * Also run a consumer group whose handler always fails for a seed-chosen subset of the
   * records, with one retry and a dead-letter topic, and check that each acknowledged failing
   * record is dead-lettered exactly once (dead-letter-check.ts). Default false.
   */
  deadLetters?: boolean;
  /**
   * Also run consume-transform-produce workers: an input topic read by a group whose members
   * write each input batch's derived records to two output topics and commit the batch's
   * offsets in one transaction; checked for atomicity, exactly-once output and no aborted
   * record read committed (txn-check.ts). Default false.
   */
  transactions?: boolean;
  /**
   * Run the broker without warm standby actors (`restart.standby: false`), to measure what
   * they save: an A/B of restart downtime on one build. Default false.
   */
  noStandby?: boolean;
}

/** Each option with the `mamba crash-test` flag that sets it (for messages on the CLI). */
export const CRASH_TEST_FLAGS: OptionNames<CrashTestOptions> = {
  durationMs: '--duration', killEveryMs: '--kill-every', modes: '--modes', topics: '--topics',
  partitions: '--partitions', producers: '--producers', consumers: '--consumers',
  verifyWith: '--verify-with', acks: '--acks', seed: '--seed', dataDir: '--data-dir',
  calmMs: '--calm', actors: '--actors', segmentBytes: '--segment-bytes',
  valueBytes: '--value-bytes', recordsPerRound: 'recordsPerRound', delayed: '--delayed',
  deadLetters: '--dead-letters', transactions: '--transactions', noStandby: '--no-standby',
};

/**
 * An INVALID_CONFIG message of `resolveCrashTestOptions` with the option named as the flag a
 * command-line user typed (`--duration`) instead of the field (`options.durationMs`).
 */
export function withFlagNames(message: string): string {
  return message.replace(/\boptions\.([a-zA-Z]+)/g, (whole, field: string) => {
    const flag = (CRASH_TEST_FLAGS as Record<string, string | true>)[field];
    if (typeof flag !== 'string') return whole;
    return field.endsWith('Ms') ? `${flag} (in milliseconds)` : flag;
  });
}

/** The final reader: `consumer-group` (consumer-group-source.ts) or `log` (log-file-source.ts). */
export type VerifyWith = 'consumer-group' | 'log';
export const VERIFY_WITH: readonly VerifyWith[] = ['consumer-group', 'log'];

export interface CrashTestConfig {
  durationMs: number;
  killEveryMs: number;
  modes: KillMode[];
  topics: number;
  partitions: number;
  producers: number;
  consumers: number;
  verifyWith: VerifyWith;
  acks: 1 | 'all';
  seed: number;
  /** Undefined: a temporary directory. */
  dataDir: string | undefined;
  calmMs: number;
  actors: number;
  segmentBytes: number;
  valueBytes: number;
  recordsPerRound: number;
  delayed: boolean;
  deadLetters: boolean;
  transactions: boolean;
  noStandby: boolean;
}

/** Value header (20 bytes) plus checksum (4): see record-value.ts. */
export const VALUE_SIZE_BYTES_MIN = 24;
const valueSizeBytesMax = 64 * 1024;
const producersMax = 64;
const consumersMax = 64;
const topicsMax = 16;
const durationMsMax = 24 * 3600 * 1000;
const recordsPerRoundMax = 4096;

const integer = optionalInteger;

function resolveModes(modes: unknown): KillMode[] {
  if (modes === undefined) return [...defaultModes];
  if (!Array.isArray(modes) || modes.length === 0 ||
    !modes.every((mode) => KILL_MODES.includes(mode as KillMode))) {
    throw invalidConfig('options.modes', modes, `a non-empty list of ${KILL_MODES.join(', ')}`);
  }
  return [...new Set(modes as KillMode[])];
}

export function resolveCrashTestOptions(options: CrashTestOptions = {}): CrashTestConfig {
  if (typeof options !== 'object' || options === null) {
    throw invalidConfig('options', options, 'an object');
  }
  rejectUnknownOptions(options as Record<string, unknown>, CRASH_TEST_FLAGS);
  const durationMs = integer('options.durationMs', options.durationMs, 30_000, 100, durationMsMax);
  const { acks = 1, dataDir, verifyWith = 'consumer-group' } = options;
  if (acks !== 1 && acks !== 'all') throw invalidConfig('options.acks', acks, "1 or 'all'");
  if (!VERIFY_WITH.includes(verifyWith)) {
    throw invalidConfig('options.verifyWith', verifyWith, `one of ${VERIFY_WITH.join(', ')}`);
  }
  if (dataDir !== undefined && (typeof dataDir !== 'string' || dataDir.length === 0)) {
    throw invalidConfig('options.dataDir', dataDir, 'a non-empty path');
  }
  const segmentBytes = integer('options.segmentBytes', options.segmentBytes, 4 * MiB,
    segmentSizeBytesMin, segmentSizeBytesMax);
  if (segmentBytes % pageSizeBytes !== 0) {
    throw invalidConfig('options.segmentBytes', segmentBytes, `a multiple of ${pageSizeBytes}`);
  }
  return {
    durationMs,
    killEveryMs: integer('options.killEveryMs', options.killEveryMs, 500, 10, durationMsMax),
    modes: resolveModes(options.modes),
    topics: integer('options.topics', options.topics, 1, 1, topicsMax),
    partitions: integer('options.partitions', options.partitions, 8, 1, partitionsPerTopicMax),
    producers: integer('options.producers', options.producers, 2, 1, producersMax),
    consumers: integer('options.consumers', options.consumers, 3, 1, consumersMax),
    verifyWith,
    acks,
    seed: integer('options.seed', options.seed, randomSeed(), 0, 0xffff_ffff),
    dataDir,
    calmMs: integer('options.calmMs', options.calmMs, Math.min(durationMs, 10_000), 0,
      durationMsMax),
    actors: integer('options.actors', options.actors, Math.min(4, actorsMax), 1,
      Math.min(actorsMax, os.availableParallelism() * 8)),
    segmentBytes,
    valueBytes: integer('options.valueBytes', options.valueBytes, 64, VALUE_SIZE_BYTES_MIN,
      valueSizeBytesMax),
    recordsPerRound: integer('options.recordsPerRound', options.recordsPerRound, 64, 1,
      recordsPerRoundMax),
    delayed: resolveFlag('options.delayed', options.delayed),
    deadLetters: resolveFlag('options.deadLetters', options.deadLetters),
    transactions: resolveFlag('options.transactions', options.transactions),
    noStandby: resolveFlag('options.noStandby', options.noStandby),
  };
}

function resolveFlag(name: string, flag: unknown): boolean {
  if (flag === undefined) return false;
  if (typeof flag !== 'boolean') throw invalidConfig(name, flag, 'a boolean');
  return flag;
}

function randomSeed(): number {
  return Math.floor(Math.random() * 0x1_0000_0000);
}

export { parseDurationMs } from '../duration.js';

/** Topic-partitions of the workload, numbered `topicIndex × partitions + partition`. */
export function slotCount(config: CrashTestConfig): number {
  return config.topics * config.partitions;
}
