/**
 * Reading a partition's records from an offset to its high-watermark outside a consumer: for
 * the dead-letter step's look for a record it may already have written (record-forwarder.ts)
 * and for listing and replaying dead letters (dead-letter-replay.ts). Reads the segment files
 * through a read-only mapping, as a consumer does, and never through the actor.
 */
import { MambaError, unknownTopic } from '../errors.js';
import { LogReader } from '../segments/index.js';
import type { ControlBlock, TopicDirectory } from '../shm/index.js';
import { partitionDirectory } from './consumer-fetcher.js';
import { decodeChunk, type ConsumedMessage } from './consumer-message.js';
import type { RecordView } from '../records/index.js';

/** What a scan needs of the broker: the shared control block, the topic directory, the files. */
export interface ScanContext {
  controlBlock: ControlBlock;
  directory: TopicDirectory;
  dataDir: string;
}

const scanChunkBytes = 1 << 20;

/**
 * Calls `visit` for each record of `topic`/`partition` from `fromOffset` (raised to the log
 * start) to the high-watermark, in order, until it returns true. Returns the offset after the
 * last record visited. `limit` bounds the records visited; `filter` skips records (on their
 * bytes, as a consumer's filter does) without counting them.
 */
export function scanPartition(context: ScanContext, topic: string, partition: number,
  fromOffset: number, visit: (message: ConsumedMessage) => boolean | void,
  limit = Number.MAX_SAFE_INTEGER, filter?: (record: RecordView) => boolean): number {
  const location = context.directory.lookup(topic);
  if (location === undefined) throw unknownTopic(topic);
  const slot = location.firstSlot + partition;
  const block = context.controlBlock;
  const highWatermark = block.highWatermark(slot);
  let offset = Math.max(fromOffset, block.logStartOffset(slot));
  if (offset >= highWatermark) return offset;
  const reader = LogReader.open(partitionDirectory(context.dataDir, topic, partition));
  let visited = 0;
  while (offset < highWatermark && visited < limit) {
    let bytes: Uint8Array;
    try {
      bytes = reader.read(offset, scanChunkBytes, highWatermark, block.logStartOffset(slot));
    } catch (error) {
      // Retention removed the segment under the scan: go on from the new log start.
      if (!MambaError.is(error, 'OFFSET_OUT_OF_RANGE')) throw error;
      offset = Math.max(offset + 1, block.logStartOffset(slot));
      continue;
    }
    if (bytes.byteLength === 0) break;
    const decoded = decodeChunk(bytes, topic, partition, offset, true, reader.lastRead, filter);
    for (const message of decoded.messages) {
      visited++;
      if (visit(message) === true) return message.offset + 1;
      if (visited >= limit) return message.offset + 1;
    }
    offset = decoded.nextOffset;
  }
  return offset;
}
