/**
 * A background commit that fails is tried again: a group consumer processes the last records of
 * its partitions while the disk is full (a real one: a small tmpfs), so the commit after them
 * fails with DISK_FULL; once space is freed the group's committed offsets reach the log end
 * without a new record to trigger another commit, and the lag is zero. Without the retry the
 * offsets stayed where they were until the next record came (the crash test's drain saw it:
 * a lag of one batch that never went away).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Broker, MambaError } from '../../src/index.js';
import { canMountTmpfs, fill, useTmpfs } from '../helpers/tmpfs.js';
import { produce, waitUntil } from './helpers.js';

const MiB = 1 << 20;

const mountable = canMountTmpfs();
describe.skipIf(!mountable)(mountable ? 'auto-commit on a full disk (32 MiB tmpfs)' :
  'auto-commit on a full disk: SKIPPED, needs root on Linux and permission to mount tmpfs', () => {
  const mounted = useTmpfs('mamba-commit-full-', 'size=32m');

  it('tries a failed commit again until the committed offsets reach what was processed',
    async () => {
      const broker = await Broker.open({ dataDir: path.join(mounted(), 'data'), actors: 1 });
      const filler = path.join(mounted(), 'filler');
      try {
        await broker.createTopic('t', { partitions: 2, segmentBytes: MiB });
        await produce(broker, 't', 2, 200);
        const consumer = broker.consumer({ groupId: 'g', fromBeginning: true });
        await consumer.subscribe('t');
        let processed = 0;
        let gate: () => void = () => undefined;
        const opened = new Promise<void>((resolve) => { gate = resolve; });
        const running = consumer.run({
          eachMessage: async (message) => {
            if (message.offset === 0) await opened;
            processed++;
          },
        });
        // Full before the first record is processed: every commit after it fails.
        fill(filler);
        gate();
        await waitUntil(() => processed === 200);
        // Once processing stopped, at most the commit in flight and one queued after it can
        // fail; a third failure on a disk still full can only be a retry.
        for (let failures = 0; failures < 3; failures++) {
          await waitUntil(() => consumer.lastAutoCommitError !== undefined);
          expect(MambaError.is(consumer.lastAutoCommitError, 'DISK_FULL'),
            String(consumer.lastAutoCommitError)).toBe(true);
          consumer.lastAutoCommitError = undefined;
        }
        const committed = () => [0, 1].map((p) => broker.committedOffset('g', 't', p) ?? 0);
        expect(committed()).not.toEqual([100, 100]);

        // Room again, and no new record: the retries alone bring the offsets to the end.
        fs.rmSync(filler);
        await waitUntil(() => committed().every((offset) => offset === 100));
        expect(processed).toBe(200);
        await consumer.close();
        await running;
      } finally {
        fs.rmSync(filler, { force: true });
        await broker.close();
      }
    });
});
