/**
 * What the peers bench's anonymous memory (RssAnon, issue 15: ≤ 200 MiB) is made of. Runs the
 * peers suite's scenarios in its order (mamba, then the in-process baselines, per scenario; no
 * idle window) and, in the middle of each run and after each teardown, splits RssAnon by
 * /proc/self/smaps and the V8 isolates' own figures:
 *
 * - main heap: the main thread's V8 heap pages resident (`total_physical_size`);
 * - actors: each actor worker's isolate, from `broker.stats()` (mamba runs only);
 * - malloc main: glibc's main arena (`[heap]`), where the main thread's native allocations go;
 * - malloc threads: glibc's per-thread arenas (mappings aligned to their 64 MiB reservation):
 *   native allocations of worker threads, which glibc keeps after the thread ends;
 * - rest: every other anonymous mapping (the heaps of workers not measured here, thread stacks,
 *   SharedArrayBuffer rings, large mallocs mmapped on their own, code pages).
 *
 * Rows per run: mid-run (60 % into the measured window), at the run's RssAnon peak (sampled
 * every 20 ms; the actors' heaps are in `rest` there, since asking them takes a round trip),
 * and after the teardown: what the next run starts on, memory a finished run leaves behind.
 * `--gc` collects the main heap before each after-teardown figure, to tell garbage not yet
 * collected from memory kept.
 *
 *   npm run build && node dist/bench/tools/memory-breakdown.js [--seconds 3] [--gc]
 *     [--systems mamba,postmessage,writesync] [--maps 10 (the largest mappings after each run)]
 */
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { parseArgs } from 'node:util';
import type { BenchSystem, BenchSystemFactory } from '../harness/bench-system.js';
import { readResident } from '../harness/memory-sampler.js';
import { runScenario } from '../harness/scenario-runner.js';
import { scenarioMatrix } from '../harness/suite-options.js';
import type { Scenario } from '../harness/scenario.js';
import { latencyScenarios, peersDefaults } from '../peers.js';
import { inProcessFactories, mambaFactory } from '../systems/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** glibc reserves each thread arena as a heap of this size, aligned to it (HEAP_MAX_SIZE). */
const threadArenaBytes = 64 * MiB;

/** RssAnon split into the parts this tool can name; all in bytes. */
interface Breakdown {
  rssAnon: number;
  mainHeap: number;
  /** Of `mainHeap`, what live (or not yet collected) objects use; the rest is free pages. */
  mainHeapUsed: number;
  /** The main heap's young generation (new space) resident: it grows with allocation rate. */
  mainNewSpace: number;
  actorHeaps: number;
  actorCount: number;
  mallocMain: number;
  mallocThreads: number;
  threadArenaCount: number;
  rest: number;
  threads: number;
}

interface Mapping { startAddress: bigint; sizeBytes: number; anonBytes: number; name: string }

function anonymousMappings(): Mapping[] {
  const text = fs.readFileSync('/proc/self/smaps', 'utf8');
  const mappings: Mapping[] = [];
  for (const block of text.split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+[ \t]*(.*)$/m.exec(block);
    const anon = /^Anonymous:\s+(\d+) kB/m.exec(block);
    if (head === null || anon === null || Number(anon[1]) === 0) continue;
    const startAddress = BigInt(`0x${head[1]!}`);
    mappings.push({
      startAddress, sizeBytes: Number(BigInt(`0x${head[2]!}`) - startAddress),
      anonBytes: Number(anon[1]) * KiB, name: head[3] ?? '',
    });
  }
  return mappings;
}

function statusField(text: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]);
}

/** Actor isolates as `stats()` reports them, where the system is a mamba broker. */
interface ActorHeaps { residentBytes: number; count: number }

