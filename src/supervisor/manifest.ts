/**
 * The topic manifest: which topics exist, their configuration, and the partition slots they
 * own. It is tiny and written only by admin operations, so it is JSON (readable when debugging a
 * data directory by hand) with a CRC32C over its body, written atomically: temp file, fsync,
 * rename, fsync of the directory. A manifest that fails its checksum is a typed error, never
 * silently replaced by an empty one (that would orphan every partition).
 *
 * ```
 * <dataDir>/topics.json   {"crc32c": <u32>, "body": "<JSON of ManifestBody>"}
 * ```
 */
import fs from 'node:fs';
import path from 'node:path';
import { MambaError } from '../errors.js';
import type { TopicConfig } from '../options.js';
import { crc32c } from '../records/index.js';

export const MANIFEST_FILE_NAME = 'topics.json';
const MANIFEST_VERSION = 1;

export interface TopicRecord {
  name: string;
  topicId: number;
  /** The topic's UUID (Kafka's topic ID). Manifests written before it existed lack it; the
   * broker gives such topics one when it opens. */
  uuid?: string;
  firstSlot: number;
  config: TopicConfig;
  createdAtMs: number;
}

export interface ManifestBody {
  version: number;
  nextTopicId: number;
  topics: TopicRecord[];
}

export function emptyManifest(): ManifestBody {
  return { version: MANIFEST_VERSION, nextTopicId: 1, topics: [] };
}

export function readManifest(dataDir: string): ManifestBody {
  const file = path.join(dataDir, MANIFEST_FILE_NAME);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyManifest();
    throw error;
  }
  const corrupt = (reason: string) => new MambaError('CORRUPT_LOG',
    `topic manifest ${file} is corrupt: ${reason}`,
    { corruption: { path: file, bytePosition: 0, reason } });
  let envelope: { crc32c?: unknown; body?: unknown };
  try {
    envelope = JSON.parse(text) as typeof envelope;
  } catch {
    throw corrupt('not JSON');
  }
  if (typeof envelope.body !== 'string' || typeof envelope.crc32c !== 'number') {
    throw corrupt('missing body or checksum');
  }
  if (crc32c(Buffer.from(envelope.body, 'utf8')) !== envelope.crc32c) {
    throw corrupt('checksum mismatch');
  }
  const body = JSON.parse(envelope.body) as ManifestBody;
  if (body.version !== MANIFEST_VERSION) throw corrupt(`unknown version ${body.version}`);
  return body;
}

export function writeManifest(dataDir: string, body: ManifestBody): void {
  const file = path.join(dataDir, MANIFEST_FILE_NAME);
  const temp = `${file}.tmp`;
  const bodyText = JSON.stringify(body);
  const text = JSON.stringify({ crc32c: crc32c(Buffer.from(bodyText, 'utf8')), body: bodyText });
  const fd = fs.openSync(temp, 'w');
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  const dirFd = fs.openSync(dataDir, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}
