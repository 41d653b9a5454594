import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Broker, type PartitionFailedEvent } from '../../src/index.js';
import { readTopic } from '../helpers/log-contents.js';
import { tempDir } from '../helpers/temp-dir.js';

const partitions = 4;
const crashesPerMode = 8;

/** A steady produce load that records what was acknowledged, and can be waited on. */
function startLoad(broker: Broker, acks: 1 | 'all') {
  // Tiny batches: one record each, so every partition has many batches in flight.
  const producer = broker.producer({ acks, batchBytes: 64 });
  const acked: Array<{ partition: number; offset: number; value: string }> = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let stopped = false;
  let sequence = 0;
  // Several lanes keep several batches per partition in flight, so a crash leaves many of one
  // partition's batches appended but unreleased, all replayed by the restarted actor.
  const lane = async () => {
    while (!stopped) {
      const batch = Array.from({ length: 25 }, () => {
        const n = sequence++;
        return { key: `key-${n % 16}`, value: `${n}` };
      });
      const results = await producer.sendBatch('drill', batch);
      results.forEach((r, i) =>
        acked.push({ partition: r.partition, offset: r.offset, value: batch[i].value }));
      for (const w of waiters.filter((w) => acked.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const done = (async () => {
    await Promise.all([lane(), lane(), lane(), lane()]);
    await producer.flush();
  })();
  return {
    acked,
    untilAcked: (count: number) => new Promise<void>((resolve) => {
      if (acked.length >= count) resolve();
      else waiters.push({ count, resolve });
    }),
    stop: async () => {
      stopped = true;
      await done;
      return sequence;
    },
  };
}

describe('crash drills', () => {
  const modes = ['terminate', 'throw', 'exit'] as const;
  it.each(modes)('loses and duplicates nothing across %s crashes', async (mode) => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 2 });
    await broker.createTopic('drill', { partitions });
    const restarts: number[] = [];
    broker.on('actor-restart', (event: { downtimeMs: number }) => restarts.push(event.downtimeMs));
    const load = startLoad(broker, mode === 'throw' ? 'all' : 1);
    for (let crash = 0; crash < crashesPerMode; crash++) {
      await load.untilAcked(load.acked.length + 200);
      await broker.crashActor(crash % 2, mode);
    }
    await load.untilAcked(load.acked.length + 200);
    const sent = await load.stop();
    await broker.settled();
    await broker.close();

    expect(restarts.length).toBe(crashesPerMode);
    const stored = readTopic(dataDir, 'drill', partitions);
    // Every record sent (and every one acknowledged) is stored exactly once.
    const values = stored.map((r) => Number(r.value)).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: sent }, (_, i) => i));
    const at = new Map(stored.map((r) => [`${r.partition}:${r.offset}`, r.value]));
    for (const a of load.acked) expect(at.get(`${a.partition}:${a.offset}`)).toBe(a.value);
    // Order per key is kept, and offsets stay dense.
    for (let p = 0; p < partitions; p++) {
      const inPartition = stored.filter((r) => r.partition === p);
      expect(inPartition.map((r) => r.offset)).toEqual(inPartition.map((_, i) => i));
      const perKey = new Map<string, number[]>();
      for (const r of inPartition) {
        perKey.set(r.key!, [...(perKey.get(r.key!) ?? []), Number(r.value)]);
      }
      for (const seq of perKey.values()) expect(seq).toEqual([...seq].sort((a, b) => a - b));
    }
  });

  it('gives up an actor that crashes too often and fails its partitions clearly', async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({
      dataDir, actors: 1, restart: { backoffMsMin: 1, backoffMsMax: 5, maxPerMinute: 5 },
    });
    await broker.createTopic('storm', { partitions: 1 });
    let givenUp = false;
    const failed = new Promise((resolve) => broker.on('actor-failed', (event) => {
      givenUp = true;
      resolve(event);
    }));
    // Five restarts fit the minute; the sixth crash is the one the actor is given up for. Every
    // crash before that must succeed: a crash that fails early is a bug, not the end of the loop.
    for (let crash = 1; crash <= 6; crash++) {
      expect(givenUp, `given up before crash ${crash}`).toBe(false);
      await broker.crashActor(0, 'terminate');
    }
    await failed;
    await expect(broker.crashActor(0, 'terminate'))
      .rejects.toMatchObject({ code: 'PARTITION_FAILED' });
    await expect(broker.producer({ acks: 1 }).send('storm', { value: 'x' }))
      .rejects.toMatchObject({ code: 'PARTITION_FAILED' });
    await broker.close();
  });
});

describe('a partition that cannot recover', () => {
  it('fails alone when its log is corrupt at restart; its actor serves the rest', async () => {
    const dataDir = tempDir();
    const broker = await Broker.open({ dataDir, actors: 1 });
    await broker.createTopic('rot', { partitions: 2, segmentBytes: 64 * 1024, flush: 'batch' });
    const producer = broker.producer({ acks: 'all' });
    for (const partition of [0, 1]) {
      const messages = Array.from({ length: 20 }, (_, i) => ({ value: `v${i}`, partition }));
      await producer.sendBatch('rot', messages);
    }
    // Below the recovery point, damage cannot be a torn write: it must fail the partition.
    await broker.checkpoint();
    const fd = fs.openSync(path.join(dataDir, 'rot-0', '00000000000000000000.log'), 'r+');
    const byte = Buffer.alloc(1);
    fs.readSync(fd, byte, 0, 1, 100);
    byte[0] ^= 0x40; // bit rot inside the first batch, which is durable
    fs.writeSync(fd, byte, 0, 1, 100);
    fs.closeSync(fd);
    const failed = new Promise<PartitionFailedEvent>(
      (resolve) => broker.on('partition-failed', resolve));
    await broker.crashActor(0, 'terminate');
    const event = await failed;
    expect(event.partition).toBe(0);
    expect(event.error).toMatchObject({ code: 'CORRUPT_LOG' });
    await broker.settled();
    await expect(producer.send('rot', { value: 'x', partition: 0 }))
      .rejects.toMatchObject({ code: 'PARTITION_FAILED' });
    expect((await producer.send('rot', { value: 'y', partition: 1 })).offset).toBe(20);
    await broker.close();
  });
});
