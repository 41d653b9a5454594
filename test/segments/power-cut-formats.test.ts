/**
 * The seeded power-cut suite against every on-disk format: the partition log with its
 * checkpoint, the checkpoint file alone, the topic manifest and the consumer groups' offset
 * logs. Each case arms a cut at a random write-like call of the fault-injecting storage (so the
 * power goes in the middle of a write, a rename, a directory sync or an fdatasync), with a torn
 * unflushed tail and bit flips in it. After the cut, reopening must give a valid state that
 * holds everything made durable (acknowledged, committed, returned) before the cut, and never a
 * half-written file. (test/segments/power-cut.test.ts covers the segment bytes in depth.)
 */
import { describe, expect, it } from 'vitest';
import { MambaError } from '../../src/errors.js';
import { MemoryStorage, PartitionLog, type CrashOptions } from '../../src/segments/index.js';
import {
  readCheckpoint, writeCheckpoint, type CheckpointData,
} from '../../src/segments/checkpoint.js';
import {
  emptyManifest, readManifest, writeManifest, type ManifestBody,
} from '../../src/supervisor/manifest.js';
import { OffsetStore, type OffsetEntry } from '../../src/coordinator/offset-store.js';
import { buildBatch, payloadFor, readAll, seededRandom } from './batch-builder.js';
import { quiet } from './log-harness.js';

function crashOptions(random: () => number): CrashOptions {
  const unflushed = (['none', 'all', 'randomPrefix', 'randomPrefix'] as const)[
    Math.floor(random() * 4)];
  return { unflushed, bitFlipCount: Math.floor(random() * 3), random };
}

/** Runs `write`, which the armed cut may interrupt; true when it returned. */
function survives(storage: MemoryStorage, write: () => void): boolean {
  try {
    write();
    return true;
  } catch (error) {
    expect(storage.powerOff, `only the cut may fail a write: ${String(error)}`).toBe(true);
    return false;
  }
}

function forEachSeed(count: number, run: (seed: number) => void | Promise<void>) {
  return async () => {
    for (let seed = 1; seed <= count; seed += 1) {
      try {
        await run(seed);
      } catch (error) {
        throw new Error(`seed ${seed}: ${(error as Error).message}`, { cause: error });
      }
    }
  };
}

describe('power cuts in the middle of every format', () => {
  it('partition log: the durable prefix survives a cut during appends, rolls, flushes and ' +
    'checkpoints', forEachSeed(150, (seed) => {
    const random = seededRandom(seed);
    const storage = new MemoryStorage();
    const options = {
      storage, segmentSizeBytes: 64 * 1024, indexIntervalBytes: 512, log: quiet,
      prepareNextSegment: random() < 0.5,
    };
    const log = PartitionLog.open('/data/t-0', options);
    const payloads: Uint8Array[] = [];
    let durable = log.durableOffset;
    storage.cutPowerAfter(1 + Math.floor(random() * 60), crashOptions(random));
    for (let i = 0; i < 200 && !storage.powerOff; i += 1) {
      const payload = payloadFor(seed * 1000 + i, 100 + Math.floor(random() * 3000));
      const dice = random();
      survives(storage, () => {
        const { baseOffset } = log.append(buildBatch({ recordCount: 1, payload }));
        payloads[baseOffset] = payload;
        if (dice < 0.2) durable = log.flush();
        else if (dice < 0.3) log.checkpoint(true);
        else if (dice < 0.35) log.checkpoint();
        if (!storage.powerOff) durable = Math.max(durable, log.durableOffset);
      });
    }
    if (!storage.powerOff) storage.crash(crashOptions(random));
    storage.powerOn();
    let reopened: PartitionLog;
    try {
      reopened = PartitionLog.open('/data/t-0', options);
    } catch (error) {
      // Valid batches after a torn one (torn files of two segments): reported, then repaired.
      expect(MambaError.is(error, 'CORRUPT_LOG')).toBe(true);
      reopened = PartitionLog.open('/data/t-0', { ...options, repair: true });
    }
    expect(reopened.logEndOffset).toBeGreaterThanOrEqual(durable);
    const got = readAll((from, max) => reopened.read(from, max), 0);
    for (const batch of got.filter((b) => b.baseOffset < durable)) {
      expect(Buffer.from(batch.payload).equals(payloads[batch.baseOffset])).toBe(true);
    }
    expect(got.filter((b) => b.baseOffset < durable).length).toBe(durable);
    reopened.close();
  }));

  it('checkpoint: the old one or the new one, whole, never a bad one', forEachSeed(300, (seed) => {
    const random = seededRandom(seed);
    const storage = new MemoryStorage();
    storage.mkdir('/data/t-0');
    const checkpoint = (n: number): CheckpointData => ({
      recoveryPoint: n, recoverySegmentBaseOffset: 0, recoveryBytePosition: n * 10,
      logStartOffset: 0, logEndOffset: n + 5, activeSegmentBaseOffset: 0,
      activeBytePosition: n * 10 + 50,
      producers: Array.from({ length: n % 4 }, (_, p) => ({
        producerId: p, producerEpoch: 0, lastSequence: n, lastBaseOffset: n, lastOffsetDelta: 0,
      })),
    });
    let written = 0;
    writeCheckpoint(storage, '/data/t-0', checkpoint(written));
    storage.cutPowerAfter(1 + Math.floor(random() * 12), crashOptions(random));
    for (let n = 1; n <= 4 && !storage.powerOff; n += 1) {
      if (survives(storage, () => writeCheckpoint(storage, '/data/t-0', checkpoint(n)))) {
        written = n;
      }
    }
    if (!storage.powerOff) storage.crash(crashOptions(random));
    storage.powerOn();
    const read = readCheckpoint(storage, '/data/t-0');
    expect(read).toHaveProperty('checkpoint');
    const found = (read as { checkpoint: CheckpointData }).checkpoint;
    // The last one that returned, or the one the cut interrupted after its rename.
    expect([checkpoint(written), checkpoint(written + 1)]).toContainEqual(found);
  }));

  it('topic manifest: the old one or the new one, whole', forEachSeed(300, (seed) => {
    const random = seededRandom(seed);
    const storage = new MemoryStorage();
    storage.mkdir('/data');
    const manifest = (n: number): ManifestBody => ({
      ...emptyManifest(), nextTopicId: n + 1,
      topics: Array.from({ length: n }, (_, t) => ({
        name: `topic-${t}`, topicId: t + 1, firstSlot: t * 2, createdAtMs: 1_000 + t,
        config: { partitions: 2 } as ManifestBody['topics'][number]['config'],
      })),
    });
    let written = 0;
    storage.cutPowerAfter(1 + Math.floor(random() * 12), crashOptions(random));
    for (let n = 1; n <= 4 && !storage.powerOff; n += 1) {
      if (survives(storage, () => writeManifest('/data', manifest(n), storage))) written = n;
    }
    if (!storage.powerOff) storage.crash(crashOptions(random));
    storage.powerOn();
    const found = readManifest('/data', storage);
    expect([manifest(written), manifest(written + 1)]).toContainEqual(found);
  }));

  it('offset logs: every acknowledged commit survives, state is a prefix of the commits',
    forEachSeed(120, (seed) => offsetLogCase(seed)), 60_000);
});

