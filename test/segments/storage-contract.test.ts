/**
 * The storage boundary's contract, one suite run against both storages (STYLE.md §13): append
 * files, the atomic replace in its blocking and asynchronous forms, and, on the fake, the names
 * and bytes a power cut keeps.
 */
import nodePath from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/segments/index.js';
import { storageKinds } from './log-harness.js';

const bytesOf = (text: string) => new Uint8Array(Buffer.from(text));
const textOf = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString();

describe.each(storageKinds)('$name', (kind) => {
  it('appends, syncs and truncates an append file', async () => {
    const { storage, dir, cleanup } = kind.make();
    try {
      storage.mkdir(dir);
      const path = nodePath.join(dir, 'g.offsets');
      await storage.writeFileAtomicAsync(path, bytesOf('head|'));
      const file = await storage.openAppendFile(path);
      expect(file.sizeBytes).toBe(5);
      await file.append(bytesOf('one|'));
      await file.sync();
      await file.append(bytesOf('two|'));
      expect(file.sizeBytes).toBe(13);
      await file.truncate(9);
      await file.append(bytesOf('three|'));
      await file.sync();
      await file.close();
      expect(textOf(storage.readFile(path))).toBe('head|one|three|');
    } finally {
      cleanup();
    }
  });

  it('replaces a file whole, blocking or not, and leaves no temp file', async () => {
    const { storage, dir, cleanup } = kind.make();
    try {
      storage.mkdir(dir);
      const path = nodePath.join(dir, 'topics.json');
      storage.writeFileAtomic(path, bytesOf('first version'));
      expect(textOf(storage.readFile(path))).toBe('first version');
      await storage.writeFileAtomicAsync(path, bytesOf('second'));
      expect(textOf(storage.readFile(path))).toBe('second');
      expect(storage.list(dir)).toEqual(['topics.json']);
      await expect(storage.openAppendFile(nodePath.join(dir, 'missing')))
        .rejects.toMatchObject({ code: 'IO_ERROR' });
    } finally {
      cleanup();
    }
  });
});

describe('MemoryStorage power cuts', () => {
  it('undoes names no directory sync covered, and keeps them through a process crash', () => {
    const storage = new MemoryStorage();
    storage.mkdir('/d');
    storage.createFile('/d/a', 4);
    storage.syncDirectory('/d');
    storage.createFile('/d/b', 4);
    storage.rename('/d/a', '/d/c');
    storage.crash({ unflushed: 'all' });
    expect(storage.list('/d')).toEqual(['b', 'c']);
    storage.crash({ unflushed: 'none' });
    expect(storage.list('/d')).toEqual(['a']);
  });

  it('keeps appended bytes only once synced, or a prefix of them when torn', async () => {
    const storage = new MemoryStorage();
    storage.writeFileAtomic('/d/log', bytesOf('ab'));
    const file = await storage.openAppendFile('/d/log');
    await file.append(bytesOf('cd'));
    await file.sync();
    await file.append(bytesOf('efgh'));
    storage.crash({ unflushed: 'none' });
    expect(textOf(storage.readFile('/d/log'))).toBe('abcd');
    const again = await storage.openAppendFile('/d/log');
    await again.append(bytesOf('efgh'));
    storage.crash({ unflushed: 'randomPrefix', random: () => 0.5 });
    expect(textOf(storage.readFile('/d/log'))).toBe('abcdef');
  });

  it('cuts the power at the n-th write-like call, and fails every call until power is on', () => {
    const storage = new MemoryStorage();
    storage.writeFileAtomic('/d/f', bytesOf('old'));
    storage.cutPowerAfter(4); // the temp file is written and fsynced (3 calls); the rename is cut
    expect(() => storage.writeFileAtomic('/d/f', bytesOf('new'))).toThrow(/power is off/);
    expect(storage.powerOff).toBe(true);
    expect(() => storage.readFile('/d/f')).toThrow(/power is off/);
    storage.powerOn();
    expect(textOf(storage.readFile('/d/f'))).toBe('old');
    expect(storage.list('/d')).toEqual(['f']);
  });
});
