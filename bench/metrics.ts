/**
 * `npm run bench -- metrics`: what one Prometheus scrape of a broker costs (issue 14: ≤ 5 ms
 * with 1,000 partitions). A broker with 1,000 partitions (10 topics × 100, every partition
 * holding records, one group committed on all of them) is scraped `--scrapes` times after a
 * warm-up; the suite prints the mean, median and p99 of `broker.metrics()` and the size of the
 * text. Baseline, in the same run: the same per-partition series through prom-client's own
 * labelled Gauges (`gauge.set(labels, value)` per series per scrape), the way a scrape would
 * cost without the collected metrics of src/ops/metrics.
 *
 * On a machine shared with other work the wall clock mostly measures waiting for a core, so
 * each line also gives the CPU time per scrape. The process's CPU time counts every thread
 * (actors' heartbeats, GC helpers); the line "same scrape, no broker threads" renders the same
 * series (1,000 partitions, a group committed on all of them) from a control block with no
 * actors running, which isolates the scrape's own CPU.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { Broker } from '../src/index.js';
import { BrokerOps, type OpsSource } from '../src/ops/index.js';
import { ControlBlock } from '../src/shm/index.js';

export const help = `usage: mamba bench metrics [options]
  --partitions 1000   partitions in all (topics of 100 partitions)
  --scrapes 200       measured scrapes (after 20 of warm-up)`;

const partitionsPerTopic = 100;
/** The per-partition series the broker exposes (see src/ops/metrics/metrics-registry.ts). */
const perPartitionSeries = 10;

function summary(samplesMs: number[]): { mean: number; p50: number; p99: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { mean: sorted.reduce((s, x) => s + x, 0) / sorted.length, p50: at(0.5), p99: at(0.99) };
}

interface Timing {
  samplesMs: number[];
  /** CPU time of the process (user + system, every thread) per scrape: less sensitive than the
   * wall clock to other processes on a busy machine. */
  cpuMsPerScrape: number;
  bytes: number;
}

async function timeScrapes(scrape: () => Promise<string>, count: number): Promise<Timing> {
  let bytes = 0;
  for (let i = 0; i < 20; i++) bytes = (await scrape()).length;
  const samplesMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await scrape();
    samplesMs.push(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { samplesMs, bytes, cpuMsPerScrape: (cpu.user + cpu.system) / 1000 / count };
}

function line(label: string, timing: Timing, note: string): string {
  const { mean, p50, p99 } = summary(timing.samplesMs);
  const f = (x: number) => x.toFixed(2).padStart(7);
  return `  ${label.padEnd(30)} mean ${f(mean)} ms  p50 ${f(p50)} ms  p99 ${f(p99)} ms  ` +
    `cpu ${f(timing.cpuMsPerScrape)} ms  ${note}`;
}

/** The same scrape over a bare control block: no worker threads use CPU meanwhile. */
function bareScrape(topicNames: string[]):
  { scrape: () => Promise<string>; close(): Promise<void> } {
  const topics = topicNames.map((name, i) => ({
    name, firstSlot: i * partitionsPerTopic, partitions: partitionsPerTopic,
  }));
  const committed = topics.flatMap((t) => Array.from({ length: partitionsPerTopic },
    (_, partition) => ({ topic: t.name, partition, offset: 0 })));
  const source: OpsSource = {
    dataDir: os.tmpdir(), actorCount: 2, controlBlock: ControlBlock.create(),
    events: { on: () => undefined, off: () => undefined }, topics: () => topics,
    actorOf: (slot) => slot % 2,
    groups: () => [{ groupId: 'bench', generation: 1, members: [], committed }],
    heartbeatAgeMs: () => 0, ringOccupancy: () => ({ usedBytes: 0, capacityBytes: 0 }),
    producerBufferedBytes: () => 0,
  };
  const ops = new BrokerOps(source);
  return { scrape: () => ops.render(), close: () => ops.close() };
}

/** The baseline: prom-client Gauges with topic/partition labels, set on every scrape. */
function gaugeBaseline(topics: string[]): () => Promise<string> {
  const registry = new Registry();
  const gauges = Array.from({ length: perPartitionSeries }, (_, i) => new Gauge({
    name: `baseline_partition_series_${i}`, help: 'baseline', labelNames: ['topic', 'partition'],
    registers: [registry],
  }));
  let tick = 0;
  return () => {
    tick++;
    for (const gauge of gauges) {
      for (const topic of topics) {
        for (let p = 0; p < partitionsPerTopic; p++) gauge.set({ topic, partition: p }, tick + p);
      }
    }
    return registry.metrics();
  };
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    partitions: { type: 'string', default: '1000' }, scrapes: { type: 'string', default: '200' },
  } });
  const partitions = Number(values.partitions);
  const scrapes = Number(values.scrapes);
  if (!Number.isInteger(partitions) || partitions < partitionsPerTopic ||
    partitions % partitionsPerTopic !== 0 || !Number.isInteger(scrapes) || scrapes < 1) {
    throw new Error(`--partitions must be a multiple of ${partitionsPerTopic}, --scrapes ≥ 1`);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-bench-metrics-'));
  const broker = await Broker.open({ dataDir, actors: 2 });
  try {
    const topics = Array.from({ length: partitions / partitionsPerTopic }, (_, i) => `topic-${i}`);
    for (const topic of topics) {
      await broker.createTopic(topic, { partitions: partitionsPerTopic, segmentBytes: 64 * 1024 });
    }
    const producer = broker.producer({ acks: 1 });
    await Promise.all(topics.flatMap((topic) => Array.from({ length: partitionsPerTopic },
      (_, partition) => producer.send(topic, { partition, value: 'x' }))));
    await producer.close();
    const consumer = broker.consumer({ groupId: 'bench', fromBeginning: true, autoCommit: false });
    await consumer.subscribe(topics);
    await consumer.commit(topics.flatMap((topic) => Array.from({ length: partitionsPerTopic },
      (_, partition) => ({ topic, partition, offset: 0 }))));

    const mamba = await timeScrapes(() => broker.metrics(), scrapes);
    const bare = bareScrape(topics);
    const bareTiming = await timeScrapes(bare.scrape, scrapes);
    await bare.close();
    const processOnly = new Registry();
    collectDefaultMetrics({ register: processOnly });
    const processMetrics = await timeScrapes(() => processOnly.metrics(), scrapes);
    const baseline = await timeScrapes(gaugeBaseline(topics), scrapes);
    await consumer.close();
    const m = summary(mamba.samplesMs);
    console.log(`metrics scrape, ${partitions} partitions, ${scrapes} scrapes ` +
      `(node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`);
    console.log(line('broker.metrics()', mamba, `${(mamba.bytes / 1024).toFixed(0)} KiB`));
    console.log(line('same scrape, no broker threads', bareTiming, ''));
    console.log(line('  of it: process metrics', processMetrics, 'prom-client defaults'));
    console.log(line('baseline labelled Gauges', baseline,
      `${perPartitionSeries} series × ${partitions} partitions only`));
    console.log(`  ratio baseline / broker.metrics() (mean): ` +
      `${(summary(baseline.samplesMs).mean / m.mean).toFixed(2)}×; target ≤ 5 ms: ` +
      `p50 ${m.p50 <= 5 ? 'met' : 'missed'}, mean ${m.mean <= 5 ? 'met' : 'missed'}, ` +
      `CPU without broker threads ${bareTiming.cpuMsPerScrape <= 5 ? 'met' : 'missed'}`);
  } finally {
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
