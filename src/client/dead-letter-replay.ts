/**
 * Listing and replaying dead letters: `broker.replayDeadLetters({ topic, to?, where? })` and
 * `mamba dlq list|replay`. A replay sends each dead letter (that matches `where`, a filter in
 * the consumer filters' forms, over the dead letter's headers and key) back to `to`, or to the
 * topic its `mamba.dlq.original.topic` header names, with its key, value and own headers; the
 * `mamba.dlq.*` headers are dropped and `mamba.dlq.replayed.from` (`<dlq>/<partition>@<offset>`)
 * is added, so a record that fails again carries where it was replayed from.
 *
 * A replay is a read of the DLQ and a send per dead letter, at acks 'all': it leaves the DLQ
 * as it is and does not remember what it replayed, so replaying twice sends twice (narrow a
 * second run with `where` or `fromOffset`).
 */
import { deadLetterReplayRecordsMax } from '../constants.js';
import { invalidConfig, unknownTopic } from '../errors.js';
import { isObject, validateTopicName } from '../options.js';
import { rejectUnknownOptions, type OptionNames } from '../option-names.js';
import type { ConsumedMessage, ConsumedMessageJson } from './consumer-message.js';
import { DLQ_HEADERS, FORWARD_SOURCE_HEADER } from './dead-letter.js';
import { scanPartition, type ScanContext } from './partition-scan.js';
import { compileFilter, type RecordFilterSpec } from './record-filter.js';
import type { Message, Producer } from './producer.js';

export interface DeadLetterQuery {
  /** The dead-letter topic. */
  topic: string;
  /** Only dead letters that match (header and key conditions, or a SQL-subset expression). */
  where?: RecordFilterSpec;
  /** Per partition, the first offset read (default 0). */
  fromOffset?: number;
  /** The most dead letters read (default and cap 10 000 000). */
  limit?: number;
}

export interface ReplayOptions extends DeadLetterQuery {
  /** Where to send them; default: each one's original topic. */
  to?: string;
}

export interface ReplayResult {
  /** Dead letters sent again. */
  replayed: number;
  /** Per target topic, how many went there. */
  byTopic: Record<string, number>;
}

const queryNames: OptionNames<ReplayOptions> = {
  topic: true, where: true, fromOffset: true, limit: true, to: true,
};

export const REPLAYED_FROM_HEADER = 'mamba.dlq.replayed.from';

interface ResolvedQuery {
  topic: string;
  filter: ReturnType<typeof compileFilter> | undefined;
  fromOffset: number;
  limit: number;
  to: string | undefined;
}

function resolveQuery(options: unknown): ResolvedQuery {
  if (!isObject(options)) throw invalidConfig('options', options, 'an object');
  rejectUnknownOptions(options, queryNames);
  const { topic, where, to } = options;
  if (typeof topic !== 'string') throw invalidConfig('options.topic', topic, 'a topic name');
  if (to !== undefined) validateTopicName(to);
  const count = (name: string, value: unknown, fallback: number, max: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
      throw invalidConfig(`options.${name}`, value, `an integer from 0 to ${max}`);
    }
    return value;
  };
  return {
    topic, to: to as string | undefined,
    filter: where === undefined ? undefined : compileFilter(where),
    fromOffset: count('fromOffset', options.fromOffset, 0, Number.MAX_SAFE_INTEGER),
    limit: count('limit', options.limit, deadLetterReplayRecordsMax, deadLetterReplayRecordsMax),
  };
}

/** The dead letters that match, in partition order then offset order. */
export function listDeadLetters(context: ScanContext, query: DeadLetterQuery):
ConsumedMessageJson[] {
  const out: ConsumedMessageJson[] = [];
  forEachDeadLetter(context, resolveQuery(query), (m) => { out.push(m.toJSON()); });
  return out;
}

/** Sends the matching dead letters again; resolves once every send is acknowledged. */
export async function replayDeadLetters(context: ScanContext, producer: Producer,
  options: ReplayOptions): Promise<ReplayResult> {
  const query = resolveQuery(options);
  if (query.to !== undefined && context.directory.lookup(query.to) === undefined) {
    throw unknownTopic(query.to);
  }
  const sends: Array<Promise<unknown>> = [];
  const byTopic: Record<string, number> = {};
  forEachDeadLetter(context, query, (m) => {
    const target = query.to ?? m.headers[DLQ_HEADERS.originalTopic]?.toString('utf8');
    if (target === undefined) {
      throw invalidConfig('options.to', undefined,
        `a topic: ${m.topic}/${m.partition}@${m.offset} has no ${DLQ_HEADERS.originalTopic}`);
    }
    byTopic[target] = (byTopic[target] ?? 0) + 1;
    // The views into the mapping are copied: the sends outlive this scan.
    sends.push(producer.send(target, replayMessage(m)));
  });
  await Promise.all(sends);
  return { replayed: sends.length, byTopic };
}

function forEachDeadLetter(context: ScanContext, query: ResolvedQuery,
  visit: (message: ConsumedMessage) => void): void {
  const location = context.directory.lookup(query.topic);
  if (location === undefined) throw unknownTopic(query.topic);
  let left = query.limit;
  for (let partition = 0; partition < location.partitionCount && left > 0; partition++) {
    scanPartition(context, query.topic, partition, query.fromOffset, (m) => {
      visit(m);
      left--;
    }, left, query.filter);
  }
}

function replayMessage(m: ConsumedMessage): Message {
  const headers: Record<string, Uint8Array | string> = {};
  for (const [name, value] of Object.entries(m.headers)) {
    if (!name.startsWith('mamba.dlq.') && name !== FORWARD_SOURCE_HEADER) {
      headers[name] = Buffer.from(value);
    }
  }
  headers[REPLAYED_FROM_HEADER] = `${m.topic}/${m.partition}@${m.offset}`;
  return { key: m.keyCopy(), value: m.valueCopy(), headers };
}
