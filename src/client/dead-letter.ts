/**
 * Dead letters: a record whose handler kept failing after its retries is moved to a
 * dead-letter topic (`deadLetter: { topic }`), with its key, value and headers, and headers
 * that say where it came from and why:
 *
 * | header                           | value                                               |
 * | -------------------------------- | --------------------------------------------------- |
 * | `mamba.dlq.original.topic`       | the topic the record was first produced to          |
 * | `mamba.dlq.original.partition`   | its partition (decimal)                             |
 * | `mamba.dlq.original.offset`      | its offset (decimal)                                |
 * | `mamba.dlq.original.timestamp`   | its timestamp, ms since the epoch (decimal)         |
 * | `mamba.dlq.group`                | the consumer group that gave up on it               |
 * | `mamba.dlq.error.class`          | the error's class name (`Error`, `MambaError`, …)   |
 * | `mamba.dlq.error.message`        | the error's message                                 |
 * | `mamba.dlq.attempts`             | handler calls made, retry topics included           |
 * | `mamba.dlq.failure.first`        | ms since the epoch of the first failure             |
 * | `mamba.dlq.failure.last`         | ms since the epoch of the last failure              |
 * | `mamba.forward.source`           | `group/topic/partition/offset` of the record this   |
 * |                                  | one was forwarded from (how a replayed step knows)  |
 *
 * The move and the commit past the record are one step (forward-mark.ts). An `onDeadLetter`
 * hook runs in that step, before the append, and may `send` compensating messages; the step
 * waits for them to be acknowledged. A crash after they were sent and before the commit runs
 * the hook again when the record is retried, unless the dead letter itself was already
 * appended: compensations are at least once, the dead letter exactly once.
 */
import { MambaError, invalidConfig } from '../errors.js';
import { rejectUnknownOptions, type OptionNames } from '../option-names.js';
import { isObject, validateTopicName } from '../options.js';
import type { ConsumedMessage } from './consumer-message.js';
import type { Message, SendResult } from './producer.js';

export const DLQ_HEADERS = {
  originalTopic: 'mamba.dlq.original.topic',
  originalPartition: 'mamba.dlq.original.partition',
  originalOffset: 'mamba.dlq.original.offset',
  originalTimestamp: 'mamba.dlq.original.timestamp',
  group: 'mamba.dlq.group',
  errorClass: 'mamba.dlq.error.class',
  errorMessage: 'mamba.dlq.error.message',
  attempts: 'mamba.dlq.attempts',
  firstFailure: 'mamba.dlq.failure.first',
  lastFailure: 'mamba.dlq.failure.last',
} as const;

/** The header that names the source of a forwarded record (dead letter or retry). */
export const FORWARD_SOURCE_HEADER = 'mamba.forward.source';

/** Publishes a compensating message in the dead-letter step. */
export type DeadLetterSend = (topic: string, message: Message) => Promise<SendResult>;

export interface DeadLetterOptions {
  /** The dead-letter topic; created on first use with the source topic's partition count. */
  topic: string;
  /** Runs in the dead-letter step, before the append; may publish compensating messages. */
  onDeadLetter?: (message: ConsumedMessage, error: unknown, send: DeadLetterSend) => unknown;
}

const deadLetterNames: OptionNames<DeadLetterOptions> = { topic: true, onDeadLetter: true };

export function resolveDeadLetter(options: unknown): DeadLetterOptions {
  if (!isObject(options)) throw invalidConfig('options.deadLetter', options, 'an object');
  rejectUnknownOptions(options, deadLetterNames, 'deadLetter.');
  const { topic, onDeadLetter } = options;
  if (typeof topic !== 'string') {
    throw invalidConfig('options.deadLetter.topic', topic, 'a topic name');
  }
  validateTopicName(topic);
  if (onDeadLetter !== undefined && typeof onDeadLetter !== 'function') {
    throw invalidConfig('options.deadLetter.onDeadLetter', typeof onDeadLetter, 'a function');
  }
  return { topic, onDeadLetter: onDeadLetter as DeadLetterOptions['onDeadLetter'] };
}

/** How a record failed: the last error, the calls made, the first and last failure times. */
export interface HandlerFailure {
  error: unknown;
  attempts: number;
  firstFailureMs: number;
  lastFailureMs: number;
}

/** Where a record first came from: itself, or what its retry-topic headers say. */
export interface RecordOrigin {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
}

/** The dead letter of `message`: its key, value and headers, and the DLQ headers. */
export function deadLetterMessage(message: ConsumedMessage, origin: RecordOrigin,
  groupId: string, failure: HandlerFailure, inheritedHeaders: Record<string, Uint8Array>):
  Message {
  const error = failure.error;
  const errorClass = error instanceof Error ? error.constructor.name : typeof error;
  const errorMessage = error instanceof Error ? error.message : String(error);
  const headers: Record<string, string | Uint8Array> = { ...inheritedHeaders };
  headers[DLQ_HEADERS.originalTopic] = origin.topic;
  headers[DLQ_HEADERS.originalPartition] = String(origin.partition);
  headers[DLQ_HEADERS.originalOffset] = String(origin.offset);
  headers[DLQ_HEADERS.originalTimestamp] = String(origin.timestamp);
  headers[DLQ_HEADERS.group] = groupId;
  headers[DLQ_HEADERS.errorClass] = errorClass;
  headers[DLQ_HEADERS.errorMessage] = errorMessage;
  headers[DLQ_HEADERS.attempts] = String(failure.attempts);
  headers[DLQ_HEADERS.firstFailure] = String(failure.firstFailureMs);
  headers[DLQ_HEADERS.lastFailure] = String(failure.lastFailureMs);
  return { key: message.key, value: message.value, headers };
}

/** The value of a header as text, or undefined. */
export function headerText(message: ConsumedMessage, name: string): string | undefined {
  const value = message.headers[name];
  return value === undefined ? undefined : value.toString('utf8');
}

/** A header that must hold a decimal integer. */
export function headerInteger(message: ConsumedMessage, name: string): number | undefined {
  const text = headerText(message, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new MambaError('INVALID_RECORD', `header ${name} is not an integer: ${text}`,
      { detail: { topic: message.topic, partition: message.partition, offset: message.offset } });
  }
  return value;
}
