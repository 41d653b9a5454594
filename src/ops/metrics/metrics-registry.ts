/**
 * The Prometheus exposition of a broker. prom-client collects and formats the process metrics
 * (`process_resident_memory_bytes`, `nodejs_eventloop_lag_seconds`, …). The broker's own series
 * are `CollectedMetric`s that read shared memory and the sampler's totals at scrape time and
 * write their text lines directly, with label strings rendered once per partition and cached:
 * measured with 1,000 partitions (`npm run bench -- metrics`), prom-client's labelled Gauges
 * (a label-set hash per `set`) and even its formatter alone (label objects escaped and joined
 * per sample) cost ten times the 5 ms a scrape may take.
 *
 * Names follow Prometheus's conventions: `mamba_` prefix, base units in the name, `_total` on
 * counters, labels topic/partition/group/actor/api/code/acks.
 */
import { statfsSync } from 'node:fs';
import { Registry, collectDefaultMetrics } from 'prom-client';
import {
  ACTOR_STATE, ActorState, HISTOGRAM_BOUNDS_SECONDS, HISTOGRAM_BUCKET_COUNT,
  HISTOGRAM_SUM_UNIT_SECONDS,
  PartitionState, SharedHistogram,
} from '../../shm/index.js';
import { ApiKey, KafkaErrors } from '../../protocol/index.js';
import type { OpsGroup, OpsSource, OpsTopic } from '../ops-source.js';
import { MetricsSampler, PartitionCounter } from './metrics-sampler.js';

type Labels = Record<string, string | number>;
type MetricType = 'gauge' | 'counter' | 'histogram';

/** Writes one sample; `labels` is the text between the braces, escaped ('' for none). */
type Emit = (labels: string, value: number, suffix?: string) => void;

/** A metric whose samples are read at scrape time and written as exposition text. */
class CollectedMetric {
  constructor(readonly name: string, readonly help: string, readonly type: MetricType,
    private readonly collect: (emit: Emit) => void) {}

  /** This metric's exposition lines, each ending in a newline. */
  render(): string {
    const name = this.name;
    // One growing string (a rope in V8) costs less than an array of 10,000 lines and a join.
    let text = `# HELP ${name} ${this.help}\n# TYPE ${name} ${this.type}\n`;
    this.collect((labels, value, suffix) => {
      const full = suffix === undefined ? name : name + suffix;
      text += labels === '' ? `${full} ${valueText(value)}\n`
        : `${full}{${labels}} ${valueText(value)}\n`;
    });
    return text;
  }
}

