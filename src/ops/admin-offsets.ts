/**
 * `mamba groups reset-offsets`: where a group's committed offsets would go, the way Kafka's
 * kafka-consumer-groups --reset-offsets plans it, from a data directory's files or from a
 * running broker (ListOffsets, OffsetFetch). The plan is shown (a dry run, the default) or
 * committed (--execute) by the caller.
 *
 * Every target is clamped into the partition's log, [log start, log end]: an offset outside it
 * would only make the group's next read fail or skip records.
 */
import { invalidConfig } from '../errors.js';
import type { DataDirView } from './admin-data-dir.js';

export type ResetSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: number }
  | { kind: 'datetime'; timestampMs: number }
  | { kind: 'shift'; by: number };

export interface ResetRow {
  topic: string;
  partition: number;
  /** The offset committed now, if any. */
  current: number | undefined;
  target: number;
  logStartOffset: number;
  endOffset: number;
}

/** What a plan needs to know, from the files or from a broker. */
export interface ResetSource {
  /** The group's committed offsets; GROUP_ID_NOT_FOUND-like errors are the source's to throw. */
  committed(groupId: string): Promise<Array<{ topic: string; partition: number;
    offset: number }>>;
  /** The topic's partition count; UNKNOWN_TOPIC when there is no such topic. */
  partitionCount(topic: string): Promise<number>;
  range(topic: string, partition: number): Promise<{ logStartOffset: number;
    endOffset: number }>;
  offsetForTimestamp(topic: string, partition: number, timestampMs: number): Promise<number>;
}

/** A data directory as a reset source. */
export function dataDirResetSource(view: DataDirView): ResetSource {
  return {
    committed: async (groupId) => view.group(groupId).offsets.filter(
      (o) => o.endOffset !== undefined).map((o) => ({
      topic: o.topic, partition: o.partition, offset: o.committed })),
    partitionCount: async (topic) => view.topic(topic).config.partitions,
    range: async (topic, partition) => view.partition(topic, partition),
    offsetForTimestamp: async (topic, partition, timestampMs) =>
      view.offsetForTimestamp(topic, partition, timestampMs),
  };
}

/**
 * The plan for `groupId`: every partition of `topic` when one is given, else every partition
 * the group has committed offsets for.
 */
export async function planReset(source: ResetSource, groupId: string, spec: ResetSpec,
  topic?: string): Promise<ResetRow[]> {
  let known: Array<{ topic: string; partition: number; offset: number }> = [];
  try {
    known = await source.committed(groupId);
  } catch (error) {
    if (topic === undefined) throw error; // a group with no commits gets them for --topic
  }
  const committed = new Map(known.map((e) => [`${e.topic}\u0000${e.partition}`, e.offset]));
  const partitions = topic === undefined ? known :
    Array.from({ length: await source.partitionCount(topic) }, (_, partition) =>
      ({ topic, partition }));
  const rows: ResetRow[] = [];
  for (const { topic: name, partition } of partitions) {
    const range = await source.range(name, partition);
    const current = committed.get(`${name}\u0000${partition}`);
    const wanted = await targetOf(source, spec, name, partition, current, range);
    rows.push({
      topic: name, partition, current, logStartOffset: range.logStartOffset,
      endOffset: range.endOffset,
      target: Math.min(Math.max(wanted, range.logStartOffset), range.endOffset),
    });
  }
  return rows;
}

async function targetOf(source: ResetSource, spec: ResetSpec, topic: string, partition: number,
  current: number | undefined, range: { logStartOffset: number; endOffset: number }):
  Promise<number> {
  switch (spec.kind) {
    case 'earliest': return range.logStartOffset;
    case 'latest': return range.endOffset;
    case 'offset': return spec.offset;
    case 'datetime': return source.offsetForTimestamp(topic, partition, spec.timestampMs);
    case 'shift':
      if (current === undefined) {
        throw invalidConfig('--shift-by', spec.by,
          `an option for partitions with a committed offset (${topic}-${partition} has none)`);
      }
      return current + spec.by;
  }
}