type GroupOperation =
  | { kind: 'commit'; entries: OffsetEntry[]; acknowledged: boolean }
  | { kind: 'delete-topic'; topic: string; acknowledged: boolean };

const groupIds = ['g0', 'g1', 'g2'];

async function offsetLogCase(seed: number): Promise<void> {
  const random = seededRandom(seed);
  const storage = new MemoryStorage();
  const options = { storage, compactBytes: 1024 };
  const store = await OffsetStore.open('/data', options);
  const operations = new Map<string, GroupOperation[]>(groupIds.map((g) => [g, []]));
  const pending: Promise<void>[] = [];
  let nextOffset = 0;
  storage.cutPowerAfter(1 + Math.floor(random() * 400), crashOptions(random));
  for (let i = 0; i < 300 && !storage.powerOff; i += 1) {
    if (random() < 0.05) {
      // A topic deletion once everything queued has settled, so that every group's log gets
      // it after the commits before it (deleteTopic writes to groups that hold the topic).
      await Promise.allSettled(pending.splice(0));
      if (storage.powerOff) break;
      const topic = `t${Math.floor(random() * 2)}`;
      const deletions = groupIds.map((g) => {
        const operation: GroupOperation = { kind: 'delete-topic', topic, acknowledged: false };
        operations.get(g)!.push(operation);
        return operation;
      });
      await store.deleteTopic(topic).then(
        () => deletions.forEach((d) => { d.acknowledged = true; }), () => undefined);
      continue;
    }
    const groupId = groupIds[Math.floor(random() * groupIds.length)];
    const entries = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
      topic: `t${Math.floor(random() * 2)}`, partition: Math.floor(random() * 4),
      offset: nextOffset++,
    }));
    const operation: GroupOperation = { kind: 'commit', entries, acknowledged: false };
    operations.get(groupId)!.push(operation);
    const committing = store.commit(groupId, entries).then(
      () => { operation.acknowledged = true; }, () => undefined);
    pending.push(committing);
    if (random() < 0.5) await Promise.allSettled(pending.splice(0));
  }
  await Promise.allSettled(pending);
  if (!storage.powerOff) storage.crash(crashOptions(random));
  storage.powerOn();

  const reopened = await OffsetStore.open('/data', options);
  // A torn tail is cut back to its valid prefix; a file set aside would mean a half-written
  // snapshot or header reached a durable name.
  expect(reopened.recovery.filter((r) => r.groupId === undefined)).toEqual([]);
  for (const groupId of groupIds) {
    const ops = operations.get(groupId)!;
    const lastAcknowledged = ops.map((op) => op.acknowledged).lastIndexOf(true);
    const state = stateKey(reopened.committedOffsets(groupId));
    const prefixes: string[] = [];
    for (let k = lastAcknowledged + 1; k <= ops.length; k += 1) {
      prefixes.push(stateKey(applyOperations(ops.slice(0, k))));
    }
    expect(prefixes, `group ${groupId}`).toContain(state);
  }
  // The recovered store takes commits again, and they survive a clean reopen.
  await reopened.commit('g0', [{ topic: 'after', partition: 0, offset: 7 }]);
  await reopened.close();
  const again = await OffsetStore.open('/data', options);
  expect(again.committed('g0', 'after', 0)).toBe(7);
  await again.close();
}

function applyOperations(ops: readonly GroupOperation[]): OffsetEntry[] {
  const offsets = new Map<string, OffsetEntry>();
  for (const op of ops) {
    if (op.kind === 'commit') {
      for (const e of op.entries) offsets.set(`${e.topic}/${e.partition}`, { ...e });
    } else {
      for (const [key, e] of offsets) if (e.topic === op.topic) offsets.delete(key);
    }
  }
  return [...offsets.values()];
}

function stateKey(entries: readonly OffsetEntry[]): string {
  return entries.map((e) => `${e.topic}/${e.partition}=${e.offset}`).sort().join(',');
}