function breakdown(actors: ActorHeaps | undefined): Breakdown {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  let mallocMain = 0;
  let mallocThreads = 0;
  let threadArenaCount = 0;
  let mapped = 0;
  for (const mapping of anonymousMappings()) {
    mapped += mapping.anonBytes;
    if (mapping.name === '[heap]') {
      mallocMain += mapping.anonBytes;
    } else if (mapping.startAddress % BigInt(threadArenaBytes) === 0n &&
      mapping.sizeBytes <= threadArenaBytes && mapping.name === '') {
      mallocThreads += mapping.anonBytes;
      threadArenaCount++;
    }
  }
  const heap = v8.getHeapStatistics();
  const mainHeap = heap.total_physical_size;
  const newSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  const actorHeaps = actors?.residentBytes ?? 0;
  return {
    rssAnon: statusField(status, 'RssAnon') * KiB, mainHeap, mainHeapUsed: heap.used_heap_size,
    mainNewSpace: newSpace?.physical_space_size ?? 0, actorHeaps,
    actorCount: actors?.count ?? 0, mallocMain, mallocThreads, threadArenaCount,
    rest: mapped - mallocMain - mallocThreads - mainHeap - actorHeaps,
    threads: statusField(status, 'Threads'),
  };
}

/** The mamba system's actors, through the optional hook bench/systems/mamba.ts offers. */
async function actorHeapsOf(system: BenchSystem): Promise<ActorHeaps | undefined> {
  const withStats = system as BenchSystem & {
    actorStats?: () => Promise<{ heap: { residentBytes: number } }[]>;
  };
  if (withStats.actorStats === undefined) return undefined;
  const stats = await withStats.actorStats().catch((error: unknown) => {
    console.log(`    (actor stats: ${String(error)})`);
    return undefined;
  });
  if (stats === undefined) return undefined;
  return {
    residentBytes: stats.reduce((sum, actor) => sum + actor.heap.residentBytes, 0),
    count: stats.length,
  };
}

/** The largest anonymous mappings, for a look at what `rest` holds. */
function largestMappings(count: number): string[] {
  return anonymousMappings().sort((a, b) => b.anonBytes - a.anonBytes).slice(0, count)
    .map((m) => `    ${m.startAddress.toString(16).padStart(12)} ` +
      `${mebibytes(m.sizeBytes)} MiB mapped ${mebibytes(m.anonBytes)} MiB anon ${m.name}`);
}

const collectGarbage = (): void => {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
};

function mebibytes(bytes: number): string {
  return (bytes / MiB).toFixed(1).padStart(7);
}

const columns = [
  'RssAnon', 'main heap (used, new space)', 'actors', 'malloc main', 'malloc threads (arenas)',
  'rest', 'threads',
];

function row(label: string, figures: Breakdown): string {
  const actors = `${mebibytes(figures.actorHeaps)}${figures.actorCount > 0
    ? ` (${figures.actorCount})` : '    '}`;
  const used = `(${mebibytes(figures.mainHeapUsed).trim()}, ` +
    `${mebibytes(figures.mainNewSpace).trim()})`;
  return `${label.padEnd(52)} ${mebibytes(figures.rssAnon)} ${mebibytes(figures.mainHeap)} ` +
    `${used.padEnd(13)}` +
    `${actors.padStart(11)} ${mebibytes(figures.mallocMain)}     ` +
    `${mebibytes(figures.mallocThreads)} (${String(figures.threadArenaCount).padStart(2)}) ` +
    `${mebibytes(figures.rest)}  ${String(figures.threads).padStart(3)}`;
}

type Phase = 'setup' | 'run' | 'teardown';

/** RssAnon's peak in each phase of a run, sampled every `intervalMs`. */
class PhasePeaks {
  phase: Phase = 'setup';
  readonly peakBytes: Record<Phase, number> = { setup: 0, run: 0, teardown: 0 };
  /** The breakdown taken when the run phase sampled its highest RssAnon (actors unknown). */
  runPeak: Breakdown | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }

  sample(): void {
    const anon = readResident()?.anon ?? 0;
    // Only a new high of the run reads /proc/self/smaps, so sampling stays cheap.
    if (this.phase === 'run' && anon > this.peakBytes.run) this.runPeak = breakdown(undefined);
    this.peakBytes[this.phase] = Math.max(this.peakBytes[this.phase], anon);
  }
}

