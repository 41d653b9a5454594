/**
 * Issue 16, item 4 at the log level (segments/transaction-recovery.ts, aborted-index.ts): the
 * open transactions and the aborted index come back right after a process crash (from the
 * checkpoint plus a hop over the batches after it, or from a full hop without a checkpoint),
 * and an abort whose marker a power cut took is dropped from the index, its transaction open
 * again, until the coordinator writes the marker again.
 */
import { describe, expect, it } from 'vitest';
import {
  ABORTED_INDEX_FILE_NAME, CHECKPOINT_FILE_NAME, MemoryStorage, PartitionLog,
} from '../../src/segments/index.js';
import { decodeAbortedIndex } from '../../src/segments/aborted-index.js';
import { ATTRIBUTE_TRANSACTIONAL, encodeBatch } from '../../src/records/index.js';

const quiet = (): void => undefined;
const dir = '/data/t-0';

function open(storage: MemoryStorage): PartitionLog {
  return PartitionLog.open(dir, { storage, segmentSizeBytes: 64 * 1024, log: quiet });
}

const sequences = new Map<number, number>();

function txnBatch(producerId: number, value: string): Uint8Array {
  const baseSequence = sequences.get(producerId) ?? 0;
  sequences.set(producerId, baseSequence + 1);
  return encodeBatch([{ value: Buffer.from(value) }], {
    producerId: BigInt(producerId), producerEpoch: 0, baseSequence,
    attributes: ATTRIBUTE_TRANSACTIONAL,
  });
}

const plainBatch = (): Uint8Array => encodeBatch([{ value: Buffer.from('plain') }]);

function abort(producerId: number) {
  return { producerId, producerEpoch: 0, commit: false, coordinatorEpoch: 0 };
}

/** Offsets: 0 P7 | 1 plain | (checkpoint) | 2 P8 | 3 abort P7. */
function writeLog(storage: MemoryStorage): PartitionLog {
  sequences.clear();
  const log = open(storage);
  log.append(txnBatch(7, 'a'));
  log.append(plainBatch());
  log.checkpoint();
  log.append(txnBatch(8, 'b'));
  expect(log.lastStableOffset).toBe(0);
  expect(log.appendMarker(abort(7)).baseOffset).toBe(3);
  expect(log.lastStableOffset).toBe(2);
  return log;
}

describe('transaction state recovery', () => {
  it('comes back after a process crash, from the checkpoint and the batches after it', () => {
    const storage = new MemoryStorage();
    writeLog(storage);
    storage.crash({ unflushed: 'all' });
    const log = open(storage);
    expect(log.logEndOffset).toBe(4);
    expect(log.lastStableOffset).toBe(2);
    expect(log.transactions.openFirstOffset(8)).toBe(2);
    expect(log.transactions.openFirstOffset(7)).toBe(-1);
    expect(log.abortedTransactions(0, 10)).toEqual([{ producerId: 7, firstOffset: 0,
      lastOffset: 3 }]);
    expect(log.appendMarker(abort(8)).baseOffset).toBe(4);
    expect(log.abortedTransactions(0, 10).map((e) => e.producerId)).toEqual([7, 8]);
    expect(log.lastStableOffset).toBe(5);
    log.close();
  });

  it('is rebuilt from the whole log without a checkpoint or an index', () => {
    const storage = new MemoryStorage();
    writeLog(storage);
    storage.crash({ unflushed: 'all' });
    storage.unlink(`${dir}/${CHECKPOINT_FILE_NAME}`);
    storage.unlink(`${dir}/${ABORTED_INDEX_FILE_NAME}`);
    const log = open(storage);
    expect(log.recovery.checkpointProblem).toBe('no checkpoint');
    expect(log.lastStableOffset).toBe(2);
    expect(log.abortedTransactions(0, 10)).toEqual([{ producerId: 7, firstOffset: 0,
      lastOffset: 3 }]);
    log.close();
  });

  it('drops the entry of an abort marker a power cut took; the transaction is open again',
    () => {
      const storage = new MemoryStorage();
      sequences.clear();
      const log = open(storage);
      log.append(txnBatch(7, 'a'));
      log.append(plainBatch());
      log.flush();
      log.appendMarker(abort(7));
      expect(log.abortedTransactions(0, 10)).toHaveLength(1);
      storage.crash({ unflushed: 'none' });
      const reopened = open(storage);
      expect(reopened.logEndOffset).toBe(2);
      expect(reopened.abortedTransactions(0, 10)).toEqual([]);
      expect(reopened.lastStableOffset).toBe(0);
      // The coordinator writes the marker again.
      expect(reopened.appendMarker(abort(7)).baseOffset).toBe(2);
      expect(reopened.abortedTransactions(0, 10)).toEqual([{ producerId: 7, firstOffset: 0,
        lastOffset: 2 }]);
      reopened.close();
    });

  it('drops an abort from the index when retention removes its marker', () => {
    const storage = new MemoryStorage();
    sequences.clear();
    const options = { storage, segmentSizeBytes: 64 * 1024, retentionBytes: 128 * 1024,
      log: quiet };
    const log = PartitionLog.open(dir, options);
    log.append(txnBatch(7, 'a'));
    log.appendMarker(abort(7));
    const big = encodeBatch([{ value: Buffer.alloc(16 * 1024) }]);
    while (log.logStartOffset === 0) {
      log.append(big);
      log.applyRetention();
    }
    expect(log.abortedTransactions(0, log.logEndOffset)).toEqual([]);
    const file = storage.readFile(`${dir}/${ABORTED_INDEX_FILE_NAME}`)!;
    expect(decodeAbortedIndex(file).entries).toEqual([]);
    log.close();
  });
});
