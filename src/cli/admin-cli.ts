/**
 * What the admin commands (topics, groups, dump, stats, backup, restore) share: where they
 * work (a data directory, under its lock or read-only; or a running broker at --bootstrap),
 * tables for people and JSON for scripts, and one table of exit codes.
 */
import { MambaError, invalidConfig } from '../errors.js';
import { parseHostPort } from '../options.js';
import { DataDirLock } from '../supervisor/index.js';
import { AdminClient, DataDirView } from '../ops/index.js';
import { RemoteBroker } from '../remote/index.js';

/** The exit codes of the admin commands, for their --help and for scripts. */
export const ADMIN_EXIT_CODES = `exit codes:
  0  done
  1  internal error (a bug: the stack is printed)
  2  bad usage or invalid input (unknown option, bad value, topic exists)
  3  a running broker holds the data directory's lock: change it through --bootstrap
  4  not found: no such topic, group or data directory
  5  damage: an invalid batch (dump), a backup that fails its checksums, a corrupt log
  6  the broker at --bootstrap cannot be reached, or the connection failed`;

const exitCodeByError: Partial<Record<MambaError['code'], number>> = {
  DATA_DIR_LOCKED: 3,
  UNKNOWN_TOPIC: 4, GROUP_ID_NOT_FOUND: 4, INVALID_DATA_DIR: 4, INVALID_PARTITION: 4,
  BACKUP_CORRUPT: 5, CORRUPT_LOG: 5, CORRUPT_BATCH: 5,
  IO_ERROR: 6, TIMEOUT: 6, CONNECTION_FAILED: 6,
};

/**
 * Runs an admin command: a MambaError is one line on stderr (and, with --json, an error
 * object on stdout) and its exit code from the table above; anything else is a bug.
 */
export async function runAdmin(name: string, args: readonly string[],
  run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof MambaError)) throw error;
    console.error(`mamba ${name}: ${error.message} (${error.code})`);
    if (args.includes('--json')) {
      console.log(JSON.stringify({ error: { code: error.code, message: error.message } }));
    }
    return exitCodeByError[error.code] ?? 2;
  }
}

/**
 * Reads a data directory: under its lock when it is free (so that no broker starts and
 * writes while the files are read), read-only from the files when a running broker holds it.
 */
export async function withReadView<T>(dataDir: string,
  read: (view: DataDirView) => T | Promise<T>): Promise<T> {
  const view = DataDirView.open(dataDir);
  let lock: DataDirLock | undefined;
  try {
    lock = DataDirLock.acquire(view.dataDir);
  } catch (error) {
    if (!MambaError.is(error, 'DATA_DIR_LOCKED')) throw error;
    console.error(`mamba: a running broker holds ${view.dataDir}: reading its files ` +
      'read-only (a consistent prefix, as of each file\'s read)');
  }
  try {
    return await read(view);
  } finally {
    lock?.release();
  }
}

/**
 * Runs a change of a data directory under its lock. When a running broker holds it, the
 * change must go through that broker, and the error says so.
 */
export async function withWriteLock<T>(dataDir: string, what: string,
  change: (lock: DataDirLock) => Promise<T>): Promise<T> {
  let lock: DataDirLock;
  try {
    lock = DataDirLock.acquire(dataDir);
  } catch (error) {
    if (!MambaError.is(error, 'DATA_DIR_LOCKED')) throw error;
    throw new MambaError('DATA_DIR_LOCKED', `a running broker holds the lock on ${dataDir}, ` +
      `so ${what} must go through it: use --bootstrap host:port (${error.message})`,
    { cause: error, detail: { dataDir } });
  }
  try {
    return await change(lock);
  } finally {
    lock.release();
  }
}

/** How long an admin command tries to reach a broker before it gives up (exit code 6). */
const bootstrapTimeoutMs = 5_000;

/** Broker.connect to the broker named by --bootstrap (topics, stats). */
export async function connectBootstrap(bootstrap: string): Promise<RemoteBroker> {
  if (parseHostPort(bootstrap) === undefined) {
    throw invalidConfig('--bootstrap', bootstrap, "'host:port'");
  }
  return RemoteBroker.connect({ brokers: [bootstrap], clientId: 'mamba-admin',
    connectTimeoutMs: bootstrapTimeoutMs, retryTimeoutMs: bootstrapTimeoutMs });
}

/** A one-connection client for the group APIs Broker.connect does not offer (groups). */
export async function connectGroupAdmin(bootstrap: string): Promise<AdminClient> {
  const address = parseHostPort(bootstrap);
  if (address === undefined) throw invalidConfig('--bootstrap', bootstrap, "'host:port'");
  return AdminClient.connect(address.host, address.port, bootstrapTimeoutMs);
}

/** Exactly one of --data-dir and --bootstrap. */
export function targetOf(values: { 'data-dir'?: string; bootstrap?: string }):
  { dataDir: string } | { bootstrap: string } {
  const dataDir = values['data-dir'];
  const bootstrap = values.bootstrap;
  if ((dataDir === undefined) === (bootstrap === undefined)) {
    throw new MambaError('INVALID_CONFIG', 'give either --data-dir DIR or --bootstrap host:port');
  }
  return dataDir !== undefined ? { dataDir } : { bootstrap: bootstrap! };
}

/** A table for people: columns padded to their widest cell, numbers right-aligned. */
export function printTable(headers: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | undefined>>): void {
  const cells = rows.map((row) => row.map((cell) => (cell === undefined ? '-' : String(cell))));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => row[column].length)));
  const numeric = headers.map((_, column) =>
    rows.length > 0 && rows.every((row) => typeof row[column] === 'number' ||
      row[column] === undefined));
  const line = (row: readonly string[]) => row.map((cell, column) => (numeric[column]
    ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd();
  console.log(line(headers));
  for (const row of cells) console.log(line(row));
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

export function integerFlag(name: string, text: string | undefined, min: number,
  max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidConfig(name, text, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** `--config a=1,b=2` as Kafka topic config entries. */
export function configEntries(text: string | undefined): Array<{ name: string; value: string }> {
  if (text === undefined || text === '') return [];
  return text.split(',').map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw invalidConfig('--config', pair, "'name=value' pairs, comma-separated");
    return { name: pair.slice(0, at).trim(), value: pair.slice(at + 1).trim() };
  });
}

/** The first argument as a subcommand, one of `known`. */
export function subcommandOf(command: string, args: readonly string[],
  known: readonly string[]): string {
  const sub = args[0];
  if (sub === undefined || !known.includes(sub)) {
    throw new MambaError('INVALID_CONFIG', `mamba ${command} needs one of: ${known.join(', ')}` +
      (sub === undefined ? '' : ` (got ${JSON.stringify(sub)})`));
  }
  return sub;
}
