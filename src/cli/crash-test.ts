/**
 * `mamba crash-test`: runs the verifying workload under seeded chaos and prints what the
 * checker found. Exit code 0 when nothing was violated, 1 on any violation, 2 on bad usage.
 *
 * ```
 * mamba crash-test [--duration 30s] [--kill-every 500ms]
 *                  [--modes terminate,throw,exit,process,torn,hang] [--topics 1]
 *                  [--partitions 8]
 *                  [--producers 2] [--consumers 3] [--acks all|1]
 *                  [--seed N] [--data-dir DIR] [--json] [--verify-with consumer-group|log]
 *                  [--calm 10s] [--actors 4] [--segment-bytes N] [--value-bytes 64]
 *                  [--delayed] [--dead-letters] [--transactions]
 * ```
 */
import { MambaError, invalidConfig } from '../errors.js';
import { parseCommandLine } from './command-line.js';
import {
  formatJson, formatTable, parseDurationMs, runCrashTest, startProgressDisplay,
  type CrashTestOptions, type KillMode,
} from './crash/index.js';
import { withFlagNames } from './crash/options.js';

export const crashTestUsage = `usage: mamba crash-test [options]
  --duration 30s          length of the chaos phase
  --kill-every 500ms      mean time between kills
  --modes LIST            terminate,throw,exit,process,torn,hang (default: all), hang-wait
  --topics 1 --partitions 8 --producers 2
  --consumers 3           members of the live consumer group (and of the final reader)
  --verify-with WHAT      final read-back: consumer-group (default) or log (the log files)
  --acks all|1            durability the producers ask for (default 1)
  --seed N                reproduces the chaos schedule (printed with every result)
  --data-dir DIR          a new or empty directory (default: a temporary one)
  --calm 10s              length of the calm baseline phase (default: min(duration, 10s))
  --actors 4 --segment-bytes N --value-bytes 64
  --delayed               also send delayed messages (0-2 s) and check each is delivered
                          once per group, not before its time
  --dead-letters          also run a group whose handler always fails for a seeded subset of
                          the records (1 retry, then <topic>.DLQ) and check each acknowledged
                          failing record is dead-lettered exactly once
  --transactions          also run consume-transform-produce workers (read an input topic,
                          write derived records to two output topics and commit the input's
                          offsets in one transaction) and check atomicity, exactly-once
                          output and that no read_committed reader saw an aborted record
  --no-standby            restart actors without warm standby workers (an A/B of downtime)
  --json                  print the result as JSON
  -h, --help              print this help`;

const argOptions = {
  'duration': { type: 'string' }, 'kill-every': { type: 'string' },
  'modes': { type: 'string' }, 'topics': { type: 'string' }, 'partitions': { type: 'string' },
  'producers': { type: 'string' }, 'consumers': { type: 'string' }, 'acks': { type: 'string' },
  'seed': { type: 'string' }, 'data-dir': { type: 'string' }, 'json': { type: 'boolean' },
  'calm': { type: 'string' }, 'actors': { type: 'string' },
  'segment-bytes': { type: 'string' }, 'value-bytes': { type: 'string' },
  'verify-with': { type: 'string' }, 'delayed': { type: 'boolean' },
  'no-standby': { type: 'boolean' },
  'dead-letters': { type: 'boolean' },
  'transactions': { type: 'boolean' },
  'help': { type: 'boolean', short: 'h' },
} as const;

/** Parses the command line into options (validated later, once, by `runCrashTest`). */
export function parseCrashTestArgs(args: readonly string[]): CrashTestOptions & { json: boolean;
  help: boolean } {
  const values = parseCommandLine(args, argOptions);
  const number = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) {
      throw invalidConfig(`--${name}`, text, 'a number');
    }
    return value;
  };
  const duration = (name: string, text: string | undefined) =>
    text === undefined ? undefined : parseDurationMs(`--${name}`, text);
  const acks = values.acks === undefined ? undefined : values.acks === 'all' ? 'all' as const
    : values.acks === '1' ? 1 as const : (() => {
      throw invalidConfig('--acks', values.acks, "'all' or 1");
    })();
  return {
    durationMs: duration('duration', values.duration),
    killEveryMs: duration('kill-every', values['kill-every']),
    calmMs: duration('calm', values.calm),
    modes: values.modes?.split(',').map((mode) => mode.trim() as KillMode),
    topics: number('topics', values.topics),
    partitions: number('partitions', values.partitions),
    producers: number('producers', values.producers),
    consumers: number('consumers', values.consumers),
    actors: number('actors', values.actors),
    segmentBytes: number('segment-bytes', values['segment-bytes']),
    valueBytes: number('value-bytes', values['value-bytes']),
    seed: number('seed', values.seed),
    acks,
    verifyWith: values['verify-with'] as CrashTestOptions['verifyWith'],
    dataDir: values['data-dir'],
    delayed: values.delayed,
    deadLetters: values['dead-letters'],
    transactions: values.transactions,
    noStandby: values['no-standby'],
    json: values.json ?? false,
    help: values.help ?? false,
  };
}

export async function crashTestCommand(args: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCrashTestArgs>;
  try {
    parsed = parseCrashTestArgs(args);
  } catch (error) {
    if (!MambaError.is(error, 'INVALID_CONFIG')) throw error;
    console.error(`mamba crash-test: ${error.message}\n${crashTestUsage}`);
    return 2;
  }
  if (parsed.help) {
    console.log(crashTestUsage);
    return 0;
  }
  const { json, help: _help, ...options } = parsed;
  const display = startProgressDisplay();
  try {
    const result = await runCrashTest(options, { onProgress: (p) => display.update(p) });
    display.stop();
    console.log(json ? formatJson(result) : formatTable(result));
    return result.violationCount === 0 ? 0 : 1;
  } catch (error) {
    display.stop();
    if (MambaError.is(error, 'INVALID_CONFIG')) {
      console.error(`mamba crash-test: ${withFlagNames(error.message)}\n${crashTestUsage}`);
      return 2;
    }
    throw error;
  }
}
