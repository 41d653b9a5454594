/**
 * A record source that reads the partition logs of a data directory directly, with no broker
 * running, and strictly read-only: it maps the segment files read-only and walks their batches
 * itself. It does not open a `PartitionLog`, whose recovery would zero a torn tail, restamp
 * offsets, unlink segments and write a checkpoint: the checker would then judge a log it had
 * just changed, and the next broker to open the directory would find other evidence.
 *
 * What it reads is what recovery would keep without repair: from the first segment, every valid
 * batch whose base offset continues the one before; at the first batch that is not valid it
 * moves on only when the next segment starts exactly at the next offset (a clean roll), and
 * stops otherwise. Whatever lies beyond the stop shows up in the verdict as lost records.
 */
import path from 'node:path';
import {
  STORED_BATCH, batchSizeBytesAt, checkBatch, dataViewOf, forEachRecord, readBatchHeader,
  type BatchHeader,
} from '../../records/index.js';
import {
  MmapStorage, listSegmentBaseOffsets, segmentFileName, type SegmentStorage,
} from '../../segments/index.js';
import type { RecordSource, RecordVisitor, WorkloadLayout } from './record-source.js';

export class LogFileSource implements RecordSource {
  readonly name = 'log-files';

  constructor(private readonly storage: SegmentStorage = new MmapStorage()) {}

  async readAll(layout: WorkloadLayout, visit: RecordVisitor): Promise<void> {
    for (let topicIndex = 0; topicIndex < layout.topicNames.length; topicIndex++) {
      for (let partition = 0; partition < layout.partitions; partition++) {
        const dir = path.join(layout.dataDir, `${layout.topicNames[topicIndex]}-${partition}`);
        readPartition(this.storage, dir, topicIndex * layout.partitions + partition, visit);
        await new Promise((resolve) => setImmediate(resolve)); // let progress output run
      }
    }
  }
}

function readPartition(
  storage: SegmentStorage, dir: string, slot: number, visit: RecordVisitor,
): void {
  walkStoredBatches(storage, dir, (_header, bytes, position) => {
    forEachRecord(bytes, position, (record) => visit(slot, record.offset, record.value));
  });
}

/**
 * Visits, read-only, the batches of one partition directory that recovery would keep without
 * repair (see the file comment): each valid batch continuing the offsets before it, across
 * clean rolls only.
 */
export function walkStoredBatches(storage: SegmentStorage, dir: string,
  visit: (header: BatchHeader, bytes: Uint8Array, position: number) => void): void {
  const baseOffsets = listSegmentBaseOffsets(storage, dir);
  if (baseOffsets.length === 0) return;
  let expected = baseOffsets[0];
  for (const baseOffset of baseOffsets) {
    if (baseOffset !== expected) return; // a hole between segments: nothing after it counts
    const bytes = storage.mapReadOnly(path.join(dir, segmentFileName(baseOffset, '.log')));
    const view = dataViewOf(bytes);
    let position = 0;
    for (;;) {
      const verdict = checkBatch(bytes, view, position, bytes.length, -1, STORED_BATCH);
      if (verdict !== 'valid') break;
      const header = readBatchHeader(bytes, position);
      if (header.baseOffset !== expected) return;
      visit(header, bytes, position);
      position += batchSizeBytesAt(view, position);
      expected = header.baseOffset + header.lastOffsetDelta + 1;
    }
  }
}
