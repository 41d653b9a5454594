/**
 * Recovery time and memory against the size of the log: a one-partition topic is grown to each
 * size in turn, and after each a fresh process reopens it (`Broker.open`, bench/scale/
 * reopen-child.ts) twice — once with the checkpoint the close left (the normal restart), once
 * with the checkpoint removed (recovery case 1: every segment scanned and CRC-checked, the worst
 * case, as after a crash before the first checkpoint). An empty topic, reopened the same way,
 * is the baseline every figure is divided by.
 *
 * The log is grown with `PartitionLog.append` of pre-encoded batches (100-byte records, 100 per
 * batch) straight into the topic's partition directory while no broker has it open: the same
 * format and files the partition actor writes, made at the segment log's speed instead of the
 * producer path's, so a gigabyte takes seconds. The page cache stays warm (nothing here may drop
 * it on a shared machine), so the full-scan figures are CPU-bound, not disk-bound.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Broker } from '../../src/index.js';
import { segmentSizeBytesDefault } from '../../src/constants.js';
import { CHECKPOINT_FILE_NAME, PartitionLog } from '../../src/segments/index.js';
import { patternedValues } from '../harness/append-ceiling.js';
import { BatchEncoder } from '../harness/batch-encoder.js';
import type { ReopenFigures } from './reopen-child.js';

const run = promisify(execFile);
const topic = 'scale';
const recordSizeBytes = 100;
const recordsPerBatch = 100;
const appendsPerYield = 256;

export type ReopenMode = 'checkpoint' | 'full scan';

export interface RecoveryFigure extends ReopenFigures {
  /** Bytes of batches in the log when it was reopened. */
  readonly logBytes: number;
  readonly mode: ReopenMode;
}

/** A one-partition topic in `dataDir` whose log grows on request. */
export class GrowingLog {
  private logBytes = 0;
  private logEndOffset = 0;
  private readonly batch: Uint8Array;

  private constructor(private readonly dataDir: string) {
    const encoder = new BatchEncoder(recordsPerBatch * (recordSizeBytes + 16) + 128);
    this.batch = encoder.encode(patternedValues(recordsPerBatch, recordSizeBytes)).slice();
  }

  static async create(dataDir: string): Promise<GrowingLog> {
    const broker = await Broker.open({ dataDir, actors: 1 });
    try {
      await broker.createTopic(topic, { partitions: 1, segmentBytes: segmentSizeBytesDefault });
    } finally {
      await broker.close();
    }
    return new GrowingLog(dataDir);
  }

  get sizeBytes(): number {
    return this.logBytes;
  }

  /** Records in the log: what a reopen must recover as the high watermark. */
  get recordCount(): number {
    return this.logEndOffset;
  }

  get partitionDir(): string {
    return path.join(this.dataDir, `${topic}-0`);
  }

  /** Appends whole batches until the log holds at least `targetBytes`; checkpoints on close. */
  async growTo(targetBytes: number): Promise<void> {
    const log = PartitionLog.open(this.partitionDir, { segmentSizeBytes: segmentSizeBytesDefault });
    try {
      this.logBytes = log.sizeBytes();
      while (this.logBytes < targetBytes) {
        for (let index = 0; index < appendsPerYield && this.logBytes < targetBytes; index++) {
          log.append(this.batch);
          this.logBytes += this.batch.byteLength;
        }
        // Lets the background preparation of the next segment run, as in an actor.
        await yieldToEventLoop();
      }
      this.logEndOffset = log.logEndOffset;
    } finally {
      log.close();
    }
  }

  /** Reopens the broker in a child process, with or without the partition's checkpoint. */
  async reopen(mode: ReopenMode): Promise<RecoveryFigure> {
    if (mode === 'full scan') {
      fs.rmSync(path.join(this.partitionDir, CHECKPOINT_FILE_NAME), { force: true });
    }
    const child = fileURLToPath(new URL('./reopen-child.js', import.meta.url));
    const { stdout } = await run(process.execPath, [child, this.dataDir, topic],
      { maxBuffer: 1024 * 1024 });
    const figures = JSON.parse(stdout.trim().split('\n').at(-1)!) as ReopenFigures;
    return { ...figures, logBytes: this.logBytes, mode };
  }
}
