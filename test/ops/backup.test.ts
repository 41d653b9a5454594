/**
 * Online backup and restore (issue 14): a backup taken while a producer sends with acks 'all'
 * holds every record acknowledged before it started, with committed offsets and groups; the
 * restore goes into a new directory and a broker opens it; one flipped byte in a backup is
 * refused before anything is written; an incremental backup copies only new segments and
 * restores whole. Real workers, real files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Broker, MambaError, restoreBackup } from '../../src/index.js';
import { backupDataDir, readBackupManifest } from '../../src/ops/index.js';
import { readTopic } from '../helpers/log-contents.js';
import { tempDir } from '../helpers/temp-dir.js';

const topic = 'orders';
const partitions = 2;
/** The smallest segment, so that a few thousand records make sealed segments. */
const segmentBytes = 64 * 1024;

interface Load {
  acked: string[];
  stop: () => Promise<void>;
}

/** A producer sending with acks 'all', eight sends in flight, until stopped. */
function startLoad(broker: Broker, first: number): Load {
  const producer = broker.producer({ acks: 'all', lingerMs: 1 });
  const acked: string[] = [];
  let running = true;
  let next = first;
  const lanes = Array.from({ length: 8 }, async () => {
    while (running) {
      const value = `v${next++}`;
      await producer.send(topic, { key: value, value: value.padEnd(100, '.') });
      acked.push(value);
    }
  });
  return {
    acked,
    stop: async () => {
      running = false;
      await Promise.all(lanes);
      await producer.close();
    },
  };
}

async function openWithTopic(dataDir: string): Promise<Broker> {
  const broker = await Broker.open({ dataDir, actors: 2 });
  await broker.createTopic(topic, { partitions, segmentBytes });
  return broker;
}

