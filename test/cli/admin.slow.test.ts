/**
 * The admin commands (issue 14) as a person runs them: the compiled `mamba` (dist/) in a child
 * process, on a data directory no broker holds, on one a broker in this process holds
 * (read-only; changes refused with exit 3 and a pointer to --bootstrap), and through a running
 * Kafka door with --bootstrap. Exit codes as documented in the commands' --help.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openBroker, produce } from '../consumer/helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mamba = path.join(root, 'dist/src/cli/main.js');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mamba, ...args], { timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs and expects exit code 0 and JSON on stdout. */
async function json<T>(args: string[]): Promise<T> {
  const outcome = await run([...args, '--json']);
  expect(outcome.stderr.replace(/^mamba: a running broker holds.*\n/m, '')).toBe('');
  expect(outcome.code).toBe(0);
  return JSON.parse(outcome.stdout) as T;
}

/**
 * A closed data directory with topic `orders` (2 partitions, `count` records) and, when `read`
 * is more than 0, group g, which read `read` records and committed all but the last (a loop
 * left with break does not count its current record as processed).
 */
async function preparedDir(count: number, read: number): Promise<string> {
  const dataDir = tempDir();
  const broker = await openBroker(dataDir);
  try {
    await broker.createTopic('orders', { partitions: 2 });
    await produce(broker, 'orders', 2, count);
    if (read === 0) return dataDir;
    const consumer = broker.consumer({ groupId: 'g', fromBeginning: true });
    await consumer.subscribe('orders');
    let seen = 0;
    for await (const _ of consumer) {
      if (++seen === read) break;
    }
    await consumer.close();
  } finally {
    await broker.close();
  }
  return dataDir;
}

function flipByteInBatch(file: string, bytePosition: number): void {
  const fd = fs.openSync(file, 'r+');
  const one = Buffer.alloc(1);
  fs.readSync(fd, one, 0, 1, bytePosition);
  one[0] ^= 0x10;
  fs.writeSync(fd, one, 0, 1, bytePosition);
  fs.closeSync(fd);
}

type Described = Array<{ topic: string; partitions: Array<{ partition: number;
  endOffset: number; logStartOffset: number }> }>;

