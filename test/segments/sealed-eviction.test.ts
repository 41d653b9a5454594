/**
 * A sealed segment's pages leave the process's resident set when the log rolls (issue 15: the
 * peers bench's RSS grew with the log): measured from /proc/self/smaps, per mapping of each
 * segment file, on real mapped files; the data stays readable and durable.
 */
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MmapStorage, PartitionLog, listSegmentBaseOffsets, segmentFileName,
} from '../../src/segments/index.js';
import { batchInfo, buildBatch, payloadFor, readAll } from './batch-builder.js';
import { quiet } from './log-harness.js';

const KiB = 1024;

/** Resident kB of every mapping of `file` in this process (/proc/self/smaps). */
function residentKiB(file: string): number {
  const lines = fs.readFileSync('/proc/self/smaps', 'utf8').split('\n');
  let inFile = false;
  let total = 0;
  for (const line of lines) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inFile = line.endsWith(file);
    else if (inFile && line.startsWith('Rss:')) total += Number(line.split(/\s+/)[1]);
  }
  return total;
}

describe('sealed segments', () => {
  const root = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'mamba-evict-'));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('are no longer resident once the log rolls past them, and read back intact', () => {
    const dir = nodePath.join(root, 't-0');
    const storage = new MmapStorage();
    const log = PartitionLog.open(dir, {
      storage, segmentSizeBytes: 256 * KiB, indexIntervalBytes: 4 * KiB,
      log: quiet, prepareNextSegment: false,
    });
    const payloads: Uint8Array[] = [];
    for (let i = 0; log.stats().segmentCount < 3; i++) {
      const payload = payloadFor(i, 4000);
      payloads.push(payload);
      log.append(buildBatch({ recordCount: 1, payload }));
    }
    const files = listSegmentBaseOffsets(storage, dir).map((base) =>
      nodePath.join(dir, segmentFileName(base, '.log')));
    expect(files).toHaveLength(3);
    expect(residentKiB(files[2]!)).toBeGreaterThan(0);
    expect(residentKiB(files[0]!)).toBe(0);
    expect(residentKiB(files[1]!)).toBe(0);
    const read = readAll((from, max) => log.read(from, max), 0);
    expect(read).toHaveLength(payloads.length);
    const same = read.filter((batch, i) => Buffer.from(batch.payload).equals(payloads[i]!));
    expect(same).toHaveLength(payloads.length);
    expect(batchInfo(log.read(0, 1)).baseOffset).toBe(0);
    log.close();
  });
});
