/**
 * A read-only view of a data directory for the admin commands: topics from the manifest,
 * each partition's segments walked from its files (CRC-checked, the way recovery and the
 * backup walk them), groups and their committed offsets from the offset logs. It writes
 * nothing and takes no lock, so it can look at the directory of a running broker: what it sees
 * there is a consistent prefix (a batch is counted only whole and valid), at most as new as
 * the moment each file was read.
 */
import { internalTopicPrefix } from '../constants.js';
import fs from 'node:fs';
import path from 'node:path';
import { MambaError, unknownTopic } from '../errors.js';
import { GROUPS_DIR_NAME, parseLog, type OffsetEntry } from '../coordinator/index.js';
import {
  CHECKPOINT_FILE_NAME, MmapStorage, decodeCheckpoint, listSegmentBaseOffsets,
  segmentFileName,
} from '../segments/index.js';
import {
  MANIFEST_FILE_NAME, readManifest, type ManifestBody, type TopicRecord,
} from '../supervisor/index.js';
import { forEachRecord } from '../records/index.js';
import { dumpBatches, walkSegment, type SegmentEnd } from './dump-segment.js';

export interface SegmentView {
  baseOffset: number;
  path: string;
  fileSizeBytes: number;
  /** Bytes of valid batches. */
  dataBytes: number;
  end: SegmentEnd;
}

export interface PartitionView {
  topic: string;
  partition: number;
  dir: string;
  /** The first offset on disk. */
  logStartOffset: number;
  /** The offset after the last valid batch (the high watermark a broker would recover). */
  endOffset: number;
  dataBytes: number;
  fileSizeBytes: number;
  segments: SegmentView[];
  /** The checkpoint's recovery point, or why there is none. */
  recoveryPoint: number | undefined;
  checkpointProblem: string | undefined;
  /** Where a sealed segment has a bad batch before its end: damage recovery would report. */
  damage: string | undefined;
}

export interface GroupOffsetView {
  topic: string;
  partition: number;
  committed: number;
  endOffset: number | undefined;
  lag: number | undefined;
}

export interface GroupView {
  groupId: string;
  file: string;
  offsets: GroupOffsetView[];
  /** Why the log stopped before its end (a torn tail), if it did. */
  problem: string | undefined;
}

const logSuffix = '.log';

export class DataDirView {
  private readonly storage = new MmapStorage();
  private manifestCache: ManifestBody | undefined;

  private constructor(readonly dataDir: string) {}

