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

/** Mulberry32: a small seeded PRNG, so a failing run can be repeated. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const batchCount = 10_000;
const inFlightMax = 3;
const messageCount = 3000;

describe('doorbell handshake', () => {
  it('never leaves a parked actor asleep with a frame in its ring', async () => {
    const broker = await Broker.open({
      dataDir: tempDir(), actors: 1, idle: 'park', delayedDelivery: false,
    });
    try {
      await broker.createTopic('t', { partitions: 1 });
      const producer = broker.producer({ acks: 1, lingerMs: 0 });
      const random = prng(15);
      const inFlight = new Set<Promise<unknown>>();
      for (let index = 0; index < batchCount; index++) {
        const sent = producer.send('t', { value: `v${index}` });
        inFlight.add(sent);
        void sent.finally(() => inFlight.delete(sent));
        const limit = 1 + Math.floor(random() * inFlightMax);
        while (inFlight.size >= limit) await Promise.race(inFlight);
        const pause = random();
        if (pause < 0.3) await new Promise((resolve) => setImmediate(resolve));
        else if (pause < 0.6) await Promise.resolve();
      }
      await Promise.all(inFlight);
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
      const random = prng(7);
      const inFlight = new Set<Promise<unknown>>();
      for (let index = 0; index < messageCount; index++) {
        const answered = broker.stats();
        inFlight.add(answered);
        void answered.finally(() => inFlight.delete(answered));
        const limit = 1 + Math.floor(random() * inFlightMax);
        while (inFlight.size >= limit) await Promise.race(inFlight);
        const pause = random();
        if (pause < 0.3) await new Promise((resolve) => setImmediate(resolve));
        else if (pause < 0.6) await Promise.resolve();
      }
      await Promise.all(inFlight);
      const [stats] = await broker.stats();
      expect(stats!.lostWakeups).toBe(0);
    } finally {
      await broker.close();
    }
  }, 120_000);
});
