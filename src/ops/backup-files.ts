/**
 * The file steps a backup and a restore take: write durably, hash a file as it is streamed,
 * copy with a hash, fsync a directory. Asynchronous, so that a backup taken from inside a
 * running broker (`broker.backup`) never blocks its main thread for a whole segment.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fromIoError } from '../errors.js';

const chunkSizeBytes = 1024 * 1024;

export async function writeDurable(file: string, bytes: Uint8Array): Promise<void> {
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const handle = await fs.open(file, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fromIoError(error, `writing ${file}`);
  }
}

/** The SHA-256 and size of a file, read in bounded chunks. */
export async function hashFile(file: string): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  const handle = await fs.open(file, 'r');
  const chunk = Buffer.allocUnsafe(chunkSizeBytes);
  let sizeBytes = 0;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      hash.update(chunk.subarray(0, bytesRead));
      sizeBytes += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

/**
 * Copies `from` to `to` in bounded chunks, hashing what it copies, extends the copy with
 * zeros to `lengthBytes` and fsyncs it. Returns the hash of the bytes copied.
 */
export async function copyHashed(from: string, to: string, lengthBytes: number):
  Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  await fs.mkdir(path.dirname(to), { recursive: true });
  const source = await fs.open(from, 'r');
  const target = await fs.open(to, 'w');
  const chunk = Buffer.allocUnsafe(chunkSizeBytes);
  let sizeBytes = 0;
  try {
    for (;;) {
      const { bytesRead } = await source.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      hash.update(chunk.subarray(0, bytesRead));
      await target.write(chunk, 0, bytesRead);
      sizeBytes += bytesRead;
    }
    // A segment's zeros after its data come back as a hole: reads see zeros, as written ones.
    if (lengthBytes > sizeBytes) await target.truncate(lengthBytes);
    await target.sync();
  } finally {
    await source.close();
    await target.close();
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Every directory under `dir` (itself included), deepest first. */
export async function directoriesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) found.push(...await directoriesUnder(path.join(dir, entry.name)));
  }
  found.push(dir);
  return found;
}

/** The names in `dir`, or none when it does not exist. */
export async function namesIn(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromIoError(error, `listing ${dir}`);
  }
}

/** The bytes of a file, or undefined when it does not exist. */
export async function readIfPresent(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromIoError(error, `reading ${file}`);
  }
}