  /** A view of an existing data directory; INVALID_DATA_DIR when there is none. */
  static open(dataDir: string): DataDirView {
    const resolved = path.resolve(dataDir);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(resolved);
    } catch {
      stat = undefined;
    }
    if (stat === undefined || !stat.isDirectory()) {
      throw new MambaError('INVALID_DATA_DIR', `no data directory at ${resolved}`,
        { detail: { dataDir: resolved } });
    }
    return new DataDirView(resolved);
  }

  get manifest(): ManifestBody {
    this.manifestCache ??= readManifest(this.dataDir, this.storage);
    return this.manifestCache;
  }

  get hasManifest(): boolean {
    return fs.existsSync(path.join(this.dataDir, MANIFEST_FILE_NAME));
  }

  /** The users' topics: the broker's own (`__mamba…`) are left out, as `listTopics` does. */
  topics(): readonly TopicRecord[] {
    return this.manifest.topics.filter((t) => !t.name.startsWith(internalTopicPrefix));
  }

  topic(name: string): TopicRecord {
    const record = this.manifest.topics.find((t) => t.name === name);
    if (record === undefined) throw unknownTopic(name);
    return record;
  }

  partitionDir(topic: string, partition: number): string {
    return path.join(this.dataDir, `${topic}-${partition}`);
  }

  partition(topic: string, partition: number): PartitionView {
    const dir = this.partitionDir(topic, partition);
    const baseOffsets = listSegmentBaseOffsets(this.storage, dir);
    const segments: SegmentView[] = [];
    let damage: string | undefined;
    for (const [index, baseOffset] of baseOffsets.entries()) {
      const segment = this.segment(dir, baseOffset);
      if (segment === undefined) continue;
      segments.push(segment);
      const stop = segment.end.stopVerdict;
      if (index < baseOffsets.length - 1 && stop !== 'zero' && stop !== 'end-of-file') {
        damage ??= `${segment.path} at byte ${segment.end.stopBytePosition} (${stop})`;
      }
    }
    const checkpoint = this.storage.readFile(path.join(dir, CHECKPOINT_FILE_NAME));
    const decoded = checkpoint === undefined ? 'no checkpoint' : decodeCheckpoint(checkpoint);
    const last = segments.at(-1);
    return {
      topic, partition, dir,
      logStartOffset: segments[0]?.baseOffset ?? 0,
      endOffset: last?.end.nextOffset ?? 0,
      dataBytes: segments.reduce((sum, s) => sum + s.dataBytes, 0),
      fileSizeBytes: segments.reduce((sum, s) => sum + s.fileSizeBytes, 0),
      segments,
      recoveryPoint: typeof decoded === 'string' ? undefined : decoded.recoveryPoint,
      checkpointProblem: typeof decoded === 'string' ? decoded : undefined,
      damage,
    };
  }

  partitions(record: TopicRecord): PartitionView[] {
    return Array.from({ length: record.config.partitions },
      (_, partition) => this.partition(record.name, partition));
  }

  /**
   * The first offset whose record has a timestamp at or after `timestampMs`, or the end of the
   * log when there is none (what Kafka's reset --to-datetime gives).
   */
  offsetForTimestamp(topic: string, partition: number, timestampMs: number): number {
    const view = this.partition(topic, partition);
    for (const segment of view.segments) {
      const bytes = this.storage.mapReadOnly(segment.path);
      const batches = dumpBatches(bytes.subarray(0, segment.dataBytes), segment.baseOffset,
        Number.MAX_SAFE_INTEGER);
      for (const batch of batches) {
        if (batch.header.maxTimestamp < timestampMs) continue;
        let found: number | undefined;
        forEachRecord(bytes, batch.bytePosition, (record) => {
          if (found === undefined && record.timestamp >= timestampMs) found = record.offset;
        });
        if (found !== undefined) return found;
      }
    }
    return view.endOffset;
  }

  /** Every group with a readable offset log, by id. */
  groups(): GroupView[] {
    const dir = path.join(this.dataDir, GROUPS_DIR_NAME);
    const views: GroupView[] = [];
    for (const name of this.storage.list(dir).sort()) {
      if (!name.endsWith('.offsets')) continue;
      const file = path.join(dir, name);
      const bytes = this.storage.readFile(file);
      if (bytes === undefined) continue;
      const parsed = parseLog(bytes);
      if (parsed.groupId === undefined) continue;
      const offsets: OffsetEntry[] = [];
      for (const [topic, partitions] of parsed.offsets) {
        for (const [partition, { offset }] of partitions) {
          offsets.push({ topic, partition, offset });
        }
      }
      views.push({
        groupId: parsed.groupId, file, problem: parsed.reason,
        offsets: offsets.sort((a, b) => a.topic.localeCompare(b.topic) ||
          a.partition - b.partition).map((entry) => this.withLag(entry)),
      });
    }
    return views.sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  group(groupId: string): GroupView {
    const view = this.groups().find((g) => g.groupId === groupId);
    if (view === undefined) {
      throw new MambaError('GROUP_ID_NOT_FOUND',
        `group ${JSON.stringify(groupId)} has no committed offsets in ${this.dataDir}`,
        { detail: { groupId } });
    }
    return view;
  }

  private withLag(entry: OffsetEntry): GroupOffsetView {
    const record = this.manifest.topics.find((t) => t.name === entry.topic);
    const endOffset = record === undefined || entry.partition >= record.config.partitions
      ? undefined : this.partitionEnd(entry.topic, entry.partition);
    return {
      topic: entry.topic, partition: entry.partition, committed: entry.offset, endOffset,
      lag: endOffset === undefined ? undefined : Math.max(0, endOffset - entry.offset),
    };
  }

  private readonly ends = new Map<string, number>();

  private partitionEnd(topic: string, partition: number): number {
    const key = `${topic}-${partition}`;
    let end = this.ends.get(key);
    if (end === undefined) this.ends.set(key, end = this.partition(topic, partition).endOffset);
    return end;
  }

  private segment(dir: string, baseOffset: number): SegmentView | undefined {
    const file = path.join(dir, segmentFileName(baseOffset, logSuffix));
    let bytes: Uint8Array;
    try {
      bytes = this.storage.mapReadOnly(file);
    } catch {
      return undefined; // deleted by retention between listing and mapping
    }
    const end = walkSegment(bytes, baseOffset);
    return { baseOffset, path: file, fileSizeBytes: bytes.length, dataBytes: end.endBytePosition,
      end };
  }
}
