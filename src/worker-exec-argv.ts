/**
 * The Node options a worker thread of Mamba starts with (issue 10, gap 2).
 *
 * A `Worker` without `execArgv` inherits the main thread's options, and some of those make no
 * sense for a worker whose entry is a file: `node --input-type=module -e '…'` gives every worker
 * `--input-type`, which Node refuses with a file entry, so every actor died at start. And an
 * explicit `execArgv` may not hold V8 or process-wide options (`ERR_WORKER_INVALID_EXEC_ARGV`).
 * So every worker Mamba spawns (actors, the segment-preparation pool, the handler pool, the
 * crash-test workers) gets its options from here:
 *
 * | option of the main process                                 | in the worker               |
 * |------------------------------------------------------------|-----------------------------|
 * | `--input-type`, `-e/--eval`, `-p/--print`, `-c/--check`,   | dropped: they describe the  |
 * | `-i/--interactive`, `--test`, `--test-*`, `--watch*`, `-`  | main entry only             |
 * | `--max-old-space-size`, `--max-semi-space-size`,           | kept as `resourceLimits`    |
 * | `--stack-size`                                             | (the worker form of them)   |
 * | other V8 or process-wide options (`--title`, `--jitless`,  | dropped: a worker cannot    |
 * | `--inspect*`, `--expose-gc`, `--v8-pool-size`, …)          | take them                   |
 * | everything else: `--import`, `-r/--require`, `--loader`,   | kept                        |
 * | `--enable-source-maps`, `--conditions`, `--no-warnings`, … |                             |
 */
import type { ResourceLimits } from 'node:worker_threads';
import { actorYoungGenerationSizeMbMax } from './constants.js';

export interface WorkerLaunchOptions {
  execArgv: string[];
  resourceLimits: ResourceLimits;
}

/** Options that describe the main entry; with a value in the next word when not given `=`. */
const mainEntryFlags = new Map<string, boolean>([
  ['--input-type', true], ['-e', true], ['--eval', true], ['-p', true], ['--print', true],
  ['-pe', true],
  ['-c', false], ['--check', false], ['-i', false], ['--interactive', false],
  ['--test', false], ['--watch', false], ['-', false],
]);
/** Prefixes of main-entry options (`--test-reporter x`, `--watch-path x`, …). */
const mainEntryPrefixes = ['--test-', '--watch-'];
/** `--test-*` and `--watch-*` options that take no value. */
const mainEntryPrefixedSwitches = new Set([
  '--test-only', '--watch-preserve-output', '--test-update-snapshots', '--test-force-exit',
]);

/** V8 and process-wide options a worker's `execArgv` may not hold; value: takes a value. */
const processWideFlags = new Map<string, boolean>([
  ['--title', true], ['--v8-pool-size', true], ['--icu-data-dir', true],
  ['--openssl-config', true], ['--secure-heap', true], ['--secure-heap-min', true],
  ['--stack-trace-limit', true], ['--debug-port', true], ['--inspect-port', true],
  ['--trace-event-categories', true], ['--trace-event-file-pattern', true],
  ['--jitless', false], ['--expose-gc', false],
  ['--zero-fill-buffers', false], ['--use-openssl-ca', false], ['--use-bundled-ca', false],
  ['--abort-on-uncaught-exception', false], ['--huge-max-old-generation-size', false],
  ['--interpreted-frames-native-stack', false], ['--disallow-code-generation-from-strings', false],
  ['--perf-basic-prof', false], ['--perf-basic-prof-only-functions', false],
  ['--perf-prof', false], ['--perf-prof-unwinding-info', false], ['--inspect', false],
  ['--inspect-brk', false], ['--inspect-wait', false], ['--prof', false],
  ['--trace-gc', false], ['--max-http-header-size', true],
]);

/** Memory options, and the `resourceLimits` field each becomes in a worker. */
const memoryFlags = new Map<string, (value: number) => ResourceLimits>([
  ['--max-old-space-size', (mb) => ({ maxOldGenerationSizeMb: mb })],
  // V8's young generation is three semi-spaces.
  ['--max-semi-space-size', (mb) => ({ maxYoungGenerationSizeMb: 3 * mb })],
  ['--stack-size', (kb) => ({ stackSizeMb: kb / 1024 })],
]);

/** What a worker started now should run with, from this process's `execArgv`. */
export function workerLaunchOptions(execArgv: readonly string[] = process.execArgv):
  WorkerLaunchOptions {
  const kept: string[] = [];
  let resourceLimits: ResourceLimits = {};
  for (let index = 0; index < execArgv.length; index++) {
    const word = execArgv[index];
    const equals = word.indexOf('=');
    const name = normalise(equals < 0 ? word : word.slice(0, equals));
    const inlineValue = equals < 0 ? undefined : word.slice(equals + 1);
    const memory = memoryFlags.get(name);
    if (memory !== undefined) {
      const value = inlineValue ?? execArgv[++index];
      const amount = Number(value);
      if (Number.isFinite(amount) && amount > 0) {
        resourceLimits = { ...resourceLimits, ...memory(amount) };
      }
      continue;
    }
    const takesValue = valueOfDropped(name);
    if (takesValue === undefined) {
      kept.push(word);
      continue;
    }
    if (takesValue && inlineValue === undefined) index++;
  }
  return { execArgv: kept, resourceLimits };
}

/** For a dropped option: whether it takes a value; undefined for an option to keep. */
function valueOfDropped(name: string): boolean | undefined {
  const entry = mainEntryFlags.get(name) ?? processWideFlags.get(name);
  if (entry !== undefined) return entry;
  if (mainEntryPrefixes.some((prefix) => name.startsWith(prefix))) {
    return !mainEntryPrefixedSwitches.has(name);
  }
  if (name.startsWith('--inspect') || name.startsWith('--perf-')) return false;
  return undefined;
}

/** V8 spells options with `_` or `-` alike; Node's own options use `-`. */
function normalise(name: string): string {
  return name.startsWith('--') ? `--${name.slice(2).replaceAll('_', '-')}` : name;
}

/**
 * What an actor worker starts with: `workerLaunchOptions` with its young generation bounded to
 * `actorYoungGenerationSizeMbMax`, unless the process's own `--max-semi-space-size` says
 * otherwise (then that wins, as for every worker).
 */
export function actorLaunchOptions(execArgv: readonly string[] = process.execArgv):
  WorkerLaunchOptions {
  const options = workerLaunchOptions(execArgv);
  return {
    ...options,
    resourceLimits: {
      maxYoungGenerationSizeMb: actorYoungGenerationSizeMbMax, ...options.resourceLimits,
    },
  };
}
