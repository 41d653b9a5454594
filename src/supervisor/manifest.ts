/**
 * The topic manifest: which topics exist, their configuration, and the partition slots they
 * own. It is tiny and written only by admin operations, so it is JSON (readable when debugging a
 * data directory by hand) with a CRC32C over its body, replaced with the storage's one atomic
 * routine (segments/atomic-file.ts: temp file, fsync, rename, fsync of the directory), so a
 * power cut leaves the old manifest or the new one, whole. A manifest that fails its checksum
 * is a typed error, never silently replaced by an empty one (that would orphan every partition).
 *
 * ```
 * <dataDir>/topics.json   {"crc32c": <u32>, "body": "<JSON of ManifestBody>"}
 * ```
 *
 * To extend it, add an optional field to `TopicRecord` (or `ManifestBody`): readers of this
 * version ignore fields they do not know, and a reader must give a missing one its default.
 * A change old readers must not read bumps `MANIFEST_VERSION`.
 */
import path from 'node:path';
import { MambaError } from '../errors.js';
import type { TopicConfig } from '../options.js';
import { crc32c } from '../records/index.js';
import { MmapStorage, type SegmentStorage } from '../segments/index.js';

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

export function readManifest(
  dataDir: string, storage: SegmentStorage = new MmapStorage(),
): ManifestBody {
  const file = path.join(dataDir, MANIFEST_FILE_NAME);
  const bytes = storage.readFile(file);
  if (bytes === undefined) return emptyManifest();
  const corrupt = (reason: string) => new MambaError('CORRUPT_LOG',
    `topic manifest ${file} is corrupt: ${reason}`,
    { corruption: { path: file, bytePosition: 0, reason } });
  let envelope: { crc32c?: unknown; body?: unknown };
  try {
    envelope = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof envelope;
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

export function writeManifest(
  dataDir: string, body: ManifestBody, storage: SegmentStorage = new MmapStorage(),
): void {
  const bodyText = JSON.stringify(body);
  const text = JSON.stringify({ crc32c: crc32c(Buffer.from(bodyText, 'utf8')), body: bodyText });
  storage.writeFileAtomic(path.join(dataDir, MANIFEST_FILE_NAME), Buffer.from(text, 'utf8'));
}
