/**
 * The doorbell handshake never loses a wake-up (issue 15: the producer rings only an actor that
 * announced sleep). The actor reads its doorbell, stores `sleeping`, looks at its rings once
 * more and only then waits; the producer commits, then rings if `sleeping` is set. A frame
 * committed in the window between the actor's last pass and its `sleeping` store is seen by
 * that last look; without it the actor would wait out its park (100 ms) with the frame in the
 * ring, which the actor counts in `lostWakeups`.
 *
 * The supervisor's control messages take the same way: it counts each post in the worker's
 * control inbox and then rings, and the actor counts a pending command as work in that last
 * look (actors/control-inbox.ts).
 *
 * The stress: thousands of one-record batches (or control messages) with a small, seeded-random
 * number in flight and random pauses (none, a microtask, an event-loop turn), so commits land at
 * every point of the actor's way from its last pass to its park, on a real actor thread with
 * `idle: 'park'`.
 */
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { seededRandom } from '../segments/batch-builder.js';

const batchCount = 10_000;
const inFlightMax = 3;
const messageCount = 3000;

/**
 * Calls `start` `count` times with a seeded-random number (1 to `inFlightMax`) in flight and a
 * random pause after each (none, a microtask, an event-loop turn), then waits for all.
 */
async function stress(seed: number, count: number, start: (index: number) => Promise<unknown>):
  Promise<void> {
  const random = seededRandom(seed);
  const inFlight = new Set<Promise<unknown>>();
  for (let index = 0; index < count; index++) {
    const call = start(index);
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
    const limit = 1 + Math.floor(random() * inFlightMax);
    while (inFlight.size >= limit) await Promise.race(inFlight);
    const pause = random();
    if (pause < 0.3) await new Promise((resolve) => setImmediate(resolve));
    else if (pause < 0.6) await Promise.resolve();
  }
  await Promise.all(inFlight);
}

describe('doorbell handshake', () => {
  it('never leaves a parked actor asleep with a frame in its ring', async () => {
    const broker = await Broker.open({
      dataDir: tempDir(), actors: 1, idle: 'park', delayedDelivery: false,
    });
    try {
      await broker.createTopic('t', { partitions: 1 });
      const producer = broker.producer({ acks: 1, lingerMs: 0 });
      await stress(15, batchCount, (index) => producer.send('t', { value: `v${index}` }));
      await producer.close();
      const [stats] = await broker.stats();
      expect(stats!.partitions[0]!.logEndOffset).toBe(batchCount);
      // Concurrent sends may share a batch; most go one by one, each a park and a wake-up.
      expect(stats!.batchesAppended).toBeGreaterThan(batchCount / 2);
      expect(stats!.lostWakeups).toBe(0);
    } finally {
      await broker.close();
    }
  }, 120_000);

  it('never leaves a parked actor asleep with a control message posted to it', async () => {
    const broker = await Broker.open({
      dataDir: tempDir(), actors: 1, idle: 'park', delayedDelivery: false,
    });
    try {
      await broker.createTopic('t', { partitions: 1 });
      await stress(7, messageCount, () => broker.stats());
      const [stats] = await broker.stats();
      expect(stats!.lostWakeups).toBe(0);
    } finally {
      await broker.close();
    }
  }, 120_000);
});