function valueText(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

/** Label values escaped as the exposition format wants: backslash, quote, newline. */
function escapeLabel(value: string | number): string {
  return String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function labelText(labels: Labels): string {
  return Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
}

const actorStateNames: Record<number, string> = Object.fromEntries(
  Object.entries(ActorState).map(([name, value]) => [value, name.toLowerCase()]));
const apiNames: Record<number, string> = Object.fromEntries(
  Object.entries(ApiKey).map(([name, key]) => [key, name.toLowerCase()]));
const errorNames: Record<number, string> = Object.fromEntries(
  Object.entries(KafkaErrors).map(([name, entry]) => [entry.code, name]));

/** What one scrape reads once and every metric shares. */
interface ScrapeView {
  topics: OpsTopic[];
  groups: OpsGroup[];
}

export class BrokerMetrics {
  /** prom-client's registry: the process metrics. */
  readonly registry = new Registry();
  private readonly metrics: CollectedMetric[];
  private view: ScrapeView = { topics: [], groups: [] };
  /** `topic="…",partition="…"` per partition, by topic, rendered once. */
  private readonly partitionLabels = new Map<string, string[]>();
  private processMetricsStarted = false;

  constructor(private readonly source: OpsSource, readonly sampler: MetricsSampler) {
    this.metrics = [
      ...this.partitionMetrics(), ...this.histogramMetrics(), ...this.groupMetrics(),
      ...this.actorMetrics(), ...this.doorMetrics(),
    ];
  }

  /** The Prometheus text exposition of everything, read now. */
  async render(): Promise<string> {
    // Started at the first scrape, not at open: prom-client's process metrics install an event
    // loop delay monitor and a GC observer, which a broker nobody scrapes does not need.
    if (!this.processMetricsStarted) {
      this.processMetricsStarted = true;
      collectDefaultMetrics({ register: this.registry });
    }
    this.view = { topics: this.sampler.sample(), groups: this.source.groups() };
    let text = '';
    for (const metric of this.metrics) text += metric.render();
    return text + await this.registry.metrics();
  }

  private labelsOf(topic: OpsTopic): string[] {
    let labels = this.partitionLabels.get(topic.name);
    if (labels === undefined || labels.length !== topic.partitions) {
      const name = escapeLabel(topic.name);
      labels = Array.from({ length: topic.partitions },
        (_, p) => `topic="${name}",partition="${p}"`);
      this.partitionLabels.set(topic.name, labels);
      if (this.partitionLabels.size > 2 * this.view.topics.length + 16) this.forgetOldTopics();
    }
    return labels;
  }

  /** Drops the cached labels of deleted topics (the cache stays bounded by the live ones). */
  private forgetOldTopics(): void {
    const live = new Set(this.view.topics.map((t) => t.name));
    for (const name of this.partitionLabels.keys()) {
      if (!live.has(name)) this.partitionLabels.delete(name);
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private diskStats(): { free: number; size: number } {
    const stats = statfsSync(this.source.dataDir);
    return { free: stats.bavail * stats.bsize, size: stats.blocks * stats.bsize };
  }

  private forEachPartition(each: (labels: string, slot: number) => void): void {
    for (const topic of this.view.topics) {
      const labels = this.labelsOf(topic);
      for (let partition = 0; partition < topic.partitions; partition++) {
        each(labels[partition], topic.firstSlot + partition);
      }
    }
  }

  private partitionGauge(name: string, help: string, read: (slot: number) => number,
    type: MetricType = 'gauge'): CollectedMetric {
    return new CollectedMetric(name, help, type, (out) => {
      this.forEachPartition((labels, slot) => out(labels, read(slot)));
    });
  }

  private partitionMetrics(): CollectedMetric[] {
    const block = this.source.controlBlock;
    const gauges = { segmentCount: 0, sizeBytes: 0 };
    const total = (counter: number) => (slot: number) =>
      this.sampler.partitionTotal(slot, counter);
    return [
      this.partitionGauge('mamba_partition_high_watermark',
        'The offset after the last record readers may read.', (s) => block.highWatermark(s)),
      this.partitionGauge('mamba_partition_log_start_offset',
        'The first offset still in the log.', (s) => block.logStartOffset(s)),
      this.partitionGauge('mamba_partition_durable_offset',
        'Offsets below it are flushed to disk.', (s) => block.durableOffset(s)),
      this.partitionGauge('mamba_partition_log_size_bytes', 'Bytes in the log segments.',
        (s) => { block.metrics.logGauges(s, gauges); return gauges.sizeBytes; }),
      this.partitionGauge('mamba_partition_segments', 'Segment files of the log.',
        (s) => { block.metrics.logGauges(s, gauges); return gauges.segmentCount; }),
      this.partitionGauge('mamba_partition_failed', '1 while the partition is failed.',
        (s) => (block.partitionState(s) === PartitionState.FAILED ? 1 : 0)),
      this.partitionGauge('mamba_produce_records_total', 'Records appended to the log.',
        total(PartitionCounter.APPENDED_RECORDS), 'counter'),
      this.partitionGauge('mamba_produce_bytes_total', 'Batch bytes appended to the log.',
        total(PartitionCounter.APPENDED_BYTES), 'counter'),
      this.partitionGauge('mamba_consume_records_total', 'Records handed to consumers.',
        total(PartitionCounter.CONSUMED_RECORDS), 'counter'),
      this.partitionGauge('mamba_consume_bytes_total', 'Log bytes read by consumers.',
        total(PartitionCounter.CONSUMED_BYTES), 'counter'),
      new CollectedMetric('mamba_data_dir_free_bytes',
        "Bytes available to the broker on the data directory's file system.", 'gauge',
        (out) => out('', this.diskStats().free)),
      new CollectedMetric('mamba_data_dir_size_bytes',
        "Size of the data directory's file system.", 'gauge',
        (out) => out('', this.diskStats().size)),
      new CollectedMetric('mamba_producer_buffered_bytes',
        'Bytes held by producers in every thread against their maxBufferedBytes (sent, not yet ' +
        'acknowledged).', 'gauge',
        (out) => out('', this.source.producerBufferedBytes())),
    ];
  }

  private histogram(name: string, help: string,
    parts: { histogram: SharedHistogram; labels: Labels }[]): CollectedMetric {
    return new CollectedMetric(name, help, 'histogram', (out) => {
      for (const part of parts) {
        const histogram = part.histogram;
        const labels = labelText(part.labels);
        const prefix = labels === '' ? '' : `${labels},`;
        let cumulative = 0;
        for (let b = 0; b < HISTOGRAM_BUCKET_COUNT; b++) {
          cumulative += this.sampler.histogramTotal(histogram, b);
          const le = b < HISTOGRAM_BOUNDS_SECONDS.length ? HISTOGRAM_BOUNDS_SECONDS[b] : '+Inf';
          out(`${prefix}le="${le}"`, cumulative, '_bucket');
        }
        const sum = this.sampler.histogramTotal(histogram, HISTOGRAM_BUCKET_COUNT + 1) *
          HISTOGRAM_SUM_UNIT_SECONDS[histogram];
        out(labels, sum, '_sum');
        out(labels, cumulative, '_count');
      }
    });
  }

  private histogramMetrics(): CollectedMetric[] {
    return [
      this.histogram('mamba_produce_ack_latency_seconds',
        'From a batch entering its ring to its ack, by acks level.', [
          { histogram: SharedHistogram.ACK_LEADER, labels: { acks: '1' } },
          { histogram: SharedHistogram.ACK_ALL, labels: { acks: 'all' } },
        ]),
      this.histogram('mamba_end_to_end_latency_seconds',
        "From a record's timestamp to a consumer decoding it (one sample per chunk).",
        [{ histogram: SharedHistogram.END_TO_END, labels: {} }]),
      this.histogram('mamba_flush_latency_seconds', 'fdatasync of a partition log.',
        [{ histogram: SharedHistogram.FLUSH, labels: {} }]),
    ];
  }

  private groupMetrics(): CollectedMetric[] {
    const block = this.source.controlBlock;
    const eachCommitted = (each: (labels: string, offset: number, end: number) => void) => {
      const slots = new Map(this.view.topics.map((t) => [t.name, t]));
      for (const group of this.view.groups) {
        const groupLabel = `group="${escapeLabel(group.groupId)}",`;
        for (const entry of group.committed) {
          const topic = slots.get(entry.topic);
          if (topic === undefined || entry.partition >= topic.partitions) continue;
          const end = block.highWatermark(topic.firstSlot + entry.partition);
          each(groupLabel + this.labelsOf(topic)[entry.partition], entry.offset, end);
        }
      }
    };
    return [
      new CollectedMetric('mamba_group_committed_offset', 'The offset a group committed.',
        'gauge', (out) => eachCommitted((labels, offset) => out(labels, offset))),
      new CollectedMetric('mamba_group_lag', 'Records between the commit and the high watermark.',
        'gauge', (out) => eachCommitted((labels, offset, end) =>
          out(labels, Math.max(0, end - offset)))),
      new CollectedMetric('mamba_group_members', 'Members of a group.', 'gauge', (out) => {
        for (const g of this.view.groups) {
          out(labelText({ group: g.groupId }), g.members.length);
        }
      }),
      new CollectedMetric('mamba_group_rebalances_total', 'Rebalances (generations) of a group.',
        'counter', (out) => {
          for (const g of this.view.groups) {
            out(labelText({ group: g.groupId }), g.generation);
          }
        }),
    ];
  }

  private actorGauge(name: string, help: string, read: (actor: number) => number,
    type: MetricType = 'gauge'): CollectedMetric {
    return new CollectedMetric(name, help, type, (out) => {
      for (let actor = 0; actor < this.source.actorCount; actor++) {
        out(`actor="${actor}"`, read(actor));
      }
    });
  }

  private actorMetrics(): CollectedMetric[] {
    const source = this.source;
    const book = (actor: number) => this.sampler.actors[actor];
    return [
      new CollectedMetric('mamba_actor_state', 'The state of each actor (1 for the current one).',
        'gauge', (out) => {
          for (let actor = 0; actor < source.actorCount; actor++) {
            const state = actorStateNames[actorStateOf(source, actor)] ?? 'unknown';
            out(`actor="${actor}",state="${state}"`, 1);
          }
        }),
      this.actorGauge('mamba_actor_restarts_total', 'Restarts of the actor after it died.',
        (a) => book(a).restarts, 'counter'),
      this.actorGauge('mamba_actor_recovery_duration_seconds',
        'How long the last start took to recover every partition.',
        (a) => book(a).recoveryMs / 1000),
      this.actorGauge('mamba_actor_uptime_seconds', 'Since the actor last became ready.',
        (a) => (Date.now() - book(a).startedAtMs) / 1000),
      this.actorGauge('mamba_actor_heartbeat_age_seconds', "Since the actor's heartbeat moved.",
        (a) => source.heartbeatAgeMs(a) / 1000),
      this.actorGauge('mamba_actor_ring_used_bytes', "Bytes waiting in the actor's request rings.",
        (a) => source.ringOccupancy(a).usedBytes),
      this.actorGauge('mamba_actor_ring_capacity_bytes', "Capacity of the actor's request rings.",
        (a) => source.ringOccupancy(a).capacityBytes),
    ];
  }

  private doorMetrics(): CollectedMetric[] {
    const metrics = this.source.controlBlock.metrics;
    return [
      new CollectedMetric('mamba_door_connections', 'Open Kafka door connections.', 'gauge',
        (out) => out('', Atomics.load(metrics.i32, metrics.doorWord(0)))),
      new CollectedMetric('mamba_door_requests_total', 'Kafka requests, by API.', 'counter',
        (out) => {
          for (const [key, name] of Object.entries(apiNames)) {
            out(`api="${name}"`, this.sampler.doorRequests(Number(key)));
          }
        }),
      new CollectedMetric('mamba_door_errors_total',
        'Kafka requests that failed as a whole, by error code.', 'counter', (out) => {
          for (let code = -1; code < 127; code++) {
            const value = this.sampler.doorErrors(code);
            if (value > 0) out(`code="${errorNames[code] ?? code}"`, value);
          }
        }),
    ];
  }
}

export function actorStateOf(source: OpsSource, actor: number): number {
  const block = source.controlBlock;
  return Atomics.load(block.i32, block.actorWord(actor, ACTOR_STATE));
}
