/**
 * An idle broker does not rewrite the delay service's checkpoint (issue 15: a file write and
 * two fsyncs a second were most of an idle broker's CPU). The test watches the checkpoint file
 * over three checkpoint intervals after a delayed message was delivered: while nothing changes
 * it keeps its inode (a rewrite is a new file renamed over it); a new delayed message, once
 * delivered, changes what the checkpoint records, and the file is replaced.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { delayedCheckpointIntervalMs } from '../../src/constants.js';
import { checkpointPath } from '../../src/delay/delay-checkpoint.js';
import { tempDir } from '../helpers/temp-dir.js';

function inodeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

async function delivered(broker: Broker, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((broker.delayStats()?.deliveredCount ?? 0) < count) {
    expect(Date.now()).toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the checkpoint holds the state after `delivered` (its file stops changing). */
async function settledInode(file: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  let last = inodeOf(file);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, delayedCheckpointIntervalMs * 2));
    const now = inodeOf(file);
    if (now !== undefined && now === last) return now;
    last = now;
    expect(Date.now()).toBeLessThan(deadline);
  }
}

describe('the delay checkpoint of an idle broker', () => {
  it('is not rewritten while nothing changes, and is once something does', async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 1 });
    try {
      await broker.createTopic('t', { partitions: 1 });
      const producer = broker.producer({ acks: 'all' });
      await producer.send('t', { value: 'a', delayMs: 10 });
      await delivered(broker, 1);
      const file = checkpointPath(dataDir);
      const idle = await settledInode(file);
      // Three more intervals with nothing new: the same file.
      await new Promise((resolve) => setTimeout(resolve, delayedCheckpointIntervalMs * 3));
      expect(inodeOf(file)).toBe(idle);
      await producer.send('t', { value: 'b', delayMs: 10 });
      await delivered(broker, 2);
      const deadline = Date.now() + 30_000;
      while (inodeOf(file) === idle) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await producer.close();
    } finally {
      await broker.close();
    }
  });
});
