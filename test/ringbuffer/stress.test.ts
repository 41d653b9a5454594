/**
 * Cross-worker stress: seeded frame sizes, a per-frame sequence number and checksum, zero lost,
 * duplicated or reordered frames per producer, in both waiting modes (Atomics.wait in workers,
 * Atomics.waitAsync on the main thread). The frame count defaults to what keeps this folder
 * well under two minutes on a 2-core machine (2.5 M per case, 10 M over the four cases);
 * MAMBA_STRESS_FRAMES=10000000 runs the full 10 M frames in every case.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MpscRing, SpscRing, type RingHandle } from '../../src/ringbuffer/index.js';
import { RoleWorker } from './worker-harness.js';
// @ts-expect-error: a test-only .mjs helper shared with the workers, without types
import { checksumOf, frameSizeOf, prng } from './workers/frame-pattern.mjs';

const totalFrames = Number(process.env.MAMBA_STRESS_FRAMES ?? 2_500_000);
const maxPayloadBytes = 4096;
const started: RoleWorker[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((worker) => worker.terminate()));
});

function start(data: Record<string, unknown>): RoleWorker {
  const worker = new RoleWorker(data);
  started.push(worker);
  return worker;
}

interface StressCase {
  name: string;
  kind: 'spsc' | 'mpsc';
  producers: number;
  producerMode: 'blocking' | 'async';
  consumerOnMain: boolean;
}

const cases: StressCase[] = [
  { name: 'SPSC, worker to worker, both blocking (Atomics.wait)', kind: 'spsc', producers: 1,
    producerMode: 'blocking', consumerOnMain: false },
  { name: 'SPSC, worker producer awaiting claimAsync, consumer on main awaiting waitAsync',
    kind: 'spsc', producers: 1, producerMode: 'async', consumerOnMain: true },
  { name: 'MPSC, 3 producer workers blocking, consumer worker blocking', kind: 'mpsc',
    producers: 3, producerMode: 'blocking', consumerOnMain: false },
  { name: 'MPSC, 2 producer workers async, consumer on main async', kind: 'mpsc', producers: 2,
    producerMode: 'async', consumerOnMain: true },
];

/** The same verification as the worker consumer, run on the main thread with waitAsync. */
async function consumeOnMain(handle: RingHandle, producers: number, framesPerProducer: number,
  seeds: number[]): Promise<Record<string, unknown>> {
  const ring = handle.kind === 'spsc' ? SpscRing.attach(handle) : MpscRing.attach(handle);
  const expected = new Array<number>(producers).fill(0);
  const randoms = seeds.map((seed) => prng(seed) as () => number);
  let received = 0;
  let errors = 0;
  let timeouts = 0;
  const onFrame = (_type: number, payload: Uint8Array, flags: number): void => {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
    const producerId = view.getUint32(0, true);
    const sequence = view.getUint32(4, true);
    if (flags !== producerId || sequence !== expected[producerId]) errors++;
    expected[producerId] = sequence + 1;
    if (payload.length !== frameSizeOf(randoms[producerId], maxPayloadBytes)) errors++;
    if (view.getUint32(8, true) !== checksumOf(payload)) errors++;
    received++;
  };
  while (received < producers * framesPerProducer && timeouts === 0) {
    if (ring.read(1024, onFrame) > 0) {
      ring.release();
      continue;
    }
    if (await ring.waitForDataAsync(20_000) === 'timed-out') timeouts++;
  }
  return { received, errors, timeouts, firstError: '' };
}

describe(`ring stress (${totalFrames} frames per case, MAMBA_STRESS_FRAMES)`, () => {
  for (const c of cases) {
    it(c.name, async () => {
      const handle = c.kind === 'spsc'
        ? SpscRing.create(64 * 1024).handle()
        : MpscRing.create(64 * 1024).handle();
      const framesPerProducer = Math.ceil(totalFrames / c.producers);
      const seeds = Array.from({ length: c.producers }, (_, i) => 0x5eed + i * 7919);
      const common = { handle, maxPayloadBytes, mode: c.producerMode };
      const producers = seeds.map((seed, producerId) => start({
        ...common, role: 'producer', producerId, frames: framesPerProducer, seed,
      }));
      const result = c.consumerOnMain
        ? await consumeOnMain(handle, c.producers, framesPerProducer, seeds)
        : await start({
          handle, maxPayloadBytes, role: 'consumer', producers: c.producers,
          framesPerProducer, seeds, mode: 'blocking',
        }).done();
      const sent = await Promise.all(producers.map((p) => p.done()));
      expect(sent.map((s) => s.error)).toEqual(sent.map(() => undefined));
      expect(result).toMatchObject({
        received: framesPerProducer * c.producers, errors: 0, timeouts: 0, firstError: '',
      });
    });
  }

  it('loses no wake-up: 20 000 ping-pong rounds where both sides sleep every round', async () => {
    const ping = SpscRing.create(4096);
    const pongRing = SpscRing.create(4096);
    const rounds = 20_000;
    const worker = start({
      role: 'pong', handle: ping.handle(), replyHandle: pongRing.handle(), rounds,
    });
    let timeouts = 0;
    let mismatches = 0;
    for (let round = 0; round < rounds; round++) {
      const claim = await ping.claimAsync(1, 1, 10_000);
      claim.payload[0] = round & 0xff;
      ping.commit(claim);
      let echoed = -1;
      while (pongRing.read(1, (_t, payload) => { echoed = payload[0]; }) === 0) {
        if (await pongRing.waitForDataAsync(10_000) === 'timed-out') timeouts++;
      }
      pongRing.release();
      if (echoed !== (round & 0xff)) mismatches++;
    }
    const result = await worker.done();
    expect({ timeouts, mismatches, workerTimeouts: result.timeouts })
      .toEqual({ timeouts: 0, mismatches: 0, workerTimeouts: 0 });
  });
});
