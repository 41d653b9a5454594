/**
 * A record source that reads the partition logs of a closed data directory directly, through
 * `PartitionLog` (the same recovery a broker runs on open, then sequential reads), with no
 * broker running.
 */
import path from 'node:path';
import { forEachRecord, readBatchHeader } from '../../records/index.js';
import { PartitionLog } from '../../segments/index.js';
import type { RecordSource, RecordVisitor, WorkloadLayout } from './record-source.js';

const readBytesMax = 1 << 20;

export class LogFileSource implements RecordSource {
  readonly name = 'log-files';

  async readAll(layout: WorkloadLayout, visit: RecordVisitor): Promise<void> {
    for (let topicIndex = 0; topicIndex < layout.topicNames.length; topicIndex++) {
      for (let partition = 0; partition < layout.partitions; partition++) {
        const dir = path.join(layout.dataDir, `${layout.topicNames[topicIndex]}-${partition}`);
        readPartition(dir, topicIndex * layout.partitions + partition, visit);
        await new Promise((resolve) => setImmediate(resolve)); // let progress output run
      }
    }
  }
}

function readPartition(dir: string, slot: number, visit: RecordVisitor): void {
  const log = PartitionLog.open(dir, { log: () => undefined });
  try {
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const bytes = log.read(offset, readBytesMax);
      if (bytes.length === 0) break; // what is missing shows up as lost records
      let position = 0;
      while (position < bytes.length) {
        const header = readBatchHeader(bytes, position);
        forEachRecord(bytes, position, (record) => visit(slot, record.offset, record.value));
        position += header.sizeBytes;
        offset = header.baseOffset + header.lastOffsetDelta + 1;
      }
    }
  } finally {
    log.close();
  }
}
