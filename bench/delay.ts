/**
 * `npm run bench -- delay`: issue 13's delayed-delivery benchmark, two phases in one process.
 *
 * 1. Pending: an empty broker's RSS, then `--pending` (default 1 M) messages parked for an
 *    hour, and the RSS, JS heap and the delay service's own structures (wheel slots, done set)
 *    once all are in the wheel. Target: the service's memory per pending message stays compact
 *    (≤ 64 bytes each: slots, not messages) and the JS heap grows by ≤ 128 MiB.
 * 2. Lateness: `--rate` (default 10 k) delayed messages/s for `--seconds` (default 12), each
 *    with a delay drawn from 0 to 10 s, consumed by a consumer in a worker thread
 *    (delay-consumer-worker.ts); lateness = the time the consumer sees a message minus its due
 *    time. Targets: p99 ≤ 20 ms, none early.
 *
 * Each target is printed MET or NOT MET.
 */
import { Worker } from 'node:worker_threads';
import { Broker } from '../src/index.js';
import { workerUrl } from '../src/worker-url.js';
import { workerLaunchOptions } from '../src/worker-exec-argv.js';
import type { DelayConsumerData, DelayConsumerReport } from './delay-consumer-worker.js';
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import os from 'node:os';
import path from 'node:path';

// A full collection before each memory reading, so that the heap figures are live objects,
// not garbage (the suite runs without --expose-gc).
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** A fresh data directory, removed when the process exits. */
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamba-bench-delay-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const help = [
  'usage: mamba bench delay [--rate N] [--seconds S] [--pending N]',
  '  --rate      delayed messages per second in the lateness phase (default 10000)',
  '  --seconds   how long the lateness phase sends (default 12); delays are 0-10 s',
  '  --pending   messages parked for the memory phase (default 1000000)',
].join('\n');

const latenessP99MsMax = 20;
const slotBytesPerMessageMax = 64;
const heapGrowthBytesMax = 128 * 1024 * 1024;
const delayMsSpan = 10_000;
const valueBytes = 100;
const MiB = 1024 * 1024;

interface Options { rate: number; seconds: number; pending: number }

function parseOptions(args: string[]): Options {
  const options: Options = { rate: 10_000, seconds: 12, pending: 1_000_000 };
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i].replace(/^--/, '') as keyof Options;
    const value = Number(args[i + 1]);
    if (!(name in options) || !Number.isFinite(value) || value <= 0) {
      throw new Error(`mamba bench delay: bad option ${args[i]} ${args[i + 1]}\n${help}`);
    }
    options[name] = value;
  }
  return options;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

function verdict(met: boolean): string {
  return met ? 'MET' : 'NOT MET';
}

