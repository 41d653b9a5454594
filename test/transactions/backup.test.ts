/**
 * Issue 16: a backup carries the aborted-transaction index, so a restored broker's
 * read_committed readers still skip what was aborted before the checkpoint (which recovery's
 * hop after the checkpoint could not find again).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Broker, restoreBackup } from '../../src/index.js';
import { readAbortedTransactions } from '../../src/segments/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { TxnSender } from './helpers.js';

describe('backup and transactions', () => {
  it('restores the aborted index', async () => {
    const sourceDir = tempDir();
    const backupDir = path.join(tempDir(), 'backup');
    const restoredDir = path.join(tempDir(), 'restored');
    const broker = await Broker.open({ dataDir: sourceDir, actors: 1, delayedDelivery: false });
    try {
      await broker.createTopic('t', { partitions: 1 });
      const a = new TxnSender(broker, 4001);
      await a.send('t', 0, ['aborted']);
      await a.marker('t', 0, false);
      // The checkpoint now holds the state after the abort: only the index remembers it.
      await broker.checkpoint();
      await broker.producer({ acks: 'all' }).send('t', { value: 'after', partition: 0 });
      await broker.backup(backupDir);
    } finally {
      await broker.close();
    }
    await restoreBackup(backupDir, restoredDir);
    const reopened = await Broker.open({ dataDir: restoredDir, actors: 1,
      delayedDelivery: false });
    try {
      expect(readAbortedTransactions(path.join(restoredDir, 't-0'), 0, 10)).toEqual([
        { producerId: 4001, firstOffset: 0, lastOffset: 1 },
      ]);
      const consumer = reopened.consumer({ fromBeginning: true });
      await consumer.subscribe('t');
      for await (const m of consumer) {
        expect([m.offset, m.value!.toString()]).toEqual([2, 'after']);
        break;
      }
      await consumer.close();
    } finally {
      await reopened.close();
    }
  });
});
