/**
 * Where one paced message's end-to-end latency goes (issue 15), per stage, through the real
 * broker and the bench's own paced scenario (peers' latency pass: 1 producer, 1 partition,
 * acks 1, one consumer, batches of 10). latency-probe.ts stamps each stage; this tool matches
 * the stamps of every batch and prints p50 / p99 / max per stage, and the mean of each stage
 * over the slowest 1 % of batches (what the p99 is made of).
 *
 *   npm run build && node dist/bench/tools/latency-breakdown.js [rates, default 10000,100000]
 *     [--duration 3000] [--warmup 1000]
 *
 * It re-runs itself with `--import latency-probe.js` (node options such as --trace-gc given
 * before the script are kept). MAMBA_BENCH_IDLE applies as in the bench.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mambaFactory } from '../systems/index.js';
import { runScenario } from '../harness/scenario-runner.js';
import { scenarioName, type Scenario } from '../harness/scenario.js';

const probeEnv = 'MAMBA_LATENCY_PROBE';

interface Options { rates: number[]; durationMs: number; warmupMs: number }

function parseArgs(args: string[]): Options {
  const options: Options = { rates: [10_000, 100_000], durationMs: 3000, warmupMs: 1000 };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--duration') options.durationMs = Number(args[++index]);
    else if (arg === '--warmup') options.warmupMs = Number(args[++index]);
    else options.rates = arg.split(',').map(Number);
  }
  return options;
}

/** The peers suite's latency scenario at `rate` (bench/peers.ts latencyScenarios). */
function pacedScenario(rate: number, options: Options): Scenario {
  const scenario = {
    messageSizeBytes: 100, batchMessageCount: 10, producerCount: 1, partitionCount: 1,
    acks: 1 as const, consumerCount: 1, inFlightBatchesMax: 8, rateMessagesPerSec: rate,
    warmupMs: options.warmupMs, durationMs: options.durationMs, messageCountMax: 50_000_000,
    drainTimeoutMs: 30_000,
  };
  return { name: scenarioName(scenario), ...scenario };
}

type Event = [time: number, value: number];

/** A thread's log split by event kind, each list in time order. */
function byKind(log: Float64Array): Map<number, Event[]> {
  const kinds = new Map<number, Event[]>();
  const count = log[0]!;
  for (let index = 0; index < count; index++) {
    const at = 1 + 3 * index;
    const kind = log[at]!;
    let list = kinds.get(kind);
    if (list === undefined) kinds.set(kind, list = []);
    list.push([log[at + 1]!, log[at + 2]!]);
  }
  return kinds;
}

