/**
 * A partition's checkpoint file: a FlatBuffers `Checkpoint` (schema/checkpoint.fbs, generated
 * code in ./generated) inside a checksummed envelope, replaced atomically with
 * `storage.writeFileAtomic` (temp file, fsync, rename, fsync dir).
 *
 * ```
 *  0         4       6       8         12        16
 *  +---------+-------+-------+---------+---------+-------------------------------+
 *  | magic   |version| flags | length  | crc32c  | FlatBuffers Checkpoint        |
 *  | "MBCP"  | u16   | u16=0 | u32     | u32     | (`length` bytes, CRC over it) |
 *  +---------+-------+-------+---------+---------+-------------------------------+
 *  all integers big-endian
 * ```
 *
 * A checkpoint that is missing, of another version, or fails its checksum is reported as a
 * problem and recovery starts from the first segment instead (recovery.ts).
 */
import nodePath from 'node:path';
import * as flatbuffers from 'flatbuffers';
import { assert } from '../assert.js';
import { crc32c } from '../records/index.js';
import { Checkpoint } from './generated/mamba/checkpoint/checkpoint.js';
import {
  ProducerEntry as ProducerEntryTable,
} from './generated/mamba/checkpoint/producer-entry.js';
import {
  TransactionEntry as TransactionEntryTable,
} from './generated/mamba/checkpoint/transaction-entry.js';
import type { ProducerEntry } from './producer-state.js';
import type { TransactionEntry } from './transaction-state.js';
import type { SegmentStorage } from './storage.js';

export const CHECKPOINT_FILE_NAME = 'checkpoint';
export const CHECKPOINT_MAGIC = 0x4d42_4350; // "MBCP"
export const CHECKPOINT_VERSION = 1;

export const CHECKPOINT_MAGIC_OFFSET = 0;
export const CHECKPOINT_VERSION_OFFSET = CHECKPOINT_MAGIC_OFFSET + 4;
export const CHECKPOINT_FLAGS_OFFSET = CHECKPOINT_VERSION_OFFSET + 2;
export const CHECKPOINT_LENGTH_OFFSET = CHECKPOINT_FLAGS_OFFSET + 2;
export const CHECKPOINT_CRC_OFFSET = CHECKPOINT_LENGTH_OFFSET + 4;
export const CHECKPOINT_BODY_OFFSET = CHECKPOINT_CRC_OFFSET + 4;

assert(CHECKPOINT_BODY_OFFSET === 16, 'checkpoint envelope is 16 bytes');

export interface CheckpointData {
  /** Every batch below this offset was flushed and valid when the checkpoint was written. */
  recoveryPoint: number;
  recoverySegmentBaseOffset: number;
  recoveryBytePosition: number;
  logStartOffset: number;
  logEndOffset: number;
  activeSegmentBaseOffset: number;
  activeBytePosition: number;
  /** Producer state as of the recovery point. */
  producers: ProducerEntry[];
  /**
   * Transaction state (transaction-state.ts) as of `transactionsEndOffset`, the log end when
   * the checkpoint was written. Absent (or an end of -1, a checkpoint from before transactions):
   * no transaction was known at the recovery point.
   */
  transactions?: TransactionEntry[];
  transactionsEndOffset?: number;
}

