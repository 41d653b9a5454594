/**
 * Evaluates alert rules inside the broker every `intervalMs`, on the same figures the metrics
 * show, with Prometheus's alert states:
 *
 * | condition now | state before | state after | notification              |
 * | ------------- | ------------ | ----------- | ------------------------- |
 * | true          | none         | pending     | —                         |
 * | true          | pending ≥ for| firing      | firing (via the notifier) |
 * | false         | pending      | none        | —                         |
 * | false         | firing       | none        | resolved                  |
 *
 * An alert is one rule and one label set (a group's partition, an actor, a topic), so a
 * restart storm of one actor is one alert, however many restarts it counts.
 */
import { statfs } from 'node:fs/promises';
import { PartitionState, SharedHistogram, HISTOGRAM_BUCKET_COUNT } from '../../shm/index.js';
import type { OpsSource, OpsTopic } from '../ops-source.js';
import { histogramQuantile } from '../metrics/histogram-math.js';
import { PartitionCounter, type MetricsSampler } from '../metrics/metrics-sampler.js';
import type { AlertView } from '../dashboard/dashboard-snapshot.js';
import { AlertNotifier } from './alert-notifier.js';
import { globMatcher, type AlertConfig, type AlertRule } from './alert-rules.js';

interface Condition {
  labels: Record<string, string>;
  /** The figure compared with the threshold, for the annotations. */
  value: number;
}

interface ActiveAlert {
  rule: AlertRule;
  labels: Record<string, string>;
  activeAtMs: number;
  firing: boolean;
  value: number;
}

const restartWindowMs = 60_000;
/** Restart times kept per actor: enough to count past any sane threshold per minute. */
const restartTimesMax = 1_000;

export class AlertEngine {
  private readonly active = new Map<string, ActiveAlert>();
  readonly notifier: AlertNotifier;
  private readonly restartTimes: number[][];
  private readonly dlqTotals = new Map<string, number>();
  private readonly flushAtLastEvaluation = new Float64Array(HISTOGRAM_BUCKET_COUNT);
  private timer: NodeJS.Timeout | undefined;
  /** Evaluations finished so far (for tests and the dashboard: rules are being evaluated). */
  evaluationCount = 0;
  private evaluating: Promise<void> | undefined;
  private readonly onRestart = (event: { actorIndex: number }): void => {
    const times = this.restartTimes[event.actorIndex];
    times.push(Date.now());
    if (times.length > restartTimesMax) times.shift();
  };

