/**
 * Issue 15's idle scenario on its own (`bench/harness/idle-cpu.ts`: 4 topics, a consumer
 * waiting on each, no traffic), to see what wakes up when nothing happens. Over the window it
 * prints the process's share of a core and, per thread (Linux /proc/self/task), CPU time from
 * schedstat and the wake-ups (voluntary context switches: each is one sleep ended), per second.
 * `--strace FILE` attaches `strace -f` to every thread for the window only: `-c` counts per
 * syscall into FILE; with `--tt` every call is written with its thread and time instead.
 *
 *   npm run build && node dist/bench/tools/idle-profile.js [--seconds 10] [--idle park]
 *     [--strace /tmp/idle.strace [--tt]] [--timers]
 *   node --cpu-prof --cpu-prof-dir=/tmp/idle-prof dist/bench/tools/idle-profile.js
 *   node dist/bench/tools/cpu-profile-top.js /tmp/idle-prof --window FROM:TO 15
 *
 * `--repeat N` prints only the process figures (CPU, wake-ups of all threads), N windows after
 * one settling, for A/B runs.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Broker } from '../../src/index.js';
import { openIdleScenario } from '../harness/idle-cpu.js';
import type { IdleBrokerClass } from '../harness/idle-cpu.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index < 0 ? fallback : process.argv[index + 1];
}

interface ThreadSample {
  readonly name: string;
  readonly cpuNs: number;
  readonly wakeUps: number;
  readonly preemptions: number;
}

/** One line per thread of this process: name, CPU ns so far, voluntary / forced switches. */
function sampleThreads(): Map<number, ThreadSample> {
  const threads = new Map<number, ThreadSample>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const dir = `/proc/self/task/${tid}`;
      const status = fs.readFileSync(`${dir}/status`, 'utf8');
      const field = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm')
        .exec(status)?.[1] ?? 0);
      threads.set(Number(tid), {
        name: fs.readFileSync(`${dir}/comm`, 'utf8').trim(),
        cpuNs: Number(fs.readFileSync(`${dir}/schedstat`, 'utf8').split(' ')[0]),
        wakeUps: field('voluntary_ctxt_switches'),
        preemptions: field('nonvoluntary_ctxt_switches'),
      });
    } catch (error) {
      // A thread that ended between the listing and the read has nothing left to count.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return threads;
}

function totalWakeUps(threads: Map<number, ThreadSample>): number {
  let sum = 0;
  for (const thread of threads.values()) sum += thread.wakeUps;
  return sum;
}

function printThreads(before: Map<number, ThreadSample>, after: Map<number, ThreadSample>,
  seconds: number): void {
  const rows = [...after].map(([tid, end]) => {
    const start = before.get(tid) ?? { name: end.name, cpuNs: 0, wakeUps: 0, preemptions: 0 };
    return {
      tid, name: end.name,
      cpuPerMille: (end.cpuNs - start.cpuNs) / 1e6 / seconds,
      wakeUpsPerS: (end.wakeUps - start.wakeUps) / seconds,
      preemptionsPerS: (end.preemptions - start.preemptions) / seconds,
    };
  }).filter((row) => row.cpuPerMille > 0 || row.wakeUpsPerS > 0)
    .sort((a, b) => b.cpuPerMille - a.cpuPerMille);
  console.log('tid      thread            CPU ms/s  wake-ups/s  preempted/s');
  for (const row of rows) {
    console.log(`${String(row.tid).padEnd(8)} ${row.name.padEnd(17)} ` +
      `${row.cpuPerMille.toFixed(3).padStart(8)}  ${row.wakeUpsPerS.toFixed(1).padStart(10)}  ` +
      `${row.preemptionsPerS.toFixed(1).padStart(11)}`);
  }
  const sum = (pick: (row: typeof rows[number]) => number) =>
    rows.reduce((total, row) => total + pick(row), 0);
  console.log(`all threads: ${(sum((r) => r.cpuPerMille) / 10).toFixed(3)} % of a core, ` +
    `${sum((r) => r.wakeUpsPerS).toFixed(1)} wake-ups/s`);
}

