/**
 * The options of a partition log, validated once at the public edge and merged with defaults
 * into a filled `LogConfig` that the rest of the folder trusts (STYLE.md §9).
 */
import {
  indexIntervalBytes as indexIntervalBytesDefault, pageSizeBytes, segmentAgeMsDefault,
  segmentSizeBytesDefault, segmentSizeBytesMax, segmentSizeBytesMin,
} from '../constants.js';
import { invalidConfig } from '../errors.js';
import { MmapStorage } from './mmap-storage.js';
import type { SegmentStorage } from './storage.js';

/**
 * When appended bytes are made durable: `'none'` leaves it to the OS (and to `checkpoint()`),
 * `'batch'` asks the caller to flush before acknowledging (group commit: append everything
 * waiting, flush once, acknowledge all), `{ intervalMs }` flushes at most that long after an
 * append. The log never flushes by itself: the caller asks `flushDue(nowMs)` and calls `flush()`.
 */
export type FlushPolicy = 'none' | 'batch' | { intervalMs: number };

export interface PartitionLogOptions {
  /** Default: a new `MmapStorage`. */
  storage?: SegmentStorage;
  /** Size of each new segment file; a multiple of 4 KiB in 64 KiB..1 GiB. Default 64 MiB. */
  segmentSizeBytes?: number;
  /** Roll to a new segment when the active one is this old (and not empty). Default 7 days. */
  segmentAgeMs?: number;
  /** One offset-index entry per this many bytes of log. Default 4 KiB. */
  indexIntervalBytes?: number;
  /** Delete oldest segments while the log holds more bytes than this. Default: no limit. */
  retentionBytes?: number;
  /** Delete oldest segments whose newest batch timestamp is older than this. Default: none. */
  retentionMs?: number;
  flushPolicy?: FlushPolicy;
  /** Create the next segment in the background. Default true. */
  prepareNextSegment?: boolean;
  /** Start preparing when the active segment is this full (0..1). Default 0: at once. */
  prepareAtFraction?: number;
  /** Keep valid batches found after corruption instead of failing with CORRUPT_LOG. */
  repair?: boolean;
  /** Scan (CRC) every segment on open, not only from the recovery segment. */
  verifyAll?: boolean;
  /**
   * The log is reopened by the process that wrote it (an actor restart): its bytes below the
   * checkpoint's recovery point were validated at the process's first open or checked as they
   * were appended, so recovery validates only what follows the recovery point, and leaves what it
   * keeps there to the next flush instead of syncing it (the durable offset starts at the
   * recovery point). Default false: a scan of the whole recovery segment, synced.
   */
  reopenInProcess?: boolean;
  /** Milliseconds since the epoch; tests pass a fake clock. Default `Date.now`. */
  clockMs?: () => number;
  /** Called while recovery scans (every few hundred batches): a sign of life, not of speed. */
  onRecoveryProgress?: () => void;
  /** Where recovery reports torn tails and repairs. Default `console.warn`. */
  log?: (line: string) => void;
}

export interface LogConfig {
  storage: SegmentStorage;
  segmentSizeBytes: number;
  segmentAgeMs: number;
  indexIntervalBytes: number;
  retentionBytes: number;
  retentionMs: number;
  flushPolicy: FlushPolicy;
  prepareNextSegment: boolean;
  prepareAtFraction: number;
  repair: boolean;
  verifyAll: boolean;
  reopenInProcess: boolean;
  clockMs: () => number;
  log: (line: string) => void;
  onRecoveryProgress: () => void;
}

export function validateLogOptions(options: PartitionLogOptions = {}): LogConfig {
  const segmentSizeBytes = options.segmentSizeBytes ?? segmentSizeBytesDefault;
  if (!Number.isInteger(segmentSizeBytes) || segmentSizeBytes < segmentSizeBytesMin ||
    segmentSizeBytes > segmentSizeBytesMax || segmentSizeBytes % pageSizeBytes !== 0) {
    throw invalidConfig('options.segmentSizeBytes', segmentSizeBytes,
      `a multiple of ${pageSizeBytes} in ${segmentSizeBytesMin}..${segmentSizeBytesMax}`);
  }
  const indexIntervalBytes = options.indexIntervalBytes ?? indexIntervalBytesDefault;
  if (!Number.isInteger(indexIntervalBytes) || indexIntervalBytes < 1 ||
    indexIntervalBytes > segmentSizeBytes) {
    throw invalidConfig('options.indexIntervalBytes', indexIntervalBytes,
      'a positive integer no larger than options.segmentSizeBytes');
  }
  return {
    storage: options.storage ?? new MmapStorage(),
    segmentSizeBytes,
    segmentAgeMs: positive('options.segmentAgeMs', options.segmentAgeMs, segmentAgeMsDefault),
    indexIntervalBytes,
    retentionBytes: positive('options.retentionBytes', options.retentionBytes, Infinity),
    retentionMs: positive('options.retentionMs', options.retentionMs, Infinity),
    flushPolicy: validFlushPolicy(options.flushPolicy ?? 'none'),
    prepareNextSegment: flag('options.prepareNextSegment', options.prepareNextSegment, true),
    prepareAtFraction: fraction('options.prepareAtFraction', options.prepareAtFraction, 0),
    repair: flag('options.repair', options.repair, false),
    verifyAll: flag('options.verifyAll', options.verifyAll, false),
    reopenInProcess: flag('options.reopenInProcess', options.reopenInProcess, false),
    clockMs: options.clockMs ?? Date.now,
    onRecoveryProgress: options.onRecoveryProgress ?? (() => undefined),
    log: options.log ?? ((line: string) => console.warn(`mamba segments: ${line}`)),
  };
}

function positive(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw invalidConfig(option, value, 'a positive number (or Infinity)');
  }
  return value;
}

function fraction(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw invalidConfig(option, value, 'a number in 0..1');
  }
  return value;
}

function flag(option: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidConfig(option, value, 'a boolean');
  return value;
}

function validFlushPolicy(policy: unknown): FlushPolicy {
  if (policy === 'none' || policy === 'batch') return policy;
  if (typeof policy === 'object' && policy !== null && 'intervalMs' in policy) {
    const intervalMs = (policy as { intervalMs: unknown }).intervalMs;
    if (typeof intervalMs === 'number' && Number.isFinite(intervalMs) && intervalMs > 0) {
      return { intervalMs };
    }
    throw invalidConfig('options.flushPolicy.intervalMs', intervalMs, 'a positive number');
  }
  throw invalidConfig('options.flushPolicy', policy, "'none', 'batch' or { intervalMs }");
}
