/**
 * Delayed messages as the producer parks them (issue 13): a message sent with `delayMs` or
 * `deliverAt` is not written to its topic but to the internal topic `__mamba_delayed`, as a
 * record whose timestamp is its due time and whose headers say where it goes. The broker's
 * delay service (src/delay/) produces it to its topic once it is due.
 *
 * ```
 *  parked record in __mamba_delayed            delivered record in <topic>/<partition>
 *  timestamp  due time (epoch ms)              timestamp  delivery time (>= due time)
 *  key, value the message's                    key, value the message's
 *  headers    the message's, and               headers    the message's, and
 *    mamba.delay.topic      target topic         mamba.delay.due        due time (ms, decimal)
 *    mamba.delay.partition  target partition     mamba.delay.timestamp  the send's timestamp
 *    mamba.delay.timestamp  the send's timestamp mamba.delay.source     parked offset (decimal)
 * ```
 *
 * The target partition is chosen when the message is sent, by the sending producer's
 * partitioner, so a keyed message lands where an undelayed one with its key would.
 */
import { MambaError } from '../errors.js';
import { delayMsMax } from '../constants.js';

export const DELAY_HEADER_PREFIX = 'mamba.delay.';
export const DELAY_TOPIC_HEADER = 'mamba.delay.topic';
export const DELAY_PARTITION_HEADER = 'mamba.delay.partition';
export const DELAY_TIMESTAMP_HEADER = 'mamba.delay.timestamp';
export const DELAY_DUE_HEADER = 'mamba.delay.due';
export const DELAY_SOURCE_HEADER = 'mamba.delay.source';

/** The fields of a message that ask for delayed delivery. */
export interface DelayFields {
  /** Deliver this many milliseconds after the send (0 to `delayMsMax`, 30 days). */
  delayMs?: number;
  /** Deliver at this time (epoch milliseconds or a Date), at most `delayMsMax` from now. */
  deliverAt?: number | Date;
}

export function hasDelay(message: DelayFields): boolean {
  return typeof message === 'object' && message !== null &&
    (message.delayMs !== undefined || message.deliverAt !== undefined);
}

/**
 * The due time (integer epoch ms, rounded up so it is never early) of a delayed message, or a
 * MambaError INVALID_RECORD naming the bad field.
 */
export function dueTimeMs(message: DelayFields, nowMs: number): number {
  const { delayMs, deliverAt } = message;
  if (delayMs !== undefined && deliverAt !== undefined) {
    throw invalidDelay('message.delayMs and message.deliverAt', 'only one of them');
  }
  if (delayMs !== undefined) {
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0 ||
      delayMs > delayMsMax) {
      throw invalidDelay('message.delayMs', `a number of milliseconds from 0 to ${delayMsMax}`,
        delayMs);
    }
    return Math.ceil(nowMs + delayMs);
  }
  const atMs = deliverAt instanceof Date ? deliverAt.getTime() : deliverAt;
  if (typeof atMs !== 'number' || !Number.isFinite(atMs) || atMs < 0) {
    throw invalidDelay('message.deliverAt', 'epoch milliseconds or a valid Date', deliverAt);
  }
  if (atMs - nowMs > delayMsMax) {
    throw invalidDelay('message.deliverAt', `at most ${delayMsMax} ms from now`, deliverAt);
  }
  return Math.ceil(atMs);
}

function invalidDelay(field: string, expected: string, value?: unknown): MambaError {
  const shown = value instanceof Date && Number.isFinite(value.getTime())
    ? value.toISOString() : String(value);
  return new MambaError('INVALID_RECORD',
    `${field} must be ${expected}${value === undefined ? '' : ` (got ${shown})`}`,
    { detail: { field, limitMs: delayMsMax } });
}

const encoder = new TextEncoder();

/** Header pairs of a parked record: the message's own, then where and when it goes. */
export function parkedHeaders(own: Array<[string, Uint8Array]> | undefined, topic: string,
  partition: number, sentAtMs: number): Array<[string, Uint8Array]> {
  for (const [name] of own ?? []) {
    if (name.startsWith(DELAY_HEADER_PREFIX)) {
      throw new MambaError('INVALID_RECORD',
        `header ${JSON.stringify(name)}: names starting with ${DELAY_HEADER_PREFIX} are ` +
        'reserved for delayed delivery', { detail: { header: name } });
    }
  }
  return [
    ...(own ?? []),
    [DELAY_TOPIC_HEADER, encodedOnce(topic)],
    [DELAY_PARTITION_HEADER, encodedOnce(String(partition))],
    [DELAY_TIMESTAMP_HEADER, encoder.encode(String(sentAtMs))],
  ];
}

/**
 * Topic names and partition numbers repeat in every parked message: each is encoded once per
 * thread (bounded by the topics and partitions a broker can have). The bytes are only read.
 */
const encodedNames = new Map<string, Uint8Array>();
const encodedNamesMax = 8192;

function encodedOnce(text: string): Uint8Array {
  let bytes = encodedNames.get(text);
  if (bytes === undefined) {
    bytes = encoder.encode(text);
    if (encodedNames.size < encodedNamesMax) encodedNames.set(text, bytes);
  }
  return bytes;
}