describe('mamba topics on a data directory', () => {
  it('creates, lists, describes, alters and deletes; errors have their exit codes', async () => {
    const dataDir = tempDir();
    expect(await json(['topics', 'create', '--data-dir', dataDir, '--topic', 'orders',
      '--partitions', '2', '--config', 'retention.ms=60000'])).toEqual({
      created: 'orders', partitions: 2 });
    expect(await json(['topics', 'list', '--data-dir', dataDir]))
      .toEqual([{ name: 'orders', partitions: 2 }]);

    const broker = await openBroker(dataDir);
    try {
      await produce(broker, 'orders', 2, 100);
    } finally {
      await broker.close();
    }
    const described = await json<Described>(['topics', 'describe', '--data-dir', dataDir]);
    expect(described[0].partitions.map((p) => p.endOffset)).toEqual([50, 50]);

    const table = await run(['topics', 'describe', '--data-dir', dataDir]);
    expect(table.stdout).toMatch(/^TOPIC\s+PARTITION\s+LOG-START\s+END-OFFSET/);
    expect(table.stdout).toMatch(/orders\s+1\s+0\s+50/);

    await json(['topics', 'alter', '--data-dir', dataDir, '--topic', 'orders',
      '--partitions', '3', '--config', 'retention.ms=1000']);
    const reopened = await Broker.open({ dataDir, actors: 1 });
    try {
      const description = await reopened.describeTopic('orders');
      expect(description.partitions.map((p) => p.highWatermark)).toEqual([50, 50, 0]);
      expect(description.config.retentionMs).toBe(1000);
    } finally {
      await reopened.close();
    }

    const exists = await run(['topics', 'create', '--data-dir', dataDir, '--topic', 'orders']);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toContain('TOPIC_EXISTS');
    const missing = await run(['topics', 'describe', '--data-dir', dataDir, '--topic', 'nope']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('UNKNOWN_TOPIC');
    const shrink = await run(['topics', 'alter', '--data-dir', dataDir, '--topic', 'orders',
      '--partitions', '1']);
    expect(shrink.code).toBe(2);
    const noDir = await run(['topics', 'list', '--data-dir', path.join(dataDir, 'absent')]);
    expect(noDir.code).toBe(4);

    await json(['topics', 'delete', '--data-dir', dataDir, '--topic', 'orders']);
    expect(await json(['topics', 'list', '--data-dir', dataDir])).toEqual([]);
  }, 120_000);
});

describe('a data directory a running broker holds', () => {
  it('is read from its files; changes are refused with exit 3 and --bootstrap named',
    async () => {
      const dataDir = await preparedDir(20, 0);
      const broker = await openBroker(dataDir);
      try {
        await produce(broker, 'orders', 2, 10, 'w');
        const list = await run(['topics', 'list', '--data-dir', dataDir]);
        expect(list.code).toBe(0);
        expect(list.stderr).toContain('read-only');
        const stats = await json<{ totals: { records: number } }>(
          ['stats', '--data-dir', dataDir]);
        expect(stats.totals.records).toBe(30);
        for (const change of [
          ['topics', 'create', '--data-dir', dataDir, '--topic', 'more'],
          ['topics', 'delete', '--data-dir', dataDir, '--topic', 'orders'],
          ['groups', 'reset-offsets', '--data-dir', dataDir, '--group', 'g', '--to-earliest',
            '--execute'],
        ]) {
          const refused = await run(change);
          expect(refused.code).toBe(3);
          expect(refused.stderr).toContain('--bootstrap');
        }
        expect(broker.listTopics()).toEqual(['orders']);
      } finally {
        await broker.close();
      }
    }, 120_000);
});

type GroupRows = { offsets: Array<{ topic: string; partition: number; committed: number;
  lag: number; target?: number }> };

describe('mamba groups', () => {
  it('lists, describes, resets (dry run, then --execute) and deletes', async () => {
    const dataDir = await preparedDir(40, 10);
    const listed = await json<Array<{ groupId: string; lag: number }>>(
      ['groups', 'list', '--data-dir', dataDir]);
    expect(listed).toEqual([{ groupId: 'g', partitions: 2, lag: 31 }]);
    const before = await json<GroupRows>(['groups', 'describe', '--data-dir', dataDir,
      '--group', 'g']);
    expect(before.offsets.reduce((sum, o) => sum + o.committed, 0)).toBe(9);

    const dry = await json<GroupRows & { executed: boolean }>(['groups', 'reset-offsets',
      '--data-dir', dataDir, '--group', 'g', '--to-earliest']);
    expect(dry.executed).toBe(false);
    expect(dry.offsets.map((o) => o.target)).toEqual([0, 0]);
    expect(await json(['groups', 'describe', '--data-dir', dataDir, '--group', 'g']))
      .toEqual(before);

    await json(['groups', 'reset-offsets', '--data-dir', dataDir, '--group', 'g',
      '--to-earliest', '--execute']);
    await json(['groups', 'reset-offsets', '--data-dir', dataDir, '--group', 'g',
      '--shift-by', '3', '--execute']);
    const shifted = await json<GroupRows>(['groups', 'describe', '--data-dir', dataDir,
      '--group', 'g']);
    expect(shifted.offsets.map((o) => o.committed)).toEqual([3, 3]);
    const clamped = await json<GroupRows>(['groups', 'reset-offsets', '--data-dir', dataDir,
      '--group', 'g', '--to-offset', '999']);
    expect(clamped.offsets.map((o) => o.target)).toEqual([20, 20]);
    const future = await json<GroupRows>(['groups', 'reset-offsets', '--data-dir', dataDir,
      '--group', 'g', '--to-datetime', '2999-01-01T00:00:00Z']);
    expect(future.offsets.map((o) => o.target)).toEqual([20, 20]);
    const past = await json<GroupRows>(['groups', 'reset-offsets', '--data-dir', dataDir,
      '--group', 'g', '--to-datetime', '2000-01-01T00:00:00Z']);
    expect(past.offsets.map((o) => o.target)).toEqual([0, 0]);

    const reopened = await Broker.open({ dataDir, actors: 1 });
    try {
      expect(reopened.committedOffset('g', 'orders', 0)).toBe(3);
    } finally {
      await reopened.close();
    }
    const two = await run(['groups', 'reset-offsets', '--data-dir', dataDir, '--group', 'g',
      '--to-earliest', '--to-latest']);
    expect(two.code).toBe(2);
    await json(['groups', 'delete', '--data-dir', dataDir, '--group', 'g']);
    expect(await json(['groups', 'list', '--data-dir', dataDir])).toEqual([]);
    const gone = await run(['groups', 'describe', '--data-dir', dataDir, '--group', 'g']);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toContain('GROUP_ID_NOT_FOUND');
  }, 120_000);
});

describe('mamba dump', () => {
  it('prints batches and records, and a flipped byte as an invalid CRC with exit 5',
    async () => {
      const dataDir = await preparedDir(40, 0);
      const segment = path.join(dataDir, 'orders-0', '00000000000000000000.log');
      const clean = await json<{ batches: Array<{ verdict: string; baseOffset: number;
        records: Array<{ offset: number; valuePreview: string }> }> }>(['dump', segment,
        '--records']);
      const records = clean.batches.flatMap((b) => b.records);
      expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(records[0].valuePreview).toBe('v0');
      expect(clean.batches.every((b) => b.verdict === 'valid')).toBe(true);

      flipByteInBatch(segment, 70); // inside the first batch's records
      const damaged = await run(['dump', '--data-dir', dataDir, '--topic', 'orders',
        '--partition', '0']);
      expect(damaged.code).toBe(5);
      expect(damaged.stdout).toMatch(/baseOffset: 0 .*INVALID: CRC32C mismatch/);
    }, 120_000);
});

describe('mamba backup and restore', () => {
  it('backs up a live broker, restores into a new directory, refuses a flipped byte',
    async () => {
      const dataDir = await preparedDir(40, 10);
      const backupDir = path.join(tempDir(), 'backup');
      const restoredDir = path.join(tempDir(), 'restored');
      const broker = await openBroker(dataDir);
      try {
        await produce(broker, 'orders', 2, 10, 'w');
        expect((await run(['backup', '--data-dir', dataDir, '--to', backupDir])).code).toBe(0);
      } finally {
        await broker.close();
      }
      expect((await run(['restore', '--from', backupDir, '--verify-only'])).code).toBe(0);
      const restored = await json<{ groups: string[] }>(['restore', '--from', backupDir,
        '--data-dir', restoredDir]);
      expect(restored.groups).toEqual(['g']);
      const stats = await json<{ totals: { records: number; lag: number } }>(
        ['stats', '--data-dir', restoredDir]);
      expect(stats.totals.records).toBe(50);
      expect(stats.totals.lag).toBe(41);

      const groupFile = fs.readdirSync(path.join(backupDir, 'data', '__groups'))[0];
      const victim = path.join(backupDir, 'data', '__groups', groupFile);
      flipByteInBatch(victim, 20);
      const again = path.join(tempDir(), 'again');
      const refused = await run(['restore', '--from', backupDir, '--data-dir', again]);
      expect(refused.code).toBe(5);
      expect(refused.stderr).toContain(victim);
      expect(fs.existsSync(again)).toBe(false);
    }, 120_000);
});

describe('mamba topics and stats --bootstrap', () => {
  it('work through a running Kafka door', async () => {
    const broker = await openBroker();
    const door = await broker.listen({ port: 0 });
    const bootstrap = `127.0.0.1:${door.address().port}`;
    try {
      expect(await json(['topics', 'create', '--bootstrap', bootstrap, '--topic', 'remote',
        '--partitions', '2'])).toEqual({ created: 'remote', partitions: 2 });
      expect(broker.listTopics()).toEqual(['remote']);
      await produce(broker, 'remote', 2, 30);
      expect(await json(['topics', 'list', '--bootstrap', bootstrap]))
        .toEqual([{ name: 'remote', partitions: 2 }]);
      const described = await json<Array<{ partitions: Array<{ highWatermark: number }> }>>(
        ['topics', 'describe', '--bootstrap', bootstrap, '--topic', 'remote']);
      expect(described[0].partitions.map((p) => p.highWatermark)).toEqual([15, 15]);
      const stats = await json<{ partitions: Array<{ records: number }> }>(
        ['stats', '--bootstrap', bootstrap]);
      expect(stats.partitions.map((p) => p.records)).toEqual([15, 15]);
      const exists = await run(['topics', 'create', '--bootstrap', bootstrap, '--topic',
        'remote']);
      expect(exists.code).toBe(2);
      expect(exists.stderr).toContain('TOPIC_EXISTS');
      await json(['topics', 'delete', '--bootstrap', bootstrap, '--topic', 'remote']);
      expect(broker.listTopics()).toEqual([]);
      const missing = await run(['topics', 'delete', '--bootstrap', bootstrap, '--topic',
        'remote']);
      expect(missing.code).toBe(4);
    } finally {
      await door.close();
      await broker.close();
    }
    const closedPort = await freePort();
    const unreachable = await run(['topics', 'list', '--bootstrap', `127.0.0.1:${closedPort}`]);
    expect(unreachable.code).toBe(6);
    expect(unreachable.stderr).toContain('CONNECTION_FAILED');
  }, 120_000);
});

describe('mamba groups --bootstrap', () => {
  it('lists, describes, resets and deletes through the door\'s group APIs', async () => {
    const dataDir = await preparedDir(40, 10);
    const broker = await openBroker(dataDir);
    const door = await broker.listen({ port: 0 });
    const bootstrap = `127.0.0.1:${door.address().port}`;
    try {
      expect(await json(['groups', 'list', '--bootstrap', bootstrap]))
        .toEqual([{ groupId: 'g', partitions: 2, lag: 31 }]);
      const described = await json<GroupRows & { state: string }>(['groups', 'describe',
        '--bootstrap', bootstrap, '--group', 'g']);
      expect(described.offsets.reduce((sum, o) => sum + o.committed, 0)).toBe(9);
      const dry = await json<GroupRows>(['groups', 'reset-offsets', '--bootstrap', bootstrap,
        '--group', 'g', '--to-earliest']);
      expect(dry.offsets.map((o) => o.target)).toEqual([0, 0]);
      expect(broker.committedOffset('g', 'orders', 0)).toBeGreaterThan(0);
      // A group with a live member refuses an admin commit, as Kafka's does.
      const member = broker.consumer({ groupId: 'g', fromBeginning: true });
      await member.subscribe('orders');
      for await (const _ of member) break;
      const refused = await run(['groups', 'reset-offsets', '--bootstrap', bootstrap,
        '--group', 'g', '--to-earliest', '--execute']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('UNKNOWN_MEMBER_ID');
      await member.close();
      await json(['groups', 'reset-offsets', '--bootstrap', bootstrap, '--group', 'g',
        '--to-earliest', '--execute']);
      expect(broker.committedOffset('g', 'orders', 0)).toBe(0);
      const future = await json<GroupRows>(['groups', 'reset-offsets', '--bootstrap',
        bootstrap, '--group', 'g', '--to-datetime', '2999-01-01T00:00:00Z']);
      expect(future.offsets.map((o) => o.target)).toEqual([20, 20]);
      await json(['groups', 'delete', '--bootstrap', bootstrap, '--group', 'g']);
      expect(broker.committedOffset('g', 'orders', 0)).toBeUndefined();
      const gone = await run(['groups', 'describe', '--bootstrap', bootstrap, '--group', 'g']);
      expect(gone.code).toBe(4);
    } finally {
      await door.close();
      await broker.close();
    }
  }, 120_000);
});

/** A port nothing listens on: one the system just handed out and took back. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
