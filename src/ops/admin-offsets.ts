/**
 * `mamba groups reset-offsets`: where a group's committed offsets would go, computed from the
 * partitions' files, the way Kafka's kafka-consumer-groups --reset-offsets plans it. The plan
 * is shown (a dry run, the default) or committed (--execute) by the caller.
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

/**
 * The plan for `groupId`: the partitions of `topic` when one is given (all of them), else
 * every partition the group has committed offsets for.
 */
export function planReset(view: DataDirView, groupId: string, spec: ResetSpec,
  topic?: string): ResetRow[] {
  const committed = new Map<string, number>();
  const known = view.groups().find((g) => g.groupId === groupId);
  for (const entry of known?.offsets ?? []) {
    committed.set(`${entry.topic}\u0000${entry.partition}`, entry.committed);
  }
  let partitions: Array<{ topic: string; partition: number }>;
  if (topic !== undefined) {
    const record = view.topic(topic);
    partitions = Array.from({ length: record.config.partitions },
      (_, partition) => ({ topic, partition }));
  } else {
    if (known === undefined) view.group(groupId); // GROUP_ID_NOT_FOUND
    partitions = known!.offsets.filter((o) => o.endOffset !== undefined);
  }
  return partitions.map(({ topic: name, partition }) => {
    const state = view.partition(name, partition);
    const current = committed.get(`${name}\u0000${partition}`);
    const wanted = targetOf(view, spec, name, partition, current, state);
    return {
      topic: name, partition, current, logStartOffset: state.logStartOffset,
      endOffset: state.endOffset,
      target: Math.min(Math.max(wanted, state.logStartOffset), state.endOffset),
    };
  });
}

function targetOf(view: DataDirView, spec: ResetSpec, topic: string, partition: number,
  current: number | undefined, state: { logStartOffset: number; endOffset: number }): number {
  switch (spec.kind) {
    case 'earliest': return state.logStartOffset;
    case 'latest': return state.endOffset;
    case 'offset': return spec.offset;
    case 'datetime': return view.offsetForTimestamp(topic, partition, spec.timestampMs);
    case 'shift':
      if (current === undefined) {
        throw invalidConfig('--shift-by', spec.by,
          `an option for partitions with a committed offset (${topic}-${partition} has none)`);
      }
      return current + spec.by;
  }
}