/** Waits (bounded) until `count` records were acknowledged. */
async function ackedAtLeast(load: Load, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (load.acked.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${load.acked.length} acks in 30 s`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A group that reads `count` records and commits them (on close). */
async function commitGroup(broker: Broker, groupId: string, count: number): Promise<void> {
  const consumer = broker.consumer({ groupId, fromBeginning: true });
  await consumer.subscribe(topic);
  let seen = 0;
  for await (const _ of consumer) {
    if (++seen === count) break;
  }
  await consumer.close();
}

function values(dataDir: string): Set<string> {
  return new Set(readTopic(dataDir, topic, partitions).map((r) => r.key!));
}

/** The restored log of each partition is a prefix of the source's. */
function expectPrefixOf(restoredDir: string, sourceDir: string): void {
  const source = readTopic(sourceDir, topic, partitions);
  for (const record of readTopic(restoredDir, topic, partitions)) {
    const same = source.find((r) => r.partition === record.partition && r.offset === record.offset);
    expect(same?.key).toBe(record.key);
  }
}

describe('broker.backup under load, then restore', () => {
  it('holds every record acknowledged before the backup, and the committed offsets', async () => {
    const sourceDir = tempDir();
    const backupDir = path.join(tempDir(), 'backup');
    const restoredDir = path.join(tempDir(), 'restored');
    const broker = await openWithTopic(sourceDir);
    const load = startLoad(broker, 0);
    let ackedBefore: string[];
    let committed: Array<number | undefined>;
    try {
      await ackedAtLeast(load, 3000);
      await commitGroup(broker, 'billing', 500);
      committed = [0, 1].map((p) => broker.committedOffset('billing', topic, p));
      ackedBefore = [...load.acked];
      const report = await broker.backup(backupDir);
      expect(report.groups).toEqual(['billing']);
      // The broker's own delayed-delivery topic is backed up too (its parked messages).
      expect(report.partitions.filter((p) => p.topic === topic).map((p) => p.partition))
        .toEqual([0, 1]);
      expect(report.partitions.some((p) => p.topic === '__mamba_delayed')).toBe(true);
      expect(load.acked.length).toBeGreaterThan(ackedBefore.length); // the load ran through it
    } finally {
      await load.stop();
      await broker.close();
    }
    const manifest = readBackupManifest(backupDir);
    expect(manifest.files.some((f) => f.sealed === true && f.path.endsWith('.log'))).toBe(true);

    const restored = await restoreBackup(backupDir, restoredDir);
    expect(restored.groups).toEqual(['billing']);
    const reopened = await Broker.open({ dataDir: restoredDir, actors: 2 });
    try {
      expect(reopened.listTopics()).toEqual([topic]);
      expect([0, 1].map((p) => reopened.committedOffset('billing', topic, p))).toEqual(committed);
      const description = await reopened.describeTopic(topic);
      expect(description.partitions.map((p) => p.highWatermark))
        .toEqual(restored.partitions.filter((p) => p.topic === topic).map((p) => p.endOffset));
    } finally {
      await reopened.close();
    }
    const held = values(restoredDir);
    expect(ackedBefore.filter((v) => !held.has(v))).toEqual([]);
    expectPrefixOf(restoredDir, sourceDir);
  }, 120_000);

  it('works on the files alone, without the lock, while the broker runs (mamba backup)',
    async () => {
      const sourceDir = tempDir();
      const backupDir = path.join(tempDir(), 'backup');
      const restoredDir = path.join(tempDir(), 'restored');
      const broker = await openWithTopic(sourceDir);
      const load = startLoad(broker, 0);
      let ackedBefore: string[];
      try {
        await ackedAtLeast(load, 2000);
        ackedBefore = [...load.acked];
        await backupDataDir(sourceDir, backupDir);
      } finally {
        await load.stop();
        await broker.close();
      }
      await restoreBackup(backupDir, restoredDir);
      const held = values(restoredDir);
      expect(ackedBefore.filter((v) => !held.has(v))).toEqual([]);
      expectPrefixOf(restoredDir, sourceDir);
    }, 120_000);
});

describe('a damaged backup', () => {
  it('is refused, naming the file, before anything is written', async () => {
    const sourceDir = tempDir();
    const backupDir = path.join(tempDir(), 'backup');
    const restoredDir = path.join(tempDir(), 'restored');
    const broker = await openWithTopic(sourceDir);
    try {
      const producer = broker.producer({ acks: 'all' });
      for (let i = 0; i < 200; i++) await producer.send(topic, { key: `k${i}`, value: 'x' });
      await broker.backup(backupDir);
    } finally {
      await broker.close();
    }
    const victim = readBackupManifest(backupDir).files
      .find((f) => f.path.endsWith('.log') && f.sizeBytes > 100)!;
    const victimPath = path.join(backupDir, 'data', ...victim.path.split('/'));
    const bytes = fs.readFileSync(victimPath);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    fs.writeFileSync(victimPath, bytes);

    const refusal = await restoreBackup(backupDir, restoredDir).catch((e: unknown) => e);
    expect(MambaError.is(refusal, 'BACKUP_CORRUPT')).toBe(true);
    expect((refusal as MambaError).message).toContain(victimPath);
    expect(fs.existsSync(restoredDir)).toBe(false);
    expect(fs.readdirSync(path.dirname(restoredDir))).toEqual([]);
  }, 60_000);

  it('is refused when its manifest has a flipped byte', async () => {
    const sourceDir = tempDir();
    const backupDir = path.join(tempDir(), 'backup');
    const broker = await openWithTopic(sourceDir);
    try {
      await broker.backup(backupDir);
    } finally {
      await broker.close();
    }
    const manifestPath = path.join(backupDir, 'backup.json');
    const text = fs.readFileSync(manifestPath, 'utf8');
    fs.writeFileSync(manifestPath, text.replace('"partition\\":0', '"partition\\":1'));
    const refusal = await restoreBackup(backupDir, path.join(tempDir(), 'r')).catch((e) => e);
    expect(MambaError.is(refusal, 'BACKUP_CORRUPT')).toBe(true);
    expect((refusal as MambaError).message).toContain(manifestPath);
  }, 60_000);
});

describe('an incremental backup', () => {
  it('copies only segments the previous backup lacks, and restores whole', async () => {
    const sourceDir = tempDir();
    const backups = tempDir();
    const fullDir = path.join(backups, 'full');
    const nextDir = path.join(backups, 'next');
    const restoredDir = path.join(tempDir(), 'restored');
    const broker = await openWithTopic(sourceDir);
    let all: string[];
    try {
      const load = startLoad(broker, 0);
      await ackedAtLeast(load, 2000);
      await load.stop();
      await broker.backup(fullDir);
      const more = startLoad(broker, 1_000_000);
      await ackedAtLeast(more, 2000);
      await more.stop();
      const next = await broker.backup(nextDir, { incrementalFrom: fullDir });
      const fullSealed = readBackupManifest(fullDir).files.filter((f) => f.sealed === true);
      expect(next.reusedFileCount).toBe(fullSealed.length);
      expect(next.reusedFileCount).toBeGreaterThan(0);
      // What the new backup holds itself: no sealed segment of the full one.
      const heldHere = readBackupManifest(nextDir).files.filter((f) => f.in === undefined);
      for (const file of heldHere) {
        expect(fullSealed.map((f) => f.path)).not.toContain(file.path);
      }
      all = [...load.acked, ...more.acked];
    } finally {
      await broker.close();
    }
    await restoreBackup(nextDir, restoredDir);
    const held = values(restoredDir);
    expect(all.filter((v) => !held.has(v))).toEqual([]);
    expect(readTopic(restoredDir, topic, partitions))
      .toEqual(readTopic(sourceDir, topic, partitions));
  }, 120_000);
});

describe('an incremental backup after a topic was deleted and created again', () => {
  it('copies the new topic\'s segments instead of naming the old ones of the same name',
    async () => {
      const sourceDir = tempDir();
      const backups = tempDir();
      const restoredDir = path.join(tempDir(), 'restored');
      const broker = await openWithTopic(sourceDir);
      try {
        const load = startLoad(broker, 0);
        await ackedAtLeast(load, 2000);
        await load.stop();
        await broker.backup(path.join(backups, 'full'));
        await broker.deleteTopic(topic);
        await broker.createTopic(topic, { partitions, segmentBytes });
        const again = startLoad(broker, 5_000_000);
        await ackedAtLeast(again, 2000);
        await again.stop();
        const next = await broker.backup(path.join(backups, 'next'),
          { incrementalFrom: path.join(backups, 'full') });
        expect(next.reusedFileCount).toBe(0);
      } finally {
        await broker.close();
      }
      await restoreBackup(path.join(backups, 'next'), restoredDir);
      expect(readTopic(restoredDir, topic, partitions))
        .toEqual(readTopic(sourceDir, topic, partitions));
    }, 120_000);
});

describe('backup targets', () => {
  it('refuses a target inside the data directory, or one that is not empty', async () => {
    const dataDir = tempDir();
    const inside = await backupDataDir(dataDir, path.join(dataDir, 'b')).catch((e) => e);
    expect(MambaError.is(inside, 'INVALID_CONFIG')).toBe(true);
    const full = tempDir();
    fs.writeFileSync(path.join(full, 'x'), 'x');
    const notEmpty = await backupDataDir(dataDir, full).catch((e) => e);
    expect(MambaError.is(notEmpty, 'INVALID_CONFIG')).toBe(true);
    expect(fs.readdirSync(full)).toEqual(['x']);
  });
});
