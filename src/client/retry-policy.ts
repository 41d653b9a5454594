/**
 * Retry with exponential backoff and jitter, shared by consumers (`run({ retry })`) and
 * producers (`broker.producer({ retry })`), with kafkajs's option names:
 *
 *   delay(n) = min(maxRetryTimeMs, initialRetryTimeMs · multiplier^(n−1)) · (1 ± jitter)
 *
 * for the n-th retry (n from 1 to `retries`), so a handler or a send is tried `retries + 1`
 * times in all. Jitter spreads the retries of many clients that failed together, so they do not
 * come back in lockstep.
 *
 * A consumer may instead retry through topics (`mode: 'topics'`): the failed record moves to
 * `<topic>.retry.<n>` and is tried again after `delaysMs[n − 1]` (retry-topics.ts).
 */
import { invalidConfig } from '../errors.js';
import { isObject, optionalInteger } from '../options.js';
import { rejectUnknownOptions, type OptionNames } from '../option-names.js';
import {
  retriesMax, retryDelayMsMax, retryTopicCountMax,
} from '../constants.js';

export interface BackoffOptions {
  /** Retries after the first call (default 5): at most `retries + 1` calls in all. */
  retries?: number;
  /** The delay before the first retry (default 300 ms). */
  initialRetryTimeMs?: number;
  /** The cap on any one delay (default 30 000 ms). */
  maxRetryTimeMs?: number;
  /** Each delay is the previous one times this (default 2). */
  multiplier?: number;
  /** A fraction from 0 to 1: each delay is moved at random by up to this share (default 0.2). */
  jitter?: number;
}

/** Non-blocking retries through retry topics, as Uber's and Spring's retry topics do. */
export interface TopicRetryOptions {
  mode: 'topics';
  /** One retry topic per delay: `<topic>.retry.1` waits `delaysMs[0]`, and so on. */
  delaysMs: number[];
}

export type ConsumerRetryOptions = (BackoffOptions & { mode?: 'blocking' }) | TopicRetryOptions;

export interface BackoffPolicy {
  retries: number;
  initialRetryTimeMs: number;
  maxRetryTimeMs: number;
  multiplier: number;
  jitter: number;
}

export type ConsumerRetryPolicy =
  | { mode: 'blocking'; backoff: BackoffPolicy }
  | { mode: 'topics'; delaysMs: number[] };

const backoffNames: OptionNames<BackoffOptions> = {
  retries: true, initialRetryTimeMs: true, maxRetryTimeMs: true, multiplier: true, jitter: true,
};
const blockingNames: OptionNames<BackoffOptions & { mode?: 'blocking' }> = {
  ...backoffNames, mode: true,
};
const topicNames: OptionNames<TopicRetryOptions> = { mode: true, delaysMs: true };

/** Validates backoff options at the public edge (`path`: e.g. `options.retry`). */
export function resolveBackoff(options: unknown, path: string,
  names: OptionNames<BackoffOptions> = backoffNames): BackoffPolicy {
  if (!isObject(options)) throw invalidConfig(path, options, 'an object');
  rejectUnknownOptions(options, names, `${path.replace(/^options\./, '')}.`);
  const initialRetryTimeMs = optionalInteger(`${path}.initialRetryTimeMs`,
    options.initialRetryTimeMs, 300, 0, retryDelayMsMax);
  const maxRetryTimeMs = optionalInteger(`${path}.maxRetryTimeMs`, options.maxRetryTimeMs,
    Math.max(30_000, initialRetryTimeMs), initialRetryTimeMs, retryDelayMsMax);
  return {
    retries: optionalInteger(`${path}.retries`, options.retries, 5, 0, retriesMax),
    initialRetryTimeMs,
    maxRetryTimeMs,
    multiplier: fraction(`${path}.multiplier`, options.multiplier, 2, 1, 100),
    jitter: fraction(`${path}.jitter`, options.jitter, 0.2, 0, 1),
  };
}

export function resolveConsumerRetry(options: unknown): ConsumerRetryPolicy {
  if (!isObject(options)) throw invalidConfig('options.retry', options, 'an object');
  if (options.mode === 'topics') {
    rejectUnknownOptions(options, topicNames, 'retry.');
    const { delaysMs } = options;
    if (!Array.isArray(delaysMs) || delaysMs.length === 0 ||
      delaysMs.length > retryTopicCountMax) {
      throw invalidConfig('options.retry.delaysMs', delaysMs,
        `an array of 1 to ${retryTopicCountMax} delays in ms`);
    }
    return {
      mode: 'topics',
      delaysMs: delaysMs.map((delay: unknown, index) => optionalInteger(
        `options.retry.delaysMs[${index}]`, delay, 0, 0, retryDelayMsMax)),
    };
  }
  if (options.mode !== undefined && options.mode !== 'blocking') {
    throw invalidConfig('options.retry.mode', options.mode, "'blocking' or 'topics'");
  }
  return { mode: 'blocking', backoff: resolveBackoff(options, 'options.retry', blockingNames) };
}

/** The delay before retry number `retry` (1 for the first), jitter applied. */
export function backoffDelayMs(policy: BackoffPolicy, retry: number,
  random: () => number = Math.random): number {
  const base = Math.min(policy.maxRetryTimeMs,
    policy.initialRetryTimeMs * policy.multiplier ** (retry - 1));
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(policy.maxRetryTimeMs, base + spread)));
}

/** Resolves after `delayMs`. */
export function sleepMs(delayMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, delayMs));
}

function fraction(name: string, value: unknown, fallback: number, min: number,
  max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidConfig(name, value, `a number from ${min} to ${max}`);
  }
  return value;
}
