/**
 * Deleting a partition while its next segment is still being prepared in the background.
 * `deleteTopic` closes the log and then removes its directory; a preparation still running
 * created its file after the close, into the directory being removed (`ENOTEMPTY`, or a stray
 * file). The actor now waits for the preparation before it closes a log it deletes.
 */
import fs from 'node:fs';
import nodePath from 'node:path';
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import {
  MemoryStorage, PartitionLog, PREPARED_SUFFIX,
} from '../../src/segments/index.js';
import { buildBatch, payloadFor } from './batch-builder.js';
import { quiet } from './log-harness.js';
import { tempDir } from '../helpers/temp-dir.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const prepared = (names: string[]) => names.filter((name) => name.endsWith(PREPARED_SUFFIX));

describe('deleting a log while the next segment is prepared', () => {
  it('waits for the preparation, so no file appears after the close', async () => {
    // The background job finishes only when the test completes it.
    const storage = new MemoryStorage({ prepareCompletesAtOnce: false });
    // The default prepareAtFraction of 0: the first append starts the preparation.
    const log = PartitionLog.open('/d/t-0', { storage, segmentSizeBytes: 64 * KiB, log: quiet });
    log.append(buildBatch({ recordCount: 1, payload: payloadFor(1, 100) }));
    let settled = false;
    const settling = log.preparationSettled().then(() => { settled = true; });
    await Promise.resolve();
    expect(settled).toBe(false);
    storage.completePreparations();
    await settling;
    log.close();
    expect(prepared(storage.list('/d/t-0'))).toEqual([]);
  });

  it('deleteTopic right after the first append removes the topic whole', async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 1 });
    try {
      for (let round = 0; round < 3; round++) {
        // A large segment makes the background zero-fill (and its fsync) take a while.
        await broker.createTopic('t', { partitions: 1, segmentBytes: 128 * MiB });
        await broker.producer({ acks: 1 }).send('t', { value: 'x' });
        await broker.deleteTopic('t');
        expect(fs.existsSync(nodePath.join(dataDir, 't-0'))).toBe(false);
      }
    } finally {
      await broker.close();
    }
  });
});