/** Moves `peaks` from phase to phase as the runner calls the system's setup and teardown. */
function trackPhases(system: BenchSystem, peaks: PhasePeaks, onRun: () => void): void {
  const setup = system.setup.bind(system);
  const teardown = system.teardown.bind(system);
  system.setup = async (scenario: Scenario) => {
    await setup(scenario);
    peaks.sample();
    peaks.phase = 'run';
    onRun();
  };
  system.teardown = async () => {
    peaks.sample();
    peaks.phase = 'teardown';
    await teardown();
  };
}

/** One system through one scenario, with a breakdown mid-run and one after its teardown. */
async function measuredRun(factory: BenchSystemFactory, scenario: Scenario,
  gc: boolean, mapCount: number): Promise<number> {
  const system = factory.create(scenario.acks);
  if (system === undefined) return 0;
  const peaks = new PhasePeaks(20);
  // Taken at 60 % of the measured window, counted from the end of the setup.
  const midRunMs = scenario.warmupMs + scenario.durationMs * 0.6;
  let during: Promise<Breakdown> | undefined;
  let timer: NodeJS.Timeout | undefined;
  trackPhases(system, peaks, () => {
    timer = setTimeout(() => {
      during = actorHeapsOf(system).then((actors) => breakdown(actors));
    }, midRunMs);
  });
  const result = await runScenario(system, scenario);
  clearTimeout(timer);
  peaks.stop();
  const label = `${scenario.name} · ${system.name}`;
  if (result.status !== 'ok') {
    console.log(`${label}: ${result.status} ${result.reason}`);
    return 0;
  }
  if (during !== undefined) console.log(row(`${label} (running)`, await during));
  if (gc) collectGarbage();
  if (peaks.runPeak !== undefined) console.log(row(`${label} (at the run's peak)`, peaks.runPeak));
  console.log(row(`${label} (after teardown)`, breakdown(undefined)));
  const { setup, run, teardown } = peaks.peakBytes;
  console.log(`    RssAnon peak: setup ${mebibytes(setup)}, run ${mebibytes(run)}, ` +
    `teardown ${mebibytes(teardown)} MiB`);
  for (const line of largestMappings(mapCount)) console.log(line);
  return Math.max(setup, run, teardown);
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args, options: {
      seconds: { type: 'string', default: '3' },
      gc: { type: 'boolean', default: false },
      maps: { type: 'string', default: '0' },
      systems: { type: 'string', default: 'mamba,postmessage,writesync' },
    },
  });
  const durationMs = Number(values.seconds) * 1000;
  const options = { ...peersDefaults, durationMs };
  const scenarios = [...scenarioMatrix(options), ...latencyScenarios(options)];
  const prefixes = values.systems.split(',');
  const factories = [mambaFactory, ...inProcessFactories].filter((factory) =>
    prefixes.some((prefix) => factory.name.startsWith(prefix)));
  console.log(`${'MiB'.padEnd(52)} ${columns.join('  ')}`);
  console.log(row('start', breakdown(undefined)));
  const peakBytesBySystem = new Map<string, number>();
  for (const scenario of scenarios) {
    for (const factory of factories) {
      const peakBytes = await measuredRun(factory, scenario, values.gc, Number(values.maps));
      peakBytesBySystem.set(factory.name,
        Math.max(peakBytesBySystem.get(factory.name) ?? 0, peakBytes));
    }
  }
  const peaks = [...peakBytesBySystem].map(([name, bytes]) => `${name} ${mebibytes(bytes).trim()}`);
  console.log(`RssAnon peak while each system ran (MiB): ${peaks.join(', ')}`);
}

await main(process.argv.slice(2));
