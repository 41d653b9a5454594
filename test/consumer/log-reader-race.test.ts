import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeBatch, readBatchHeader } from '../../src/records/index.js';
import { LogReader, PartitionLog } from '../../src/segments/index.js';
import { lookupInIndexBytes } from '../../src/segments/offset-index.js';
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

  it('a damaged header the index points at is CORRUPT_LOG, not an empty read', () => {
    const dir = path.join(tempDir(), 't-0');
    const log = PartitionLog.open(dir, {
      segmentSizeBytes: 256 * 1024, indexIntervalBytes: 1024, log: () => {},
    });
    try {
      const appended = Array.from({ length: 60 },
        (_, i) => log.append(batch([`v${i}`.repeat(40)])));
      log.flush();
      const highWatermark = log.logEndOffset;
      // A batch the index names (the index keeps one entry per indexIntervalBytes of log).
      const indexBytes = fs.readFileSync(path.join(dir, '00000000000000000000.index'));
      const index = new DataView(indexBytes.buffer, indexBytes.byteOffset, indexBytes.byteLength);
      const named = appended.find((a) => a.baseOffset > 10 &&
        lookupInIndexBytes(index, 0, a.baseOffset) === a.bytePosition)!;
      expect(named).toBeDefined();
      const fd = fs.openSync(path.join(dir, '00000000000000000000.log'), 'r+');
      fs.writeSync(fd, Uint8Array.of(0x7f, 0, 0, 0), 0, 4, named.bytePosition + 8);
      fs.closeSync(fd);
      const reader = LogReader.open(dir);
      let caught: unknown;
      try {
        reader.read(named.baseOffset, 1 << 20, highWatermark);
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({
        code: 'CORRUPT_LOG', corruption: { bytePosition: named.bytePosition },
      });
      // Past the damage the reader finds the next intact batch.
      const after = reader.read(named.baseOffset + 1, 1 << 20, highWatermark);
      expect(readBatchHeader(after, 0).baseOffset).toBe(named.baseOffset + 1);
    } finally {
      log.close();
    }
  });
});

