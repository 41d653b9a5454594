import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  copyFile, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GROUPS_DIR_NAME, OffsetStore } from '../../src/coordinator/offset-store.js';
import type { OffsetEntry } from '../../src/coordinator/offset-store.js';
import { MambaError } from '../../src/errors.js';
import { MemoryStorage } from '../../src/segments/index.js';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mamba-offsets-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function onlyLogFile(dir: string): Promise<string> {
  const names = (await readdir(path.join(dir, GROUPS_DIR_NAME)))
    .filter((n) => n.endsWith('.offsets'));
  expect(names.length).toBe(1);
  return path.join(dir, GROUPS_DIR_NAME, names[0]);
}

function snapshot(store: OffsetStore, group: string): string {
  return JSON.stringify(store.committedOffsets(group));
}

describe('OffsetStore', () => {
  it('keeps commits across close and reopen, per group', async () => {
    const store = await OffsetStore.open(dataDir);
    await store.commit('g1', [{ topic: 'orders', partition: 0, offset: 10 },
      { topic: 'orders', partition: 1, offset: 7 }]);
    await store.commit('g1', [{ topic: 'orders', partition: 0, offset: 12 }]);
    await store.commit('g/2 with odd name', [{ topic: 'orders', partition: 0, offset: 3 }]);
    expect(store.committed('g1', 'orders', 0)).toBe(12);
    await store.close();
    await expect(store.commit('g1', [])).rejects.toMatchObject({ code: 'BROKER_CLOSED' });

    const reopened = await OffsetStore.open(dataDir);
    expect(reopened.recovery).toEqual([]);
    expect(reopened.groups()).toEqual(['g/2 with odd name', 'g1']);
    expect(reopened.committed('g1', 'orders', 0)).toBe(12);
    expect(reopened.committed('g1', 'orders', 1)).toBe(7);
    expect(reopened.committed('g/2 with odd name', 'orders', 0)).toBe(3);
    expect(reopened.committed('g1', 'orders', 2)).toBeUndefined();
    expect(reopened.committed('nobody', 'orders', 0)).toBeUndefined();
    await reopened.commit('g1', [{ topic: 'orders', partition: 1, offset: 8 }]);
    await reopened.close();
    const third = await OffsetStore.open(dataDir);
    expect(third.committed('g1', 'orders', 1)).toBe(8);
    await third.close();
  });

  it('deletes a group and a topic durably', async () => {
    const store = await OffsetStore.open(dataDir);
    await store.commit('a', [{ topic: 't', partition: 0, offset: 1 },
      { topic: 'u', partition: 0, offset: 2 }]);
    await store.commit('b', [{ topic: 't', partition: 0, offset: 5 }]);
    await store.deleteTopic('t');
    await store.deleteGroup('b');
    expect(store.committed('a', 't', 0)).toBeUndefined();
    expect(store.committed('a', 'u', 0)).toBe(2);
    await store.close();
    const reopened = await OffsetStore.open(dataDir);
    expect(reopened.groups()).toEqual(['a']);
    expect(reopened.committed('a', 't', 0)).toBeUndefined();
    expect(reopened.committed('a', 'u', 0)).toBe(2);
    await reopened.close();
  });

  it('group-commits concurrent commits, all durable when resolved', async () => {
    const store = await OffsetStore.open(dataDir);
    const commits: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      commits.push(store.commit('g', [{ topic: 't', partition: i % 8, offset: i }]));
    }
    await Promise.all(commits);
    await store.close();
    const reopened = await OffsetStore.open(dataDir);
    for (let p = 0; p < 8; p++) expect(reopened.committed('g', 't', p)).toBe(192 + p);
    await reopened.close();
  });

  it('keeps commit metadata through reopen and compaction; commits without it stay COMMIT',
    async () => {
      const store = await OffsetStore.open(dataDir, { compactBytes: 4096 });
      await store.commit('g', [{ topic: 't', partition: 0, offset: 1 }]);
      const plain = await readFile(await onlyLogFile(dataDir));
      // The last record is the commit (12 bytes of record header, a 4-byte count, one 14-byte
      // entry, a 1-byte topic); its type word (at 8) is COMMIT (2), the layout every earlier
      // build reads.
      const commitStart = plain.length - (12 + 4 + 14 + 1);
      expect(plain.readUInt16LE(commitStart + 8)).toBe(2);
      expect(plain.readUInt32LE(commitStart)).toBe(4 + 4 + 14 + 1);
      await store.commit('g', [{ topic: 't', partition: 0, offset: 2, metadata: 'ünïcode' },
        { topic: 't', partition: 1, offset: 5 }]);
      expect(store.committedEntry('g', 't', 0)).toEqual(
        { topic: 't', partition: 0, offset: 2, metadata: 'ünïcode' });
      expect(store.committedEntry('g', 't', 1)).toEqual({ topic: 't', partition: 1, offset: 5 });
      await store.close();
      const reopened = await OffsetStore.open(dataDir, { compactBytes: 4096 });
      expect(reopened.recovery).toEqual([]);
      expect(reopened.committedOffsets('g')).toEqual([
        { topic: 't', partition: 0, offset: 2, metadata: 'ünïcode' },
        { topic: 't', partition: 1, offset: 5 },
      ]);
      // Enough commits to compact the log into a snapshot: the metadata goes with it.
      for (let i = 0; i < 200; i++) {
        await reopened.commit('g', [{ topic: 't', partition: 2, offset: i }]);
      }
      expect((await stat(await onlyLogFile(dataDir))).size).toBeLessThanOrEqual(4096 + 1024);
      await reopened.close();
      const third = await OffsetStore.open(dataDir);
      expect(third.committedEntry('g', 't', 0)?.metadata).toBe('ünïcode');
      expect(third.committed('g', 't', 2)).toBe(199);
      await third.close();
    });

  it('stays bounded: the log is compacted into a snapshot', async () => {
    const store = await OffsetStore.open(dataDir, { compactBytes: 4096 });
    for (let round = 0; round < 40; round++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) =>
        store.commit('g', [
          { topic: 'topic-with-a-longer-name', partition: i, offset: round * 10 + i },
        ])));
    }
    const size = (await stat(await onlyLogFile(dataDir))).size;
    expect(size).toBeLessThanOrEqual(4096 + 1024);
    await store.close();
    const reopened = await OffsetStore.open(dataDir);
    expect(reopened.committed('g', 'topic-with-a-longer-name', 9)).toBe(399);
    await reopened.close();
  });

  it('fails a commit on a full disk with DISK_FULL, keeps the durable, resumes', async () => {
    const storage = new MemoryStorage();
    const store = await OffsetStore.open('/data', { storage });
    await store.commit('g', [{ topic: 't', partition: 0, offset: 1 }]);
    storage.capacityBytes = storage.usedBytes();
    const full = await store.commit('g', [{ topic: 't', partition: 0, offset: 2 }])
      .catch((error: unknown) => error);
    expect(MambaError.is(full, 'DISK_FULL')).toBe(true);
    expect(store.committed('g', 't', 0)).toBe(1);
    storage.capacityBytes = Number.POSITIVE_INFINITY;
    await store.commit('g', [{ topic: 't', partition: 0, offset: 3 }]);
    await store.close();
    const reopened = await OffsetStore.open('/data', { storage });
    expect(reopened.committed('g', 't', 0)).toBe(3);
    expect(reopened.recovery).toEqual([]);
    await reopened.close();
  });

  it('rejects bad input with codes, committing nothing', async () => {
    const store = await OffsetStore.open(dataDir);
    const bad: [string, OffsetEntry[], string][] = [
      ['', [{ topic: 't', partition: 0, offset: 1 }], 'INVALID_CONFIG'],
      ['g', [{ topic: '', partition: 0, offset: 1 }], 'INVALID_CONFIG'],
      ['g', [{ topic: 't', partition: -1, offset: 1 }], 'INVALID_CONFIG'],
      ['g', [{ topic: 't', partition: 0, offset: -1 }], 'OFFSET_OUT_OF_RANGE'],
      ['g', [{ topic: 't', partition: 0, offset: 1.5 }], 'OFFSET_OUT_OF_RANGE'],
      ['g', [{ topic: 't', partition: 0, offset: 1, metadata: 'é'.repeat(2049) }],
        'OFFSET_METADATA_TOO_LARGE'],
    ];
    for (const [group, entries, code] of bad) {
      await expect(store.commit(group, entries)).rejects.toSatisfy(
        (e) => MambaError.is(e, code as MambaError['code']));
    }
    expect(store.groups()).toEqual([]);
    await store.close();
  });

  it('sets aside a file whose header is corrupt, and reports it', async () => {
    const store = await OffsetStore.open(dataDir);
    await store.commit('g', [{ topic: 't', partition: 0, offset: 1 }]);
    await store.close();
    const file = await onlyLogFile(dataDir);
    const bytes = await readFile(file);
    bytes[0] ^= 0xff;
    await writeFile(file, bytes);
    const reopened = await OffsetStore.open(dataDir);
    expect(reopened.recovery).toMatchObject([{ reason: 'bad magic', groupId: undefined }]);
    expect(reopened.groups()).toEqual([]);
    expect((await readdir(path.join(dataDir, GROUPS_DIR_NAME))).some((n) => n.endsWith('.corrupt')))
      .toBe(true);
    await reopened.close();
  });

  it('a torn or bit-flipped log reopens to a state it had, never garbage', async () => {
    // Build one log with a known state after each commit, then damage copies of it.
    const store = await OffsetStore.open(dataDir);
    const states: string[] = [snapshot(store, 'g')];
    const sizes: number[] = [];
    const file = () => onlyLogFile(dataDir);
    for (let i = 0; i < 12; i++) {
      await store.commit('g', [{ topic: `t${i % 3}`, partition: i % 2, offset: 1000 + i },
        { topic: 'fixed', partition: 0, offset: i }]);
      states.push(snapshot(store, 'g'));
      sizes.push((await stat(await file())).size);
    }
    await store.close();
    const original = await readFile(await file());
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'mamba-offsets-damaged-'));
    try {
      await fc.assert(fc.asyncProperty(
        fc.integer({ min: 0, max: original.length - 1 }),
        fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
        async (position, bit) => {
          await rm(scratch, { recursive: true, force: true });
          const damaged = path.join(scratch, GROUPS_DIR_NAME, 'g.offsets');
          await OffsetStore.open(scratch).then((s) => s.close());
          await copyFile(await file(), damaged);
          if (bit === undefined) await truncate(damaged, position);
          else {
            const bytes = Buffer.from(original);
            bytes[position] ^= 1 << bit;
            await writeFile(damaged, bytes);
          }
          const reopened = await OffsetStore.open(scratch);
          try {
            const group = reopened.groups()[0];
            if (group === undefined) {
              // Damage in the header or group record: the file is set aside, never misread.
              expect(reopened.recovery.length).toBe(1);
              return;
            }
            const state = snapshot(reopened, 'g');
            expect(states).toContain(state);
            // A tear keeps every record wholly before it.
            const whole = sizes.filter((s) => s <= position).length;
            if (bit === undefined) expect(state).toBe(states[whole]);
            // And the repaired log takes further commits after the good prefix.
            await reopened.commit('g', [{ topic: 'after', partition: 0, offset: 1 }]);
          } finally {
            await reopened.close();
          }
          const again = await OffsetStore.open(scratch);
          expect(again.recovery).toEqual([]);
          expect(again.committed('g', 'after', 0)).toBe(1);
          await again.close();
        },
      ), { numRuns: 60 });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
