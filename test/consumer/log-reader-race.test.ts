import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeBatch, readBatchHeader } from '../../src/records/index.js';
import { LogReader, PartitionLog } from '../../src/segments/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const encoder = new TextEncoder();

function batch(values: string[]): Uint8Array {
  return encodeBatch(values.map((v) => ({ key: null, value: encoder.encode(v) })));
}

describe('a reader racing the writer', () => {
  it('never takes a batch still being copied in past the high-watermark', () => {
    const dir = path.join(tempDir(), 't-0');
    const log = PartitionLog.open(dir, { segmentSizeBytes: 64 * 1024, log: () => {} });
    try {
      log.append(batch(['a', 'b']));
      const second = log.append(batch(['c']));
      const highWatermark = log.logEndOffset;
      const end = second.bytePosition + readBatchHeader(batch(['c']), 0).sizeBytes;
      const reader = LogReader.open(dir);
      expect(reader.read(0, 1 << 20, highWatermark).byteLength).toBe(end);
      // What a reader sees while the actor copies the next batch in: the producer's bytes,
      // base offset 0, not yet stamped.
      const fd = fs.openSync(path.join(dir, '00000000000000000000.log'), 'r+');
      fs.writeSync(fd, batch(['unstamped']), 0, undefined, end);
      fs.closeSync(fd);
      expect(reader.read(0, 1 << 20, highWatermark).byteLength).toBe(end);
      expect(reader.read(2, 1 << 20, highWatermark).byteLength).toBe(end - second.bytePosition);
      expect(reader.read(highWatermark, 1 << 20, highWatermark).byteLength).toBe(0);
      // Once stamped and published, the next read takes it from where the last one ended.
      log.append(batch(['d']));
      const next = reader.read(highWatermark, 1 << 20, log.logEndOffset);
      expect(readBatchHeader(next, 0).baseOffset).toBe(highWatermark);
    } finally {
      log.close();
    }
  });
});
