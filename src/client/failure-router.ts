/**
 * Where a record goes when its handler gave up: to the next retry topic (`retry: { mode:
 * 'topics', delaysMs }`), else to the dead-letter topic. Retry topics are Uber's and Spring's
 * non-blocking retries: a failed record of `orders` moves to `orders.retry.1`, which the same
 * group also consumes; a record there is handled once `delaysMs[0]` has passed since it was
 * written (its timestamp), and if it fails again it moves to `orders.retry.2`, and so on, then
 * to the dead-letter topic. The source partition moves on meanwhile, so order per key is given
 * up for failed records. A retry topic's partition waits (paused) until its first record is
 * due; records are due in the order written, since one delay applies to the whole topic.
 *
 * Retry-topic records carry their origin in headers (`mamba.retry.original.*`, the group, the
 * attempts so far and the first failure time), so the dead letter names the record first
 * produced, not its last copy. A retry record of another group is skipped (consumed).
 */
import { MambaError } from '../errors.js';
import type { ConsumedMessage } from './consumer-message.js';
import {
  deadLetterMessage, headerInteger, headerText, type DeadLetterOptions, type HandlerFailure,
  type RecordOrigin,
} from './dead-letter.js';
import type { DeliveryServices, RecordForwarder } from './record-forwarder.js';

export const RETRY_HEADERS = {
  originalTopic: 'mamba.retry.original.topic',
  originalPartition: 'mamba.retry.original.partition',
  originalOffset: 'mamba.retry.original.offset',
  originalTimestamp: 'mamba.retry.original.timestamp',
  group: 'mamba.retry.group',
  attempts: 'mamba.retry.attempts',
  firstFailure: 'mamba.retry.failure.first',
} as const;

const ownHeaderPrefixes = ['mamba.retry.', 'mamba.dlq.', 'mamba.forward.'];

/** The retry topics of `topic`, one per delay. */
export function retryTopicNames(topic: string, delaysMs: readonly number[]): string[] {
  return delaysMs.map((_delay, index) => `${topic}.retry.${index + 1}`);
}

interface RetryTopic {
  original: string;
  /** 1 for `<topic>.retry.1`. */
  level: number;
  delayMs: number;
}

export class FailureRouter {
  private readonly retryTopics = new Map<string, RetryTopic>();

  constructor(private readonly forwarder: RecordForwarder,
    private readonly services: DeliveryServices, private readonly groupId: string,
    private readonly deadLetter: DeadLetterOptions,
    private readonly delaysMs: readonly number[] | undefined) {}

  /** Registers the retry topics of `topic` (after they were created). */
  addSource(topic: string): string[] {
    if (this.delaysMs === undefined) return [];
    const names = retryTopicNames(topic, this.delaysMs);
    names.forEach((name, index) => this.retryTopics.set(name, {
      original: topic, level: index + 1, delayMs: this.delaysMs![index],
    }));
    return names;
  }

  isRetryTopic(topic: string): boolean {
    return this.retryTopics.has(topic);
  }

  /**
   * For a record of a retry topic: ms until it is due (0: now), or -1 for a record of another
   * group, which this group skips.
   */
  dueInMs(message: ConsumedMessage, nowMs = Date.now()): number {
    const retry = this.retryTopics.get(message.topic);
    if (retry === undefined) return 0;
    if (headerText(message, RETRY_HEADERS.group) !== this.groupId) return -1;
    return Math.max(0, message.timestamp + retry.delayMs - nowMs);
  }

  /** Moves a record that failed to its next place; resolves once it is durable there. */
  async route(message: ConsumedMessage, failure: HandlerFailure): Promise<void> {
    const retry = this.retryTopics.get(message.topic);
    const origin = retry === undefined ? originOf(message) : retryOrigin(message);
    const total = failedBefore(message, retry) + failure.attempts;
    const firstFailureMs = retry === undefined ? failure.firstFailureMs
      : headerInteger(message, RETRY_HEADERS.firstFailure) ?? failure.firstFailureMs;
    const source = { topic: message.topic, partition: message.partition,
      offset: message.offset };
    const nextLevel = (retry?.level ?? 0) + 1;
    if (this.delaysMs !== undefined && nextLevel <= this.delaysMs.length) {
      const target = `${origin.topic}.retry.${nextLevel}`;
      const headers: Record<string, string | Uint8Array> = { ...userHeaders(message) };
      headers[RETRY_HEADERS.originalTopic] = origin.topic;
      headers[RETRY_HEADERS.originalPartition] = String(origin.partition);
      headers[RETRY_HEADERS.originalOffset] = String(origin.offset);
      headers[RETRY_HEADERS.originalTimestamp] = String(origin.timestamp);
      headers[RETRY_HEADERS.group] = this.groupId;
      headers[RETRY_HEADERS.attempts] = String(total);
      headers[RETRY_HEADERS.firstFailure] = String(firstFailureMs);
      await this.forwarder.forward(source, target,
        { key: message.key, value: message.value, headers });
      return;
    }
    const letter = deadLetterMessage(message, origin, this.groupId,
      { ...failure, attempts: total, firstFailureMs }, userHeaders(message));
    const hook = this.deadLetter.onDeadLetter;
    const compensate = hook === undefined ? undefined : async (): Promise<void> => {
      const sends: Array<Promise<unknown>> = [];
      const producer = this.services.producer();
      await hook(message, failure.error, (topic, compensation) => {
        const sent = producer.send(topic, compensation);
        sends.push(sent);
        return sent;
      });
      // Every compensation is acknowledged before the dead letter is appended.
      await Promise.all(sends);
    };
    await this.forwarder.forward(source, this.deadLetter.topic, letter, compensate);
  }
}

function originOf(message: ConsumedMessage): RecordOrigin {
  return { topic: message.topic, partition: message.partition, offset: message.offset,
    timestamp: message.timestamp };
}

function retryOrigin(message: ConsumedMessage): RecordOrigin {
  const topic = headerText(message, RETRY_HEADERS.originalTopic);
  const partition = headerInteger(message, RETRY_HEADERS.originalPartition);
  const offset = headerInteger(message, RETRY_HEADERS.originalOffset);
  const timestamp = headerInteger(message, RETRY_HEADERS.originalTimestamp);
  if (topic === undefined || partition === undefined || offset === undefined ||
    timestamp === undefined) {
    throw new MambaError('INVALID_RECORD',
      `${message.topic}/${message.partition}@${message.offset} lacks its retry headers`,
      { detail: { topic: message.topic, partition: message.partition, offset: message.offset } });
  }
  return { topic, partition, offset, timestamp };
}

function failedBefore(message: ConsumedMessage, retry: RetryTopic | undefined): number {
  return retry === undefined ? 0 : headerInteger(message, RETRY_HEADERS.attempts) ?? 0;
}

/** The record's headers without Mamba's own delivery headers. */
function userHeaders(message: ConsumedMessage): Record<string, Uint8Array> {
  const headers: Record<string, Uint8Array> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (!ownHeaderPrefixes.some((prefix) => name.startsWith(prefix))) headers[name] = value;
  }
  return headers;
}
