/**
 * Issue 17 items 6 and 13: `Broker.open` on a data directory it cannot use says what is wrong
 * with the directory (a `MambaError` with a code, the fs error as `cause`), the CLI prints that
 * message instead of a stack trace, a second open of one directory in one process (directly or
 * through a symlink) says it is already open here, and a closed broker refuses `listTopics`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Broker, MambaError } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { canMountTmpfs, useTmpfs } from '../helpers/tmpfs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mamba = path.join(root, 'dist/src/cli/main.js');

async function openError(dataDir: string): Promise<MambaError> {
  const error: unknown = await Broker.open({ dataDir, actors: 1 }).then(
    async (broker) => { await broker.close(); return undefined; }, (e: unknown) => e);
  expect(error).toBeInstanceOf(MambaError);
  return error as MambaError;
}

describe('Broker.open on a data directory it cannot use', () => {
  it('a path that is a file: INVALID_DATA_DIR', async () => {
    const file = path.join(tempDir(), 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const error = await openError(file);
    expect(error.code).toBe('INVALID_DATA_DIR');
    expect(error.message).toBe(`data directory ${file} is a file, not a directory`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('EEXIST');
  });

  it('a path under a file: INVALID_DATA_DIR', async () => {
    const file = path.join(tempDir(), 'file');
    fs.writeFileSync(file, 'x');
    const error = await openError(path.join(file, 'data'));
    expect(error.code).toBe('INVALID_DATA_DIR');
    expect(error.message).toContain('a part of its path is a file, not a directory');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });

  it('the CLI prints the message, not a stack trace', () => {
    const file = path.join(tempDir(), 'file');
    fs.writeFileSync(file, 'x');
    const child = spawnSync(process.execPath, [mamba, 'demo', '--data-dir', file],
      { encoding: 'utf8', timeout: 30_000 });
    expect(child.status).not.toBe(0);
    expect(child.stderr.trim())
      .toBe(`mamba: data directory ${file} is a file, not a directory (INVALID_DATA_DIR)`);
  });

  it('a directory this process may not write: DATA_DIR_UNAVAILABLE', () => {
    // As root, chmod stops no one: the broker then runs in a child that loads the code as root
    // (the checkout need not be readable by anyone else) and only then becomes user nobody.
    const dir = tempDir();
    const asRoot = process.getuid?.() === 0;
    fs.chmodSync(dir, asRoot ? 0o755 : 0o555);
    const index = pathToFileURL(path.join(root, 'dist/src/index.js')).href;
    const script = `
      const { Broker } = await import(${JSON.stringify(index)});
      if (${asRoot}) { process.setgid(65534); process.setuid(65534); }
      await Broker.open({ dataDir: ${JSON.stringify(dir)}, actors: 1 }).then(
        () => { console.log('opened'); process.exit(0); },
        (error) => { console.log(JSON.stringify({ code: error.code, message: error.message })); });
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 30_000 });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({
      code: 'DATA_DIR_UNAVAILABLE',
      message: `data directory ${dir} is not writable by this process: ` +
        'permission denied writing to it',
    });
  });
});

const mountable = canMountTmpfs();
describe.skipIf(!mountable)(mountable ? 'on a read-only mount' :
  'on a read-only mount: SKIPPED, needs root on Linux and permission to mount tmpfs', () => {
  const mounted = useTmpfs('mamba-ro-', 'ro,size=1m');

  it('the mount itself: DATA_DIR_UNAVAILABLE, read-only', async () => {
    const mountPoint = mounted();
    const error = await openError(mountPoint);
    expect(error.code).toBe('DATA_DIR_UNAVAILABLE');
    expect(error.message).toContain(`data directory ${mountPoint} is on a read-only file system`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('EROFS');
  });

  it('a directory to create under it: DATA_DIR_UNAVAILABLE, read-only', async () => {
    const error = await openError(path.join(mounted(), 'data'));
    expect(error.code).toBe('DATA_DIR_UNAVAILABLE');
    expect(error.message).toContain('is on a read-only file system (creating it failed)');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('EROFS');
  });
});

describe('one data directory opened twice in one process', () => {
  it('directly or through a symlink: already open in this process', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    const link = path.join(dir, 'link');
    const broker = await Broker.open({ dataDir, actors: 1 });
    fs.symlinkSync(dataDir, link);
    for (const again of [dataDir, link]) {
      const error = await openError(again);
      expect(error.code).toBe('DATA_DIR_LOCKED');
      expect(error.message).toBe(`data directory ${again} is already open in this process ` +
        '(by another Broker); close that one first');
    }
    await broker.close();
  });
});

describe('a closed broker', () => {
  it('refuses listTopics like everything else', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    await broker.createTopic('t');
    expect(broker.listTopics()).toEqual(['t']);
    await broker.close();
    expect(() => broker.listTopics()).toThrow(expect.objectContaining({ code: 'BROKER_CLOSED' }));
  });
});
