/**
 * An idle partition writes no checkpoint (issue 15: an idle broker wrote and fsync'd one file per
 * partition per second). Two partitions on one actor: records keep going to partition 0, whose
 * checkpoint is replaced (a new inode: written and renamed) at each interval; partition 1's,
 * written once for its one record, stays the same file meanwhile.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

function inodeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

describe('periodic checkpoints', () => {
  it('skip a partition with nothing new since its last checkpoint', async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 1, delayedDelivery: false });
    try {
      await broker.createTopic('t', { partitions: 2 });
      // acks 'all': the record is durable when acknowledged, so every checkpoint partition 1
      // gets after this records the same state (with acks 1, the one after the next flush).
      const durable = broker.producer({ acks: 'all' });
      await durable.send('t', { partition: 1, value: 'once' });
      await durable.close();
      const producer = broker.producer({ acks: 1 });
      const busy = path.join(dataDir, 't-0', 'checkpoint');
      const idle = path.join(dataDir, 't-1', 'checkpoint');
      // Partition 1's checkpoint with its record in it: written by the first interval after the
      // send, which is over once partition 0's checkpoint has been replaced twice.
      let idleInode: number | undefined;
      let busyInodes = new Set<number>();
      const deadline = Date.now() + 60_000;
      for (let i = 0; ; i++) {
        await producer.send('t', { partition: 0, value: `v${i}` });
        const inode = inodeOf(busy);
        if (inode !== undefined) busyInodes.add(inode);
        if (idleInode === undefined && busyInodes.size >= 2) {
          // Two busy checkpoints seen: the interval that recorded partition 1's record is past.
          idleInode = inodeOf(idle);
          expect(idleInode).toBeDefined();
          busyInodes = new Set(inode === undefined ? [] : [inode]);
        }
        if (idleInode !== undefined && busyInodes.size >= 4) break;
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Three more busy checkpoints were written; the idle partition's file was not replaced.
      expect(inodeOf(idle)).toBe(idleInode);
      await producer.close();
    } finally {
      await broker.close();
    }
  });
});
