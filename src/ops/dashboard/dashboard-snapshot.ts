/**
 * What the dashboard page shows, as one JSON document: sent whole over Server-Sent Events once
 * a second (small next to a page: a few hundred bytes per partition), so the page keeps no
 * state but its chart history.
 */
import {
  ActorState, PartitionState, SharedHistogram, HISTOGRAM_BUCKET_COUNT,
} from '../../shm/index.js';
import type { OpsSource } from '../ops-source.js';
import { actorStateOf } from '../metrics/metrics-registry.js';
import { histogramQuantile } from '../metrics/histogram-math.js';
import {
  HISTOGRAM_COLUMNS, PartitionCounter, type MetricsSampler, type OverviewPoint,
} from '../metrics/metrics-sampler.js';

export interface PartitionView {
  partition: number;
  state: string;
  actor: number;
  logStartOffset: number;
  highWatermark: number;
  durableOffset: number;
  sizeBytes: number;
  segments: number;
  produceRecordsPerSecond: number;
  producedRecords: number;
}

export interface GroupView {
  groupId: string;
  generation: number;
  members: { memberId: string; assigned: string[] }[];
  lag: { topic: string; partition: number; committed: number; highWatermark: number;
    lag: number }[];
}

export interface ActorView {
  actor: number;
  state: string;
  partitions: string[];
  restarts: number;
  uptimeSeconds: number;
  heartbeatAgeMs: number;
}

export interface AlertView {
  rule: string;
  state: 'pending' | 'firing';
  labels: Record<string, string>;
  summary: string;
  sinceMs: number;
}

export interface DashboardSnapshot {
  timeMs: number;
  dataDir: string;
  overview: {
    series: OverviewPoint[];
    /** Since the broker opened, over both acks levels; null before the first ack. */
    ackLatencyP99Ms: number | null;
    restartsTotal: number;
  };
  topics: { name: string; partitions: PartitionView[] }[];
  groups: GroupView[];
  actors: ActorView[];
  alerts: AlertView[];
}

const partitionStateNames = Object.fromEntries(
  Object.entries(PartitionState).map(([name, value]) => [value, name.toLowerCase()]));
const actorStateNames = Object.fromEntries(
  Object.entries(ActorState).map(([name, value]) => [value, name.toLowerCase()]));

export function dashboardSnapshot(source: OpsSource, sampler: MetricsSampler,
  alerts: AlertView[]): DashboardSnapshot {
  const topics = sampler.sample();
  const block = source.controlBlock;
  const gauges = { segmentCount: 0, sizeBytes: 0 };
  const actorPartitions: string[][] = Array.from({ length: source.actorCount }, () => []);
  const topicViews = topics.map((topic) => ({
    name: topic.name,
    partitions: Array.from({ length: topic.partitions }, (_, partition): PartitionView => {
      const slot = topic.firstSlot + partition;
      const actor = source.actorOf(slot);
      actorPartitions[actor]?.push(`${topic.name}-${partition}`);
      block.metrics.logGauges(slot, gauges);
      return {
        partition, state: partitionStateNames[block.partitionState(slot)] ?? 'unknown', actor,
        logStartOffset: block.logStartOffset(slot), highWatermark: block.highWatermark(slot),
        durableOffset: block.durableOffset(slot), sizeBytes: gauges.sizeBytes,
        segments: gauges.segmentCount, produceRecordsPerSecond: sampler.produceRates[slot],
        producedRecords: sampler.partitionTotal(slot, PartitionCounter.APPENDED_RECORDS),
      };
    }),
  }));
  const ends = new Map(topicViews.map((t) => [t.name, t.partitions]));
  const groups = source.groups().map((group): GroupView => ({
    groupId: group.groupId, generation: group.generation,
    members: group.members.map((m) => ({
      memberId: m.memberId, assigned: m.assigned.map((tp) => `${tp.topic}-${tp.partition}`),
    })),
    lag: group.committed.flatMap((entry) => {
      const partition = ends.get(entry.topic)?.[entry.partition];
      if (partition === undefined) return [];
      const highWatermark = partition.highWatermark;
      return [{ topic: entry.topic, partition: entry.partition, committed: entry.offset,
        highWatermark, lag: Math.max(0, highWatermark - entry.offset) }];
    }),
  }));
  const actors = sampler.actors.map((book, actor): ActorView => ({
    actor, state: actorStateNames[actorStateOf(source, actor)] ?? 'unknown',
    partitions: actorPartitions[actor], restarts: book.restarts,
    uptimeSeconds: Math.round((Date.now() - book.startedAtMs) / 1000),
    heartbeatAgeMs: source.heartbeatAgeMs(actor),
  }));
  return {
    timeMs: Date.now(), dataDir: source.dataDir,
    overview: {
      series: sampler.series, ackLatencyP99Ms: overallAckP99Ms(sampler),
      restartsTotal: sampler.restartsTotal,
    },
    topics: topicViews, groups, actors, alerts,
  };
}

function overallAckP99Ms(sampler: MetricsSampler): number | null {
  const totals = sampler.histogramTotals;
  const merged = new Float64Array(HISTOGRAM_BUCKET_COUNT);
  for (const h of [SharedHistogram.ACK_LEADER, SharedHistogram.ACK_ALL]) {
    for (let b = 0; b < HISTOGRAM_BUCKET_COUNT; b++) merged[b] += totals[h * HISTOGRAM_COLUMNS + b];
  }
  const p99 = histogramQuantile(0.99, merged);
  return p99 === undefined ? null : p99 * 1000;
}
