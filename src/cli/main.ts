#!/usr/bin/env node
/**
 * The `mamba` command: `mamba <command> [options]`. Each command lives in its own module and is
 * loaded only when asked for, so that one command does not pull in what the others need.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MambaError } from '../errors.js';

type Command = (args: readonly string[]) => Promise<number>;

/** Modules are named by a variable so that a command not built yet does not break the build. */
const commands: Record<string, { module: string; entry: string; summary: string }> = {
  'crash-test': {
    module: './crash-test.js', entry: 'crashTestCommand',
    summary: 'prove under seeded chaos that no acknowledged record is lost',
  },
  'bench': { module: './bench.js', entry: 'benchCommand', summary: 'run the benchmark suites' },
  'demo': { module: './demo.js', entry: 'demoCommand', summary: 'produce, crash, recover, verify' },
  'dlq': {
    module: './dlq.js', entry: 'dlqCommand',
    summary: 'list dead letters of a topic, or replay them (dlq list|replay)',
  },
  'alerts': {
    module: './alerts.js', entry: 'alertsCommand',
    summary: 'alert rules: `alerts export` prints them as Prometheus alerting rules',
  },
  'serve': {
    module: './serve.js', entry: 'serveCommand',
    summary: 'run a broker in the foreground for Kafka clients (kcat, kafkajs, …)',
  },
  'users': {
    module: './users.js', entry: 'usersCommand',
    summary: 'add, remove or list the SASL users of a data directory',
  },
  'acls': {
    module: './acls.js', entry: 'aclsCommand',
    summary: "add, remove or list the Kafka door's ACLs of a data directory",
  },
  'topics': {
    module: './topics.js', entry: 'topicsCommand',
    summary: 'list, describe, create, delete and alter topics',
  },
  'groups': {
    module: './groups.js', entry: 'groupsCommand',
    summary: 'list and describe groups, reset their offsets, delete them',
  },
  'dump': {
    module: './dump.js', entry: 'dumpCommand',
    summary: 'print the batches and records of a segment file, with CRC verdicts',
  },
  'stats': {
    module: './stats.js', entry: 'statsCommand',
    summary: 'sizes, watermarks and group lag per partition',
  },
  'backup': {
    module: './backup.js', entry: 'backupCommand',
    summary: 'a consistent backup of a data directory, while its broker runs',
  },
  'restore': {
    module: './backup.js', entry: 'restoreCommand',
    summary: 'restore a backup into a new data directory, checksums verified first',
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`);
  return `usage: mamba <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n` +
    'mamba <command> --help   the options of a command\n' +
    'mamba --version          the version of Mamba';
}

/**
 * The version in Mamba's package.json, found by walking up from this module (src/cli in a
 * checkout, dist/src/cli once built).
 */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string;
        version?: string };
      if (manifest.name === 'mamba-mq' && manifest.version !== undefined) return manifest.version;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/** Runs `mamba` with `argv` (the arguments after the program); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(packageVersion());
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    console.error(`mamba: unknown command ${JSON.stringify(name)}\n${usage()}`);
    return 2;
  }
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(command.module)) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    console.error(`mamba: ${name}: not available in this build`);
    return 2;
  }
  return (loaded[command.entry] as Command)(args);
}

/** Run as a program (also through the `bin` link npm makes), not when imported. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  return script !== undefined && import.meta.url === pathToFileURL(realpathSync(script)).href;
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
    // Bad input is a MambaError: say what was wrong in one line. Anything else is a bug.
    if (error instanceof MambaError) {
      console.error(`mamba: ${error.message} (${error.code})`);
      process.exitCode = 2;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  });
}
