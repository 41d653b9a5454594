#!/usr/bin/env node
/**
 * The `mamba` command: `mamba demo`, `mamba bench <suite>`, `mamba crash-test`. Each command
 * lives in its own module, loaded only when asked for.
 */
import { MambaError } from '../errors.js';

const usage = `usage: mamba <command> [options]

commands:
  demo         an embedded broker on ./data: produce, consume, crash an actor, verify
  bench        the benchmark suites (mamba bench, with no suite, lists them)
  crash-test   a verifying workload under seeded chaos; non-zero exit on any violation
  help         this text`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('./demo.js')).demoCommand,
  bench: async () => (await import('./bench.js')).benchCommand as Command,
};

async function main(argv: string[]): Promise<number> {
  const [name = 'help', ...args] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    console.log(usage);
    return 0;
  }
  const load = commands[name];
  if (load === undefined) {
    console.error(`mamba: unknown command ${JSON.stringify(name)}\n\n${usage}`);
    return 2;
  }
  return (await load())(args);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof MambaError) {
    console.error(`mamba: ${error.message} (${error.code})`);
    process.exitCode = 2;
  } else {
    throw error;
  }
}