  constructor(private readonly source: OpsSource, private readonly sampler: MetricsSampler,
    readonly config: AlertConfig, externalUrl = '') {
    this.notifier = new AlertNotifier(config, externalUrl);
    this.restartTimes = Array.from({ length: source.actorCount }, () => []);
    source.events.on('actor-restart', this.onRestart);
    this.snapshotFlush();
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.evaluating ??= this.evaluate().finally(() => { this.evaluating = undefined; });
    }, this.config.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.source.events.off('actor-restart', this.onRestart);
    await this.evaluating;
    await this.notifier.stop();
  }

  /** The pending and firing alerts, for the dashboard. */
  views(): AlertView[] {
    return [...this.active.values()].map((a) => ({
      rule: a.rule.name, state: a.firing ? 'firing' : 'pending', labels: a.labels,
      summary: summaryOf(a.rule, a.labels, a.value), sinceMs: a.activeAtMs,
    }));
  }

  /** One evaluation of every rule, then the notifications that are due. */
  async evaluate(nowMs = Date.now()): Promise<void> {
    const topics = this.sampler.sample();
    const seen = new Set<string>();
    for (const rule of this.config.rules) {
      for (const condition of await this.conditions(rule, topics, nowMs)) {
        const labels = { alertname: rule.name, severity: rule.severity, ...condition.labels };
        const key = `${rule.name}${JSON.stringify(labels)}`;
        seen.add(key);
        let alert = this.active.get(key);
        if (alert === undefined) {
          alert = { rule, labels, activeAtMs: nowMs, firing: false, value: condition.value };
          this.active.set(key, alert);
        }
        alert.value = condition.value;
        if (!alert.firing && nowMs - alert.activeAtMs >= rule.forMs) {
          alert.firing = true;
          this.notifier.fire(rule.name, {
            key, labels, startsAtMs: alert.activeAtMs, endsAtMs: undefined,
            annotations: { summary: summaryOf(rule, condition.labels, condition.value) },
          });
        }
      }
    }
    for (const [key, alert] of this.active) {
      if (seen.has(key)) continue;
      this.active.delete(key);
      if (alert.firing) this.notifier.resolve(alert.rule.name, key, nowMs);
    }
    this.snapshotFlush();
    this.notifier.flush(nowMs);
    this.evaluationCount++;
  }

  private async conditions(rule: AlertRule, topics: OpsTopic[], nowMs: number):
    Promise<Condition[]> {
    switch (rule.kind) {
      case 'consumer-lag': return this.lagConditions(rule, topics);
      case 'actor-restarts': return this.restartConditions(rule, nowMs);
      case 'partition-failed': return this.failedConditions(rule, topics);
      case 'disk-free': return this.diskConditions(rule);
      case 'flush-latency-p99': return this.flushConditions(rule);
      case 'dlq-messages': return this.dlqConditions(rule, topics);
    }
  }

  private lagConditions(rule: AlertRule, topics: OpsTopic[]): Condition[] {
    const groupMatches = globMatcher(rule.group);
    const topicMatches = globMatcher(rule.topic);
    const byName = new Map(topics.map((t) => [t.name, t]));
    const out: Condition[] = [];
    for (const group of this.source.groups()) {
      if (!groupMatches(group.groupId)) continue;
      for (const entry of group.committed) {
        const topic = byName.get(entry.topic);
        if (topic === undefined || !topicMatches(entry.topic) ||
          entry.partition >= topic.partitions) continue;
        const end = this.source.controlBlock.highWatermark(topic.firstSlot + entry.partition);
        const lag = end - entry.offset;
        if (lag > rule.above) {
          out.push({ labels: { group: group.groupId, topic: entry.topic,
            partition: String(entry.partition) }, value: lag });
        }
      }
    }
    return out;
  }

  private restartConditions(rule: AlertRule, nowMs: number): Condition[] {
    const out: Condition[] = [];
    this.restartTimes.forEach((times, actor) => {
      while (times.length > 0 && nowMs - times[0] > restartWindowMs) times.shift();
      if (times.length > rule.above) {
        out.push({ labels: { actor: String(actor) }, value: times.length });
      }
    });
    return out;
  }

  private failedConditions(rule: AlertRule, topics: OpsTopic[]): Condition[] {
    const matches = globMatcher(rule.topic);
    const out: Condition[] = [];
    for (const topic of topics) {
      if (!matches(topic.name)) continue;
      for (let p = 0; p < topic.partitions; p++) {
        if (this.source.controlBlock.partitionState(topic.firstSlot + p) ===
          PartitionState.FAILED) {
          out.push({ labels: { topic: topic.name, partition: String(p) }, value: 1 });
        }
      }
    }
    return out;
  }

  private async diskConditions(rule: AlertRule): Promise<Condition[]> {
    const stats = await statfs(this.source.dataDir);
    const freePercent = stats.blocks === 0 ? 100 : (stats.bavail / stats.blocks) * 100;
    return freePercent < rule.below
      ? [{ labels: { path: this.source.dataDir }, value: freePercent }] : [];
  }

  private flushConditions(rule: AlertRule): Condition[] {
    const delta = new Float64Array(HISTOGRAM_BUCKET_COUNT);
    for (let b = 0; b < HISTOGRAM_BUCKET_COUNT; b++) {
      delta[b] = this.sampler.histogramTotal(SharedHistogram.FLUSH, b) -
        this.flushAtLastEvaluation[b];
    }
    const p99 = histogramQuantile(0.99, delta);
    return p99 !== undefined && p99 > rule.above ? [{ labels: {}, value: p99 }] : [];
  }

  private snapshotFlush(): void {
    for (let b = 0; b < HISTOGRAM_BUCKET_COUNT; b++) {
      this.flushAtLastEvaluation[b] = this.sampler.histogramTotal(SharedHistogram.FLUSH, b);
    }
  }

  /** A DLQ topic fires while records keep arriving in it (more since the last evaluation). */
  private dlqConditions(rule: AlertRule, topics: OpsTopic[]): Condition[] {
    const matches = globMatcher(rule.topic);
    const out: Condition[] = [];
    for (const topic of topics) {
      if (!matches(topic.name)) continue;
      let total = 0;
      for (let p = 0; p < topic.partitions; p++) {
        total += this.sampler.partitionTotal(topic.firstSlot + p,
          PartitionCounter.APPENDED_RECORDS);
      }
      const key = `${rule.name}\u0000${topic.name}`;
      const before = this.dlqTotals.get(key) ?? 0;
      this.dlqTotals.set(key, total);
      if (total > before) out.push({ labels: { topic: topic.name }, value: total - before });
    }
    return out;
  }
}

function summaryOf(rule: AlertRule, labels: Record<string, string>, value: number): string {
  if (rule.summary !== undefined) return rule.summary;
  switch (rule.kind) {
    case 'consumer-lag':
      return `group ${labels.group} lags ${value} records on ${labels.topic}-${labels.partition}` +
        ` (threshold ${rule.above})`;
    case 'actor-restarts':
      return `actor ${labels.actor} restarted ${value} times in a minute (threshold ${rule.above})`;
    case 'partition-failed': return `partition ${labels.topic}-${labels.partition} failed`;
    case 'disk-free':
      return `${value.toFixed(1)}% free on the data directory's file system ` +
        `(threshold ${rule.below}%)`;
    case 'flush-latency-p99':
      return `flush latency p99 ${(value * 1000).toFixed(1)} ms ` +
        `(threshold ${(rule.above * 1000).toFixed(1)} ms)`;
    case 'dlq-messages': return `${value} records arrived in ${labels.topic}`;
  }
}
