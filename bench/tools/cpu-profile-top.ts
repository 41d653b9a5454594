/**
 * The top frames of V8 CPU profiles (`node --cpu-prof`), by self time: what the time went to.
 *
 *   node --cpu-prof --cpu-prof-dir=prof dist/bench/main.js produce --acks all
 *   node dist/bench/tools/cpu-profile-top.js prof [topCount]
 *
 * `--cpu-prof` writes one profile per thread (main thread, each partition actor, each producer
 * thread); each is summarised on its own, its busiest frames first, with their share of the
 * thread's sampled time (idle and the garbage collector are frames too).
 * `--window FROM:TO` (µs of the monotonic clock, as `bench/tools/idle-profile.ts` prints them)
 * keeps only the samples taken in that span.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string; readonly url: string; readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface FrameShare {
  readonly frame: string;
  readonly selfMs: number;
  readonly share: number;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url === '' ? '' : ` ${url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')}` +
    `:${lineNumber + 1}`;
  return `${functionName === '' ? '(anonymous)' : functionName}${file}`;
}

/** A span of the profiler's clock (µs of CLOCK_MONOTONIC, as `process.hrtime` counts). */
export interface SampleWindow { readonly fromUs: number; readonly toUs: number }

/**
 * Self time per frame (functions with the same name and place added up), busiest first; with
 * a window, only the samples taken inside it.
 */
export function selfTimes(profile: CpuProfile, window?: SampleWindow): FrameShare[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  let atUs = profile.startTime;
  profile.samples.forEach((id, index) => {
    const deltaUs = profile.timeDeltas[index] ?? 0;
    atUs += deltaUs;
    if (window !== undefined && (atUs < window.fromUs || atUs > window.toUs)) return;
    const node = byId.get(id);
    if (node === undefined) return;
    const name = frameName(node);
    selfUs.set(name, (selfUs.get(name) ?? 0) + deltaUs);
    totalUs += deltaUs;
  });
  return [...selfUs].map(([frame, us]) => ({
    frame, selfMs: us / 1000, share: totalUs > 0 ? us / totalUs : 0,
  })).sort((a, b) => b.selfMs - a.selfMs);
}

function profileFiles(paths: readonly string[]): string[] {
  return paths.flatMap((item) => (fs.statSync(item).isDirectory()
    ? fs.readdirSync(item).filter((file) => file.endsWith('.cpuprofile')).sort()
      .map((file) => path.join(item, file))
    : [item]));
}

function main(allArgs: readonly string[]): void {
  const windowAt = allArgs.indexOf('--window');
  const [fromUs, toUs] = windowAt < 0 ? [] : allArgs[windowAt + 1].split(':').map(Number);
  const window = windowAt < 0 ? undefined : { fromUs, toUs };
  const args = windowAt < 0 ? allArgs
    : [...allArgs.slice(0, windowAt), ...allArgs.slice(windowAt + 2)];
  const topCount = args.length > 1 && /^\d+$/.test(args.at(-1)!) ? Number(args.at(-1)) : 15;
  const paths = args.length > 1 && /^\d+$/.test(args.at(-1)!) ? args.slice(0, -1) : args;
  if (paths.length === 0) {
    console.error('usage: cpu-profile-top.js <profile-or-dir>... [topCount]');
    process.exitCode = 2;
    return;
  }
  for (const file of profileFiles(paths)) {
    const frames = selfTimes(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile, window);
    const totalMs = frames.reduce((sum, frame) => sum + frame.selfMs, 0);
    console.log(`${path.basename(file)}: ${totalMs.toFixed(0)} ms sampled`);
    for (const frame of frames.slice(0, topCount)) {
      console.log(`  ${(frame.share * 100).toFixed(1).padStart(5)}%  ` +
        `${frame.selfMs.toFixed(0).padStart(7)} ms  ${frame.frame}`);
    }
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) ===
  fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}
