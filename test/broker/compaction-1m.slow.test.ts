/**
 * Compaction through the broker on a key space of 10 k keys updated 1 M times: after
 * `broker.compact` the topic holds exactly the latest value per key at its offset, a consumer
 * from the beginning rebuilds the same table as before, the disk holds less, a seek into a gap
 * delivers the next record, and a restart recovers the cleaned log. (Slow: producing and reading
 * 1 M records twice takes 20 s on an idle 2-core machine, over a minute under load.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Broker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { diskBytes, keyCount, readTable, sendUpdates } from './compaction-helpers.js';

const updateCount = 1_000_000;

let broker: Broker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

describe('compaction of 1 M updates of 10 k keys', () => {
  it('keeps exactly the latest value of each of 10 k keys after 1 M updates', async () => {
    const dataDir = tempDir();
    broker = await Broker.open({ dataDir, actors: 1 });
    // A ratio of 1 keeps the periodic cleaner out of the way: the test cleans on demand.
    await broker.createTopic('table', { cleanupPolicy: 'compact', segmentBytes: 1 << 20,
      minCleanableDirtyRatio: 1 });
    await sendUpdates(broker, 'table', 0, updateCount);
    const before = await readTable(broker, 'table');
    expect(before.offsets.length).toBe(updateCount);
    expect(before.table.size).toBe(keyCount);
    const dir = path.join(dataDir, 'table-0');
    const diskBefore = diskBytes(dir);

    const [result] = await broker.compact('table');
    expect(result.recordsBefore).toBe(updateCount);
    expect(result.recordsAfter).toBe(keyCount);
    expect(result.bytesAfter).toBeLessThan(result.bytesBefore / 50);

    const after = await readTable(broker, 'table');
    expect(after.table).toEqual(before.table);
    // Exactly one record per key, each the key's last update, at the offset it was given.
    expect(after.offsets).toEqual(Array.from({ length: keyCount },
      (_, i) => updateCount - keyCount + i));
    expect(diskBytes(dir)).toBeLessThan(diskBefore / 2);

    // A seek into a gap delivers the next record; appends go on at the old log end.
    const fromGap = await readTable(broker, 'table', 12_345);
    expect(fromGap.offsets[0]).toBe(updateCount - keyCount);
    await sendUpdates(broker, 'table', updateCount, updateCount + 10);
    expect((await broker.describeTopic('table')).partitions[0].highWatermark)
      .toBe(updateCount + 10);

    // After a restart the cleaned log recovers as it was.
    await broker.close();
    broker = await Broker.open({ dataDir, actors: 1 });
    const reopened = await readTable(broker, 'table');
    expect(reopened.offsets.length).toBe(keyCount + 10);
    expect(reopened.table.get('k5')).toBe(`v${updateCount + 5}`);
    expect(reopened.table.get('k10')).toBe(after.table.get('k10'));
  }, 300_000);

});
