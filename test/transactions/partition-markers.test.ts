/**
 * Issue 16, the partition side: transactional batches open a transaction at their first
 * offset, markers (control batches) close it, the last stable offset in the control block
 * holds at the earliest open transaction, aborts land in the durable aborted index, older
 * epochs are fenced, and all of it survives an actor crash and a broker restart.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { readAbortedTransactions } from '../../src/segments/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { TxnSender, highWatermark, lastStableOffset } from './helpers.js';

async function openBroker(dataDir = tempDir()): Promise<Broker> {
  const broker = await Broker.open({ dataDir, actors: 1, delayedDelivery: false });
  if (!broker.listTopics().includes('t')) await broker.createTopic('t', { partitions: 2 });
  return broker;
}

describe('transaction markers on a partition', () => {
  it('holds the LSO at an open transaction and moves it with commit and abort markers',
    async () => {
      const broker = await openBroker();
      const dir = path.join(broker.dataDir, 't-0');
      const plain = broker.producer({ acks: 'all' });
      await plain.send('t', { value: 'plain', partition: 0 });
      expect(lastStableOffset(broker, 't', 0)).toBe(1);

      const a = new TxnSender(broker, 1001);
      expect(await a.send('t', 0, ['a1', 'a2'])).toBe(1);
      await plain.send('t', { value: 'plain', partition: 0 });
      expect(highWatermark(broker, 't', 0)).toBe(4);
      expect(lastStableOffset(broker, 't', 0)).toBe(1);
      // The other partition of the topic is not held.
      await plain.send('t', { value: 'other', partition: 1 });
      expect(lastStableOffset(broker, 't', 1)).toBe(1);

      expect(await a.marker('t', 0, true)).toEqual({ offset: 4 });
      expect(lastStableOffset(broker, 't', 0)).toBe(5);
      expect(highWatermark(broker, 't', 0)).toBe(5);
      expect(readAbortedTransactions(dir, 0, 100)).toEqual([]);

      const b = new TxnSender(broker, 1002);
      expect(await b.send('t', 0, ['b1'])).toBe(5);
      expect(await a.send('t', 0, ['a3'])).toBe(6);
      expect(lastStableOffset(broker, 't', 0)).toBe(5);
      expect(await b.marker('t', 0, false)).toEqual({ offset: 7 });
      // a's second transaction (from 6) still holds it.
      expect(lastStableOffset(broker, 't', 0)).toBe(6);
      expect(await a.marker('t', 0, false)).toEqual({ offset: 8 });
      expect(lastStableOffset(broker, 't', 0)).toBe(9);
      expect(readAbortedTransactions(dir, 0, 100)).toEqual([
        { producerId: 1002, firstOffset: 5, lastOffset: 7 },
        { producerId: 1001, firstOffset: 6, lastOffset: 8 },
      ]);
      // Only the entries overlapping the range.
      expect(readAbortedTransactions(dir, 8, 100).map((e) => e.producerId)).toEqual([1001]);
      expect(readAbortedTransactions(dir, 0, 6).map((e) => e.producerId)).toEqual([1002]);
      expect(readAbortedTransactions(path.join(broker.dataDir, 't-1'), 0, 100)).toEqual([]);

      // A marker with no open transaction (a coordinator re-sending) is written, records nothing.
      expect(await b.marker('t', 0, false)).toEqual({ offset: 9 });
      expect(readAbortedTransactions(dir, 0, 100)).toHaveLength(2);
      expect(lastStableOffset(broker, 't', 0)).toBe(10);
      await broker.close();
    });

  it('fences an older epoch after a newer marker, and refuses unknown partitions', async () => {
    const broker = await openBroker();
    const old = new TxnSender(broker, 2001);
    await old.send('t', 1, ['x']);
    const fresh = new TxnSender(broker, 2001);
    fresh.bumpEpoch();
    // The coordinator aborts the old epoch's transaction with the new epoch.
    await fresh.marker('t', 1, false);
    expect(readAbortedTransactions(path.join(broker.dataDir, 't-1'), 0, 10)).toEqual([
      { producerId: 2001, firstOffset: 0, lastOffset: 1 },
    ]);
    await expect(old.send('t', 1, ['late'])).rejects.toMatchObject({ code: 'PRODUCER_FENCED' });
    await expect(old.marker('t', 1, true)).rejects.toMatchObject({ code: 'PRODUCER_FENCED' });
    // The new epoch starts its sequence at 0 and goes on.
    expect(await fresh.send('t', 1, ['new'])).toBe(2);
    expect(lastStableOffset(broker, 't', 1)).toBe(2);
    await fresh.marker('t', 1, true);
    expect(lastStableOffset(broker, 't', 1)).toBe(4);
    await expect(fresh.marker('t', 7, true)).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC' });
    await broker.close();
  });

  it('keeps open transactions through an actor crash and a broker restart', async () => {
    const dataDir = tempDir();
    let broker = await openBroker(dataDir);
    const dir = path.join(dataDir, 't-0');
    const plain = broker.producer({ acks: 'all' });
    const early = new TxnSender(broker, 3001);
    const late = new TxnSender(broker, 3002);
    await plain.send('t', { value: 'p', partition: 0 });
    expect(await early.send('t', 0, ['e1'])).toBe(1);
    // A checkpoint records `early` open; `late` opens after it (found by the recovery hop).
    await broker.checkpoint();
    expect(await late.send('t', 0, ['l1', 'l2'])).toBe(2);
    await plain.send('t', { value: 'p', partition: 0 });
    expect(lastStableOffset(broker, 't', 0)).toBe(1);

    await broker.crashActor(0, 'exit');
    // Sent while the actor is restarting: writeTxnMarker waits for it.
    expect(await early.marker('t', 0, true)).toEqual({ offset: 5 });
    await broker.settled();
    expect(highWatermark(broker, 't', 0)).toBe(6);
    // `late` (the checkpoint's state, or the recovery hop after it) still holds the LSO.
    expect(lastStableOffset(broker, 't', 0)).toBe(2);

    await broker.close();
    broker = await openBroker(dataDir);
    expect(lastStableOffset(broker, 't', 0)).toBe(2);
    const reopened = new TxnSender(broker, 3002);
    expect(await reopened.marker('t', 0, false)).toEqual({ offset: 6 });
    expect(lastStableOffset(broker, 't', 0)).toBe(7);
    expect(readAbortedTransactions(dir, 0, 100)).toEqual([
      { producerId: 3002, firstOffset: 2, lastOffset: 6 },
    ]);
    await broker.close();
  });
});