/** `strace -f` on every thread of this process until `stop` is called. */
function startStrace(file: string, perCall: boolean): () => Promise<void> {
  const flags = perCall ? ['-f', '-tt', '-T'] : ['-f', '-c'];
  const child = spawn('strace', [...flags, '-o', file, '-p', String(process.pid)],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return async () => {
    child.kill('SIGINT');
    await exited;
  };
}

/**
 * `--timers`: counts the main thread's timer callbacks by where they were armed (the first
 * frame in Mamba's own code), so each periodic wake-up can be named. Wraps setTimeout and
 * setInterval before the broker is opened; `Atomics.waitAsync` timeouts are not timers and do
 * not show here.
 */
function countTimers(): { reset(): void; report(seconds: number): void } {
  const fires = new Map<string, number>();
  const wrap = <F extends (callback: (...args: unknown[]) => void, ms?: number) => unknown>(
    original: F, kind: string): F => ((callback: (...args: unknown[]) => void, ms?: number,
    ...rest: unknown[]) => {
    const site = new Error().stack?.split('\n').slice(2)
      .find((line) => line.includes('/dist/src/'))?.trim().replace(/^at /, '')
      .replace(/\(?file:\/\/.*\/dist\//, '(') ?? 'elsewhere';
    const key = `${kind} ${ms ?? 0} ms ${site}`;
    return original((...args: unknown[]) => {
      fires.set(key, (fires.get(key) ?? 0) + 1);
      callback(...args);
    }, ms, ...(rest as []));
  }) as unknown as F;
  globalThis.setTimeout = wrap(globalThis.setTimeout as never, 'setTimeout') as never;
  globalThis.setInterval = wrap(globalThis.setInterval as never, 'setInterval') as never;
  return {
    reset: () => fires.clear(),
    report: (seconds) => {
      console.log('main-thread timer callbacks /s, by where they were armed:');
      for (const [key, count] of [...fires].sort((a, b) => b[1] - a[1])) {
        console.log(`  ${(count / seconds).toFixed(2).padStart(7)}  ${key}`);
      }
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const seconds = Number(option('--seconds', '10'));
  const idleText = option('--idle', '');
  const idle = idleText === '' ? undefined
    : idleText.startsWith('{') ? JSON.parse(idleText) as unknown : idleText;
  const repeat = Number(option('--repeat', '0'));
  const straceFile = option('--strace', '');
  const timers = process.argv.includes('--timers') ? countTimers() : undefined;
  const scenario = await openIdleScenario(Broker as unknown as IdleBrokerClass, idle);
  try {
    for (let run = 0; run < repeat; run++) {
      const wakeUpsBefore = totalWakeUps(sampleThreads());
      const cpuStart = process.cpuUsage();
      const startedAt = performance.now();
      await sleep(seconds * 1000);
      const cpu = process.cpuUsage(cpuStart);
      const elapsedMs = performance.now() - startedAt;
      const wakeUps = totalWakeUps(sampleThreads()) - wakeUpsBefore;
      console.log(`idle ${((cpu.user + cpu.system) / 10 / elapsedMs).toFixed(3)} % of a core, ` +
        `${(wakeUps / elapsedMs * 1000).toFixed(1)} wake-ups/s`);
    }
    if (repeat > 0) return;
    const stopStrace = straceFile === '' ? undefined
      : startStrace(straceFile, process.argv.includes('--tt'));
    // strace needs a moment to attach to every thread before the window opens.
    if (stopStrace !== undefined) await sleep(500);
    const fromUs = process.hrtime.bigint() / 1000n;
    timers?.reset();
    const before = sampleThreads();
    const cpuStart = process.cpuUsage();
    const startedAt = performance.now();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(cpuStart);
    const after = sampleThreads();
    const toUs = process.hrtime.bigint() / 1000n;
    const elapsedS = (performance.now() - startedAt) / 1000;
    await stopStrace?.();
    console.log(`idle broker, ${scenario.consumerCount} consumers, ${elapsedS.toFixed(1)} s: ` +
      `${((cpu.user + cpu.system) / 10 / (elapsedS * 1000)).toFixed(3)} % of a core`);
    printThreads(before, after, elapsedS);
    timers?.report(elapsedS);
    console.log(`profile window (cpu-profile-top.js --window): ${fromUs}:${toUs}`);
  } finally {
    await scenario.close();
  }
}

await main();
