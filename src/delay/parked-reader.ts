/**
 * Reading due parked records back from `__mamba_delayed`. The offsets due in one tick are
 * scattered over many parked batches (a batch of sends holds delays of every length), so each
 * due record costs a read of its batch. The batch is indexed with `indexBatch` (one pass of
 * varint reads into reused typed arrays, no object or callback per record) and only the due
 * records of it are built: a profile of the bench's deliveries put the old path, which decoded
 * every record of the batch into a `RecordView` for each due one, at a sixth of the main
 * thread.
 */
import {
  RecordIndex, batchLastOffset, batchRecordCount, dataViewOf, decodeHeaders, indexBatch,
  type DecodedRecord,
} from '../records/index.js';
import type { LogReader } from '../segments/index.js';

export class ParkedReader {
  private readonly index = new RecordIndex();

  constructor(private readonly reader: LogReader) {}

  /**
   * Calls `found` for each of `offsets` (ascending, below `upToOffset`) that the log holds, in
   * order, with the record decoded into an object of its own (key, value and header values are
   * views of the log's mapping: copy what must outlive the next read). Returns how many it found.
   */
  readEach(offsets: readonly number[], upToOffset: number, logStartOffset: number,
    found: (record: DecodedRecord) => void): number {
    const index = this.index;
    let count = 0;
    let next = 0;
    while (next < offsets.length) {
      const from = offsets[next];
      // One batch per read: the batch that holds `from`, found through the sparse index.
      const bytes = this.reader.read(from, 1, upToOffset, logStartOffset);
      if (bytes.length === 0) break;
      const view = dataViewOf(bytes);
      const lastOffset = batchLastOffset(view, 0);
      if (lastOffset < from) break; // not expected: the reader returns the batch holding it
      const recordCount = batchRecordCount(view, 0) === 0 ? 0 : indexBatch(bytes, 0, index);
      let position = 0;
      for (; next < offsets.length && offsets[next] <= lastOffset; next++) {
        const offset = offsets[next];
        // Offsets ascend within a batch: continue from the last record found.
        while (position < recordCount && index.offsets[position] < offset) position++;
        if (position === recordCount || index.offsets[position] !== offset) continue;
        found(this.recordAt(position));
        count++;
      }
    }
    return count;
  }

  private recordAt(i: number): DecodedRecord {
    const index = this.index;
    const records = index.records;
    const keySizeBytes = index.keySizesBytes[i];
    const valueSizeBytes = index.valueSizesBytes[i];
    return {
      offset: index.offsets[i],
      timestamp: index.timestamps[i],
      key: keySizeBytes < 0 ? null
        : records.subarray(index.keyPositions[i], index.keyPositions[i] + keySizeBytes),
      value: valueSizeBytes < 0 ? null
        : records.subarray(index.valuePositions[i], index.valuePositions[i] + valueSizeBytes),
      headers: index.headerCounts[i] === 0 ? []
        : decodeHeaders(records, index.headersPositions[i], index.headerCounts[i]),
    };
  }
}