async function pendingPhase(count: number): Promise<string[]> {
  const broker = await Broker.open({ dataDir: tempDir(), actors: 2 });
  try {
    await broker.createTopic('parked', { partitions: 4 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    collectGarbage();
    const empty = process.memoryUsage();
    const producer = broker.producer({ acks: 1, lingerMs: 2 });
    const value = new Uint8Array(valueBytes);
    const startMs = Date.now();
    // Four sendBatch calls in flight at a time, 10 k messages each.
    let next = 0;
    const lane = async () => {
      while (next < count) {
        const first = next;
        const n = Math.min(10_000, count - first);
        next += n;
        await producer.sendBatch('parked', Array.from({ length: n },
          (_, i) => ({ key: `k${(first + i) % 1000}`, value, delayMs: 3_600_000 })));
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
    const parkedMs = Date.now() - startMs;
    const inWheel = await until(() => broker.delayStats()!.pendingCount === count, 120_000);
    collectGarbage();
    const full = process.memoryUsage();
    const stats = broker.delayStats()!;
    const serviceBytes = stats.wheelMemoryBytes + stats.deliveredSetMemoryBytes;
    const heapGrowth = full.heapUsed - empty.heapUsed;
    return [
      `pending phase: ${count} messages parked in ${parkedMs} ms, in the wheel: ${inWheel}`,
      `  RSS empty broker ${(empty.rss / MiB).toFixed(1)} MiB, with ${count} pending ` +
        `${(full.rss / MiB).toFixed(1)} MiB (+${((full.rss - empty.rss) / MiB).toFixed(1)} MiB; ` +
        'includes the mapped pages of the delayed log and the actors)',
      `  JS heap +${(heapGrowth / MiB).toFixed(1)} MiB, array buffers ` +
        `+${((full.arrayBuffers - empty.arrayBuffers) / MiB).toFixed(1)} MiB`,
      `  delay service: wheel ${(stats.wheelMemoryBytes / MiB).toFixed(1)} MiB, done set ` +
        `${stats.deliveredSetMemoryBytes} B = ${(serviceBytes / count).toFixed(1)} B/message`,
      `target service memory ≤ ${slotBytesPerMessageMax} B per pending message: ` +
        verdict(inWheel && serviceBytes / count <= slotBytesPerMessageMax),
      `target JS heap growth ≤ ${heapGrowthBytesMax / MiB} MiB at ${count} pending: ` +
        verdict(inWheel && heapGrowth <= heapGrowthBytesMax),
    ];
  } finally {
    await broker.close();
  }
}

async function latenessPhase(rate: number, seconds: number): Promise<string[]> {
  const broker = await Broker.open({ dataDir: tempDir(), actors: 2 });
  try {
    await broker.createTopic('timed', { partitions: 4 });
    const total = Math.round(rate * seconds);
    let received = 0;
    const workerData: DelayConsumerData = {
      handle: broker.consumerHandle({ fromBeginning: true }), topic: 'timed', expected: total,
    };
    const worker = new Worker(workerUrl('./delay-consumer-worker.js', import.meta.url),
      { workerData, ...workerLaunchOptions() });
    let resolveLateness: (report: { received: number; latenessMs: Float64Array }) => void;
    const latenessReport = new Promise<{ received: number; latenessMs: Float64Array }>(
      (resolve) => { resolveLateness = resolve; });
    let subscribed: () => void;
    const ready = new Promise<void>((resolve) => { subscribed = resolve; });
    worker.on('message', (report: DelayConsumerReport) => {
      if (report.kind === 'subscribed') subscribed();
      else if (report.kind === 'count') received = report.received;
      else resolveLateness(report);
    });
    await ready;
    const producer = broker.producer({ acks: 1 });
    const value = new Uint8Array(valueBytes);
    const startMs = Date.now();
    let sent = 0;
    const sends: Promise<unknown>[] = [];
    while (sent < total) {
      const due = Math.min(total, Math.floor((Date.now() - startMs) * rate / 1000));
      if (due > sent) {
        const batch = Array.from({ length: due - sent }, (_, i) => ({
          key: `k${(sent + i) % 1000}`, value, delayMs: Math.random() * delayMsSpan,
        }));
        sends.push(producer.sendBatch('timed', batch));
        sent = due;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(sends);
    const drained = await until(() => received >= total, delayMsSpan + 15_000);
    const service = broker.delayStats()!;
    worker.postMessage({ kind: 'stop' });
    const final = await latenessReport;
    received = final.received;
    await new Promise((resolve) => worker.once('exit', resolve));
    const sorted = final.latenessMs.subarray(0, Math.min(received, total)).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    const early = sorted.filter((ms) => ms < 0).length;
    const p99 = at(0.99);
    return [
      `lateness phase: ${total} messages at ${rate}/s, delays 0-${delayMsSpan / 1000} s; ` +
        `received ${received} (${drained ? 'all' : 'NOT all'}); delay service: delivered ` +
        `${service.deliveredCount}, pending ${service.pendingCount}, in flight ` +
        `${service.inFlightCount}`,
      `  lateness ms: p50 ${at(0.5)}, p99 ${p99}, p99.9 ${at(0.999)}, ` +
        `max ${sorted[sorted.length - 1]}, min ${sorted[0]}; early ${early}`,
      `target lateness p99 ≤ ${latenessP99MsMax} ms: ` +
        verdict(drained && p99 <= latenessP99MsMax),
      `target none early: ${verdict(drained && early === 0)}`,
    ];
  } finally {
    await broker.close();
  }
}

export async function run(args: string[]): Promise<void> {
  const options = parseOptions(args);
  const lines = [
    ...await pendingPhase(options.pending),
    ...await latenessPhase(options.rate, options.seconds),
  ];
  console.log(['# mamba bench delay', ...lines].join('\n'));
}