/** The index of the first event at or after `time` (events.length if none). */
function indexAtOrAfter(events: Event[], time: number): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (events[middle]![0] < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first event at or after `time`, or undefined. */
function firstAfter(events: Event[], time: number): Event | undefined {
  return events[indexAtOrAfter(events, time)];
}

/** The last event at or before `time`, or undefined. */
function lastBefore(events: Event[], time: number): Event | undefined {
  const index = indexAtOrAfter(events, time + 1e-3) - 1;
  return index >= 0 ? events[index] : undefined;
}

const stageNames = [
  'send → doorbell rung', 'doorbell → actor awake (futex)', 'awake → drain pass begins',
  'pass begins → batch appended', 'appended → HW published', 'HW → consumer woken',
  'woken → poll finds chunk', 'chunk → delivered', 'end to end', 'send → ack written',
] as const;

interface Breakdown {
  stagesUs: number[];
  actorParked: boolean;
  doorbellNotified: boolean;
  /** The actor's park that preceded the append ended by its timeout, not by a notify. */
  actorWaitTimedOut: boolean;
  /** A checkpoint, a main-thread or an actor GC ran while the batch was on its way. */
  checkpoint: boolean;
  mainGc: boolean;
  actorGc: boolean;
}

/** Whether some [end, duration] event overlaps [fromNs, toNs]. */
function overlaps(events: Event[], fromNs: number, toNs: number): boolean {
  const next = firstAfter(events, fromNs);
  return next !== undefined && next[0] - next[1] <= toNs;
}

function breakdowns(main: Map<number, Event[]>, actor: Map<number, Event[]>,
  warmupMs: number): Breakdown[] {
  const list = (kinds: Map<number, Event[]>, kind: number) => kinds.get(kind) ?? [];
  const delivered = list(main, ProbeEvent.DELIVERED);
  const rings = list(main, ProbeEvent.RING);
  const wakes = list(main, ProbeEvent.CONSUMER_WAKE);
  const polls = list(main, ProbeEvent.POLL_CHUNK);
  const drains = list(actor, ProbeEvent.DRAIN_BEGIN);
  const waitReturns = list(actor, ProbeEvent.WAIT_RETURN);
  const publishes = list(actor, ProbeEvent.PUBLISHED);
  const appended = new Map(list(actor, ProbeEvent.APPENDED).map(([t, base]) => [base, t]));
  const acked = new Map(list(actor, ProbeEvent.ACK_WRITTEN).map(([t, base]) => [base, t]));
  const result: Breakdown[] = [];
  const firstStamp = delivered[0]?.[1] ?? 0;
  for (let offset = 0; offset < delivered.length;) {
    const [deliveredNs, stamp] = delivered[offset]!;
    const base = offset;
    while (offset < delivered.length && delivered[offset]![1] === stamp) offset++;
    const appendNs = appended.get(base);
    if (stamp < firstStamp + warmupMs * 1e6 || appendNs === undefined) continue;
    const ring = firstAfter(rings, stamp);
    const drain = lastBefore(drains, appendNs);
    const published = firstPublishCovering(publishes, appendNs, offset);
    if (ring === undefined || drain === undefined || published === undefined) continue;
    const waitReturn = lastBefore(waitReturns, drain[0]);
    const parked = waitReturn !== undefined && waitReturn[0] >= ring[0];
    const awakeNs = parked ? waitReturn[0] : Math.max(ring[0], drain[0]);
    const wake = firstAfter(wakes, published[0]);
    const poll = firstAfter(polls, published[0]);
    const pollNs = poll === undefined ? deliveredNs : Math.min(poll[0], deliveredNs);
    const wokenNs = wake === undefined ? pollNs : Math.min(wake[0], pollNs);
    const points = [stamp, ring[0], awakeNs, Math.max(awakeNs, drain[0]), appendNs,
      published[0], wokenNs, pollNs, deliveredNs];
    const stagesUs = points.slice(1).map((point, index) => (point - points[index]!) / 1000);
    stagesUs.push((deliveredNs - stamp) / 1000);
    stagesUs.push(((acked.get(base) ?? NaN) - stamp) / 1000);
    result.push({
      stagesUs, actorParked: parked, doorbellNotified: ring[1] === 1,
      actorWaitTimedOut: parked && waitReturn[1] === 1,
      checkpoint: overlaps(list(actor, ProbeEvent.CHECKPOINT), stamp, deliveredNs),
      mainGc: overlaps(list(main, ProbeEvent.GC), stamp, deliveredNs),
      actorGc: overlaps(list(actor, ProbeEvent.GC), stamp, deliveredNs),
    });
  }
  return result;
}

/** The first publish after the append whose high-watermark covers the batch. */
function firstPublishCovering(publishes: Event[], appendNs: number, endOffset: number):
  Event | undefined {
  let index = indexAtOrAfter(publishes, appendNs);
  while (index < publishes.length && publishes[index]![1] < endOffset) index++;
  return publishes[index];
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

function report(rate: number, rows: Breakdown[]): void {
  const e2eIndex = stageNames.indexOf('end to end');
  const slowest = [...rows].sort((a, b) => b.stagesUs[e2eIndex]! - a.stagesUs[e2eIndex]!)
    .slice(0, Math.max(1, Math.ceil(rows.length / 100)));
  const parked = rows.filter((row) => row.actorParked).length;
  const notified = rows.filter((row) => row.doorbellNotified).length;
  console.log(`\n${rate} msgs/s: ${rows.length} batches; actor parked for ${parked} ` +
    `(${(100 * parked / rows.length).toFixed(0)} %), doorbell notified for ${notified}; ` +
    `of the slowest 1 % (${slowest.length}), ${slowest.filter((row) => row.actorParked).length} ` +
    `parked, ${slowest.filter((row) => row.actorWaitTimedOut).length} woken by the park's ` +
    `timeout; overlapping a checkpoint ${slowest.filter((row) => row.checkpoint).length}, ` +
    `a main-thread GC ${slowest.filter((row) => row.mainGc).length}, an actor GC ` +
    `${slowest.filter((row) => row.actorGc).length} (all batches: ` +
    `${rows.filter((row) => row.checkpoint).length}, ${rows.filter((row) => row.mainGc).length}` +
    `, ${rows.filter((row) => row.actorGc).length})`);
  console.log(`${'stage'.padEnd(34)} ${'p50 µs'.padStart(8)} ${'p99 µs'.padStart(8)} ` +
    `${'max µs'.padStart(8)} ${'slowest 1 %: mean µs'.padStart(21)}`);
  stageNames.forEach((name, stage) => {
    const values = rows.map((row) => row.stagesUs[stage]!).filter((value) => !isNaN(value))
      .sort((a, b) => a - b);
    const slowMean = slowest.reduce((sum, row) => sum + row.stagesUs[stage]!, 0) /
      slowest.length;
    console.log(`${name.padEnd(34)} ${percentile(values, 0.5).toFixed(1).padStart(8)} ` +
      `${percentile(values, 0.99).toFixed(1).padStart(8)} ` +
      `${values[values.length - 1]!.toFixed(0).padStart(8)} ${slowMean.toFixed(1).padStart(21)}`);
  });
}

const { ProbeEvent, threadLogs } = process.env[probeEnv] === '1'
  ? await import('./latency-probe.js') : { ProbeEvent: undefined!, threadLogs: undefined! };

function clearLogs(): void {
  for (const log of threadLogs.values()) log[0] = 0;
  for (const id of [...threadLogs.keys()]) if (id !== 0) threadLogs.delete(id);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  for (const rate of options.rates) {
    clearLogs();
    const system = mambaFactory.create(1)!;
    const result = await runScenario(system, pacedScenario(rate, options));
    const main = byKind(threadLogs.get(0)!);
    const actorLog = [...threadLogs.entries()].find(([id, log]) => id !== 0 &&
      byKind(log).has(ProbeEvent.APPENDED));
    if (actorLog === undefined) throw new Error('no actor thread recorded an append');
    const rows = breakdowns(main, byKind(actorLog[1]), options.warmupMs);
    const { ackLatency, endToEndLatency } = result;
    console.log(`\nbench row ${result.scenario}: ${result.status} ${result.reason}; ack p50 ` +
      `${ackLatency.p50Us.toFixed(0)} µs p99 ${ackLatency.p99Us.toFixed(0)} µs; e2e p50 ` +
      `${endToEndLatency.p50Us.toFixed(0)} µs p99 ${endToEndLatency.p99Us.toFixed(0)} µs`);
    report(rate, rows);
    const pauses = (events: Event[] | undefined) => {
      const durationsUs = (events ?? []).map(([, durationNs]) => durationNs / 1000)
        .sort((a, b) => a - b);
      return durationsUs.length === 0 ? 'none' : `${durationsUs.length}, p50 ` +
        `${percentile(durationsUs, 0.5).toFixed(0)} µs, max ` +
        `${durationsUs[durationsUs.length - 1]!.toFixed(0)} µs`;
    };
    const actorKinds = byKind(actorLog[1]);
    const checkpoints = pauses(actorKinds.get(ProbeEvent.CHECKPOINT));
    console.log(`checkpoints on the actor thread: ${checkpoints}` +
      `; GCs, main thread: ${pauses(main.get(ProbeEvent.GC))}; actor: ` +
      `${pauses(actorKinds.get(ProbeEvent.GC))}`);
  }
}

if (process.env[probeEnv] === '1') {
  await main();
} else {
  const probe = fileURLToPath(new URL('./latency-probe.js', import.meta.url));
  const child = spawnSync(process.execPath,
    [...process.execArgv, '--import', probe, fileURLToPath(import.meta.url),
      ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, [probeEnv]: '1' } });
  process.exitCode = child.status ?? 1;
}
