/**
 * Power-cut damage for the `torn` kill mode, applied to a partition directory while no process
 * has it open (after the broker process was SIGKILLed, before the next one opens it).
 *
 * A power cut loses what the page cache had not written back: bytes past the last flush. The
 * damage therefore starts at or after the partition's durable offset (the byte position of the
 * first batch at or above it) and at or after the checkpoint's recovery position, and only in
 * the active (last) segment, where unflushed bytes live. Within that unflushed tail a cut point
 * is drawn at a random byte; from it:
 * - `zero`: every byte up to the end of the written data becomes zero (pages never written back
 *   to a pre-zeroed file read as zeros);
 * - `garbage`: up to `garbageBytesMax` bytes have random bits flipped (a torn sector), and every
 *   byte after them becomes zero.
 * A file is never made shorter (DESIGN.md invariant 5): damage is written in place.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  BASE_OFFSET_OFFSET, BATCH_HEADER_SIZE_BYTES, MAGIC, MAGIC_OFFSET, batchSizeBytesAt,
} from '../../records/index.js';
import { CHECKPOINT_FILE_NAME, decodeCheckpoint, segmentFileName } from '../../segments/index.js';
import type { DamageKind } from './chaos-schedule.js';
import { Prng } from './prng.js';

export interface TailDamage {
  path: string;
  kind: DamageKind;
  /** The cut point: first damaged byte. */
  bytePosition: number;
  /** End of the written data (exclusive): last damaged byte + 1. */
  bytePositionEnd: number;
  /** Where the unflushed tail started (the earliest byte that could have been damaged). */
  unflushedBytePosition: number;
}

const garbageBytesMax = 512;
const logFilePattern = /^(\d{20})\.log$/;

/**
 * Damages the unflushed tail of the active segment in `dir`, everything below `durableOffset`
 * left intact. Returns what was damaged, or undefined when the tail held nothing unflushed.
 */
export function damageUnflushedTail(dir: string, durableOffset: number, kind: DamageKind,
  seed: number): TailDamage | undefined {
  const baseOffsets = fs.readdirSync(dir)
    .map((name) => logFilePattern.exec(name))
    .filter((match) => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => a - b);
  if (baseOffsets.length === 0) return undefined;
  const activeBaseOffset = baseOffsets[baseOffsets.length - 1];
  const file = path.join(dir, segmentFileName(activeBaseOffset, '.log'));
  const bytes = fs.readFileSync(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { durableBytePosition, dataEnd } = walkBatches(view, durableOffset);
  const start = Math.max(durableBytePosition, checkpointFloor(dir, activeBaseOffset));
  if (start >= dataEnd) return undefined;
  const prng = new Prng(seed);
  const cut = start + prng.below(dataEnd - start);
  const damaged = Buffer.alloc(dataEnd - cut);
  if (kind === 'garbage') {
    const garbageEnd = Math.min(damaged.length, garbageBytesMax);
    bytes.copy(damaged, 0, cut, cut + garbageEnd);
    for (let i = 0; i < garbageEnd; i++) damaged[i] ^= 1 + prng.below(255);
  }
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, damaged, 0, damaged.length, cut);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { path: file, kind, bytePosition: cut, bytePositionEnd: dataEnd,
    unflushedBytePosition: start };
}

/**
 * Hops batch headers from byte 0: where the first batch at or above `durableOffset` starts,
 * and where the written data ends (the first header that is zero or not a batch).
 */
function walkBatches(view: DataView, durableOffset: number):
  { durableBytePosition: number; dataEnd: number } {
  let position = 0;
  let durableBytePosition = -1;
  while (position + BATCH_HEADER_SIZE_BYTES <= view.byteLength) {
    if (view.getUint8(position + MAGIC_OFFSET) !== MAGIC) break;
    const sizeBytes = batchSizeBytesAt(view, position);
    if (sizeBytes < BATCH_HEADER_SIZE_BYTES || position + sizeBytes > view.byteLength) break;
    const baseOffset = Number(view.getBigInt64(position + BASE_OFFSET_OFFSET));
    if (durableBytePosition < 0 && baseOffset >= durableOffset) durableBytePosition = position;
    position += sizeBytes;
  }
  return { durableBytePosition: durableBytePosition < 0 ? position : durableBytePosition,
    dataEnd: position };
}

/** The checkpoint's recovery position, when it lies in the active segment; else 0. */
function checkpointFloor(dir: string, activeBaseOffset: number): number {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(dir, CHECKPOINT_FILE_NAME));
  } catch {
    return 0;
  }
  const checkpoint = decodeCheckpoint(bytes);
  if (typeof checkpoint === 'string') return 0;
  if (checkpoint.recoverySegmentBaseOffset !== activeBaseOffset) return 0;
  return checkpoint.recoveryBytePosition;
}
