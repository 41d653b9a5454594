/**
 * A peer that dies or closes never leaves the other side stuck: a terminated consumer's
 * unreleased frames are read again by the next one (invariant 2), a terminated producer's claim
 * becomes padding, and close wakes every waiter on both sides with RING_CLOSED.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MambaError } from '../../src/errors.js';
import { Claim, FULL, MpscRing, SpscRing } from '../../src/ringbuffer/index.js';
import { RoleWorker } from './worker-harness.js';

const started: RoleWorker[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((worker) => worker.terminate()));
});
function start(data: Record<string, unknown>): RoleWorker {
  const worker = new RoleWorker(data);
  started.push(worker);
  return worker;
}

const kinds = [
  { name: 'SpscRing', create: () => SpscRing.create(64 * 1024), attach: SpscRing.attach },
  { name: 'MpscRing', create: () => MpscRing.create(64 * 1024), attach: MpscRing.attach },
] as const;

describe.each(kinds)('$name crash and close', ({ create, attach }) => {
  it('a consumer terminated mid-batch: the next one reads every unreleased frame in order',
    async () => {
      const ring = create();
      for (let i = 0; i < 200; i++) {
        const claim = ring.tryClaim(1, 1 + (i % 50)) as Claim;
        claim.payload[0] = i;
        ring.commit(claim);
      }
      const consumer = start({
        role: 'consume-then-hang', handle: ring.handle(), releaseFrames: 20, holdFrames: 30,
      });
      const { held } = await consumer.next('held');
      expect(held).toEqual(Array.from({ length: 30 }, (_, i) => 20 + i));
      await consumer.terminate();
      const next = attach(ring.handle() as never);
      const seen: number[] = [];
      next.read(1000, (_type, payload) => seen.push(payload[0]));
      expect(seen).toEqual(Array.from({ length: 180 }, (_, i) => 20 + i));
    });

  it('close wakes a worker blocked in waitForData with RING_CLOSED', async () => {
    const ring = create();
    const waiter = start({ role: 'wait-data', handle: ring.handle(), timeoutMs: 30_000 });
    await waiter.next('waiting');
    ring.close('broker stopping');
    expect(await waiter.done()).toMatchObject({ error: 'RING_CLOSED' });
  });

  it('close wakes a worker blocked in claimBlocking on a full ring with RING_CLOSED',
    async () => {
      const ring = create();
      const waiter = start({ role: 'wait-claim', handle: ring.handle(), timeoutMs: 30_000 });
      await waiter.next('waiting');
      ring.close();
      expect(await waiter.done()).toMatchObject({ error: 'RING_CLOSED' });
    });

  it('a worker closing wakes main-thread async waiters on both sides', async () => {
    const ring = create();
    const producer = attach(ring.handle() as never);
    for (let r = producer.tryClaim(1, 1000); r !== FULL; r = producer.tryClaim(1, 1000)) {
      producer.commit(r as Claim);
    }
    const consumerRing = create();
    const claimWait = producer.claimAsync(1, 1000, 30_000).catch((e: unknown) => e);
    const dataWait = consumerRing.waitForDataAsync(30_000).catch((e: unknown) => e);
    await start({ role: 'close', handle: ring.handle(), reason: 'actor gone' }).done();
    await start({ role: 'close', handle: consumerRing.handle(), reason: 'actor gone' }).done();
    const [claimError, dataError] = await Promise.all([claimWait, dataWait]);
    expect(MambaError.is(claimError, 'RING_CLOSED')).toBe(true);
    expect(MambaError.is(dataError, 'RING_CLOSED')).toBe(true);
    expect(String(claimError)).toMatch(/actor gone/);
  });
});

describe('MpscRing producer crash', () => {
  it('a producer terminated after claiming: its claim becomes padding after the timeout',
    async () => {
      const ring = MpscRing.create(64 * 1024, { abandonedClaimTimeoutMs: 100 });
      const producer = start({ role: 'claim-then-hang', handle: ring.handle() });
      await producer.next('claimed');
      await producer.terminate();
      for (let i = 0; i < 3; i++) {
        const claim = ring.tryClaim(2, 1) as Claim;
        claim.payload[0] = i;
        ring.commit(claim);
      }
      const seen: number[] = [];
      while (seen.length < 3) {
        expect(await ring.waitForDataAsync(10_000)).toBe('ok');
        ring.read(10, (type, payload) => seen.push(type * 100 + payload[0]));
      }
      expect(seen).toEqual([200, 201, 202]);
    });
});