export function encodeCheckpoint(data: CheckpointData): Uint8Array {
  const builder = new flatbuffers.Builder(256 + data.producers.length * 48);
  const producerOffsets = data.producers.map((entry) =>
    ProducerEntryTable.createProducerEntry(builder, BigInt(entry.producerId), entry.producerEpoch,
      entry.lastSequence, BigInt(entry.lastBaseOffset), entry.lastOffsetDelta));
  const producers = Checkpoint.createProducersVector(builder, producerOffsets);
  const transactionOffsets = (data.transactions ?? []).map((entry) =>
    TransactionEntryTable.createTransactionEntry(builder, BigInt(entry.producerId),
      entry.producerEpoch, BigInt(entry.firstOffset)));
  const transactions = Checkpoint.createTransactionsVector(builder, transactionOffsets);
  Checkpoint.startCheckpoint(builder);
  Checkpoint.addRecoveryPoint(builder, BigInt(data.recoveryPoint));
  Checkpoint.addRecoverySegmentBaseOffset(builder, BigInt(data.recoverySegmentBaseOffset));
  Checkpoint.addRecoveryBytePosition(builder, BigInt(data.recoveryBytePosition));
  Checkpoint.addLogStartOffset(builder, BigInt(data.logStartOffset));
  Checkpoint.addLogEndOffset(builder, BigInt(data.logEndOffset));
  Checkpoint.addActiveSegmentBaseOffset(builder, BigInt(data.activeSegmentBaseOffset));
  Checkpoint.addActiveBytePosition(builder, BigInt(data.activeBytePosition));
  Checkpoint.addProducers(builder, producers);
  Checkpoint.addTransactions(builder, transactions);
  Checkpoint.addTransactionsEndOffset(builder, BigInt(data.transactionsEndOffset ?? -1));
  Checkpoint.finishCheckpointBuffer(builder, Checkpoint.endCheckpoint(builder));
  const body = builder.asUint8Array();

  const bytes = new Uint8Array(CHECKPOINT_BODY_OFFSET + body.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(CHECKPOINT_MAGIC_OFFSET, CHECKPOINT_MAGIC);
  view.setUint16(CHECKPOINT_VERSION_OFFSET, CHECKPOINT_VERSION);
  view.setUint16(CHECKPOINT_FLAGS_OFFSET, 0);
  view.setUint32(CHECKPOINT_LENGTH_OFFSET, body.length);
  view.setUint32(CHECKPOINT_CRC_OFFSET, crc32c(body));
  bytes.set(body, CHECKPOINT_BODY_OFFSET);
  return bytes;
}

/** The checkpoint in `bytes`, or a string saying why there is none. */
export function decodeCheckpoint(bytes: Uint8Array): CheckpointData | string {
  if (bytes.length < CHECKPOINT_BODY_OFFSET) return `too short (${bytes.length} bytes)`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(CHECKPOINT_MAGIC_OFFSET) !== CHECKPOINT_MAGIC) return 'bad magic';
  const version = view.getUint16(CHECKPOINT_VERSION_OFFSET);
  if (version !== CHECKPOINT_VERSION) return `unknown version ${version}`;
  const length = view.getUint32(CHECKPOINT_LENGTH_OFFSET);
  if (length !== bytes.length - CHECKPOINT_BODY_OFFSET) return `length ${length} does not match`;
  const body = bytes.subarray(CHECKPOINT_BODY_OFFSET);
  if (crc32c(body) !== view.getUint32(CHECKPOINT_CRC_OFFSET)) return 'checksum mismatch';
  const buffer = new flatbuffers.ByteBuffer(body);
  if (!Checkpoint.bufferHasIdentifier(buffer)) return 'not a Checkpoint';
  const table = Checkpoint.getRootAsCheckpoint(buffer);
  const producers: ProducerEntry[] = [];
  for (let i = 0; i < table.producersLength(); i += 1) {
    const entry = table.producers(i)!;
    producers.push({
      producerId: Number(entry.producerId()),
      producerEpoch: entry.producerEpoch(),
      lastSequence: entry.lastSequence(),
      lastBaseOffset: Number(entry.lastBaseOffset()),
      lastOffsetDelta: entry.lastOffsetDelta(),
    });
  }
  const decoded: CheckpointData = {
    recoveryPoint: Number(table.recoveryPoint()),
    recoverySegmentBaseOffset: Number(table.recoverySegmentBaseOffset()),
    recoveryBytePosition: Number(table.recoveryBytePosition()),
    logStartOffset: Number(table.logStartOffset()),
    logEndOffset: Number(table.logEndOffset()),
    activeSegmentBaseOffset: Number(table.activeSegmentBaseOffset()),
    activeBytePosition: Number(table.activeBytePosition()),
    producers,
  };
  // Present only when written, so a checkpoint from before transactions decodes as it was.
  const transactionsEndOffset = Number(table.transactionsEndOffset());
  if (transactionsEndOffset >= 0) {
    decoded.transactions = decodeTransactions(table);
    decoded.transactionsEndOffset = transactionsEndOffset;
  }
  return decoded;
}

function decodeTransactions(table: Checkpoint): TransactionEntry[] {
  const transactions: TransactionEntry[] = [];
  for (let i = 0; i < table.transactionsLength(); i += 1) {
    const entry = table.transactions(i)!;
    transactions.push({
      producerId: Number(entry.producerId()),
      producerEpoch: entry.producerEpoch(),
      firstOffset: Number(entry.firstOffset()),
    });
  }
  return transactions;
}

export function writeCheckpoint(storage: SegmentStorage, dir: string, data: CheckpointData): void {
  storage.writeFileAtomic(nodePath.join(dir, CHECKPOINT_FILE_NAME), encodeCheckpoint(data));
}

/** The partition's checkpoint, or the reason it cannot be used. */
export function readCheckpoint(
  storage: SegmentStorage, dir: string,
): { checkpoint: CheckpointData } | { problem: string } {
  const bytes = storage.readFile(nodePath.join(dir, CHECKPOINT_FILE_NAME));
  if (bytes === undefined) return { problem: 'no checkpoint' };
  const decoded = decodeCheckpoint(bytes);
  return typeof decoded === 'string' ? { problem: decoded } : { checkpoint: decoded };
}
