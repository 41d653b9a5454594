import { describe, expect, it } from 'vitest';
import { MambaError } from '../../src/errors.js';
import {
  Claim, CLOSED, FULL, MpscRing, payloadBytesMax, SpscRing, type ClaimResult, type RingOptions,
} from '../../src/ringbuffer/index.js';
import {
  alignedFrameBytes, dataOffset, frameHeaderBytes, headSlotOffset, tailSlotOffset,
} from '../../src/ringbuffer/ring-layout.js';

type AnyRing = SpscRing | MpscRing;
const kinds = [
  { name: 'SpscRing', create: (c: number, o?: RingOptions): AnyRing => SpscRing.create(c, o) },
  { name: 'MpscRing', create: (c: number, o?: RingOptions): AnyRing => MpscRing.create(c, o) },
];

function claimed(result: ClaimResult): Claim {
  if (result === FULL || result === CLOSED) throw new Error(`unexpected ${String(result)}`);
  return result;
}

/** Moves the ring (empty) so that the next frame starts at data index `index`. */
function advanceTo(ring: AnyRing, index: number): void {
  const capacityBytes = ring.capacityBytes;
  const words = new Int32Array(ring.handle().buffer);
  for (;;) {
    const at = words[tailSlotOffset / 4] & (capacityBytes - 1);
    let gapBytes = (index - at + capacityBytes) & (capacityBytes - 1);
    if (gapBytes === 0) return;
    gapBytes = Math.min(gapBytes, capacityBytes / 2, capacityBytes - at);
    ring.commit(claimed(ring.tryClaim(1, gapBytes - frameHeaderBytes)));
    ring.read(10, () => {});
    ring.release();
  }
}

function readAll(ring: AnyRing): Array<{ type: number; bytes: number[]; flags: number }> {
  const frames: Array<{ type: number; bytes: number[]; flags: number }> = [];
  ring.read(1_000_000, (type, payload, flags) => frames.push({
    type, bytes: Array.from(payload), flags,
  }));
  return frames;
}

describe.each(kinds)('$name single-thread', ({ create }) => {
  it('carries every payload size at every wrap alignment, padding at the wrap', () => {
    const capacityBytes = 4096;
    const ring = create(capacityBytes);
    const maxPayload = payloadBytesMax(capacityBytes);
    let failures = 0;
    let frames = 0;
    let paddings = 0;
    for (let index = 0; index < capacityBytes; index += 8) {
      for (let size = 0; size <= maxPayload; size += index % 64 === 0 ? 1 : 61) {
        advanceTo(ring, index);
        const claim = claimed(ring.tryClaim(size & 0xff, size));
        if (claim.payload.length !== size) failures++;
        const pattern = (size * 7 + index) & 0xff;
        claim.payload.fill(pattern);
        claim.flags = index;
        ring.commit(claim);
        const frameBytes = alignedFrameBytes(frameHeaderBytes + size);
        if (frameBytes > capacityBytes - index) paddings++;
        let seen = 0;
        ring.read(4, (type, payload, flags) => {
          seen++;
          const start = payload.byteOffset - dataOffset - frameHeaderBytes;
          if (type !== (size & 0xff) || flags !== index || payload.length !== size) failures++;
          if (start % 8 !== 0 || start + frameBytes > capacityBytes) failures++;
          if (size > 0 && (payload[0] !== pattern || payload[size - 1] !== pattern)) failures++;
        });
        if (seen !== 1) failures++;
        ring.release();
        frames++;
      }
    }
    expect(failures).toBe(0);
    expect(frames).toBeGreaterThan(20_000);
    expect(paddings).toBeGreaterThan(1000);
    expect(ring.bytesFree).toBe(capacityBytes);
  });

  it('fills to exactly full, refuses more, and frees space only on release', () => {
    const ring = create(4096);
    expect(ring.read(10, () => {})).toBe(0);
    const claims: number[] = [];
    for (;;) {
      const result = ring.tryClaim(2, 56); // 64-byte frames tile the 4096 bytes exactly
      if (result === FULL) break;
      ring.commit(claimed(result));
      claims.push(1);
    }
    expect(claims.length).toBe(64);
    expect(ring.bytesFree).toBe(0);
    expect(ring.tryClaim(2, 0)).toBe(FULL);
    expect(ring.read(10, () => {})).toBe(10);
    expect(ring.tryClaim(2, 0)).toBe(FULL); // read is not release
    ring.release();
    expect(ring.bytesFree).toBe(640);
    expect(ring.read(1000, () => {})).toBe(54);
    expect(ring.read(1000, () => {})).toBe(0);
    ring.release();
    expect(ring.bytesFree).toBe(4096);
    expect(ring.bytesAvailable).toBe(0);
  });

  it('writes a padding frame when a frame does not fit before the end', () => {
    const ring = create(4096);
    ring.commit(claimed(ring.tryClaim(1, 4000 - 8 - 2048)));
    ring.commit(claimed(ring.tryClaim(1, 2048 - 8)));
    expect(readAll(ring).length).toBe(2);
    ring.release();
    // 96 bytes remain before the end; a 200-byte frame goes to index 0 behind 96 of padding.
    const claim = claimed(ring.tryClaim(3, 192));
    expect(claim.payload.byteOffset).toBe(dataOffset + frameHeaderBytes);
    ring.commit(claim);
    const frames = readAll(ring);
    expect(frames.map((f) => f.type)).toEqual([3]);
    expect(ring.bytesUnreleased).toBe(96 + 200);
  });

  it('publishes many deferred commits at once and skips aborted claims', () => {
    const ring = create(4096);
    const a = claimed(ring.tryClaim(1, 3));
    const b = claimed(ring.tryClaim(2, 5));
    a.payload.set([1, 2, 3]);
    b.payload.set([4, 5, 6, 7, 8]);
    ring.commitMany([a, b]);
    const c = claimed(ring.tryClaim(3, 1));
    ring.abort(c);
    const d = claimed(ring.tryClaim(4, 1));
    const e = claimed(ring.tryClaim(5, 1));
    ring.abort(d);
    e.payload[0] = 9;
    ring.commit(e);
    expect(readAll(ring)).toEqual([
      { type: 1, bytes: [1, 2, 3], flags: 0 },
      { type: 2, bytes: [4, 5, 6, 7, 8], flags: 0 },
      { type: 5, bytes: [9], flags: 0 },
    ]);
  });

  for (const startPosition of [-4096, 0x7fff_f000 | 0]) {
    it(`keeps frames intact while its 32-bit counters wrap (start ${startPosition})`, () => {
      const ring = create(4096, { initialPositionForTest: startPosition });
      const words = new Int32Array(ring.handle().buffer);
      let sent = 0;
      let received = 0;
      let failures = 0;
      let crossed = false;
      for (let round = 0; round < 40; round++) {
        for (;;) {
          const result = ring.tryClaim(1, (sent * 13) % 300);
          if (result === FULL) break;
          const claim = claimed(result);
          claim.payload.fill(sent & 0xff);
          claim.flags = sent & 0xffff;
          ring.commit(claim);
          sent++;
        }
        ring.read(1000, (_type, payload, flags) => {
          if (flags !== (received & 0xffff)) failures++;
          if (payload.length !== (received * 13) % 300) failures++;
          if (payload.length > 0 && payload[0] !== (received & 0xff)) failures++;
          received++;
        });
        ring.release();
        const tail = words[tailSlotOffset / 4];
        if (Math.sign(tail) !== Math.sign(startPosition) && tail !== 0) crossed = true;
        expect(ring.bytesFree).toBe(4096);
      }
      expect(crossed).toBe(true);
      expect(failures).toBe(0);
      expect(received).toBe(sent);
      expect(words[headSlotOffset / 4]).toBe(words[tailSlotOffset / 4]);
    });
  }

  it('closes: claims return CLOSED, published frames still drain, waits throw', () => {
    const ring = create(4096);
    ring.commit(claimed(ring.tryClaim(1, 10)));
    ring.close('shutting down');
    expect(ring.isClosed).toBe(true);
    expect(ring.closeReason).toBe('shutting down');
    expect(ring.tryClaim(1, 10)).toBe(CLOSED);
    expect(ring.waitForData(0)).toBe('ok');
    expect(ring.read(10, () => {})).toBe(1);
    ring.release();
    expect(() => ring.waitForData(10)).toThrow(/shutting down/);
    expect(() => ring.claimBlocking(1, 1, 10)).toThrowError(MambaError);
    try {
      ring.claimBlocking(1, 1, 10);
    } catch (error) {
      expect(MambaError.is(error, 'RING_CLOSED')).toBe(true);
    }
  });

  it('times out a blocking claim on a full ring with TIMEOUT', async () => {
    const ring = create(4096);
    for (let result = ring.tryClaim(1, 2000); result !== FULL; result = ring.tryClaim(1, 2000)) {
      ring.commit(claimed(result));
    }
    const error = await ring.claimAsync(1, 2000, 5).catch((e: unknown) => e);
    expect(MambaError.is(error, 'TIMEOUT')).toBe(true);
    expect(await ring.waitForDataAsync(1)).toBe('ok');
  });

  it('rejects bad sizes and handles with typed errors that name the value', () => {
    for (const bad of [0, 1000, 4097, 3 * 4096, 2 ** 29, 1.5]) {
      expect(() => create(bad)).toThrow(new RegExp(`capacityBytes .*got ${bad}\\)`));
    }
    try {
      create(5000);
    } catch (error) {
      expect(MambaError.is(error, 'INVALID_CONFIG')).toBe(true);
    }
    const ring = create(4096);
    let thrown: unknown;
    try {
      ring.tryClaim(1, 2041);
    } catch (error) {
      thrown = error;
    }
    expect(MambaError.is(thrown, 'FRAME_TOO_LARGE')).toBe(true);
    expect(String(thrown)).toMatch(/2041 bytes exceeds the 2040-byte limit/);
    expect(claimed(ring.tryClaim(1, 2040)).payloadBytes).toBe(2040);
  });
});

describe('attach', () => {
  it('refuses a handle of the other kind and re-reads unreleased frames after attach', () => {
    const spsc = SpscRing.create(4096);
    expect(() => MpscRing.attach(spsc.handle())).toThrow(/handle.kind/);
    for (let i = 0; i < 5; i++) {
      const claim = claimed(spsc.tryClaim(i, 1));
      claim.payload[0] = i;
      spsc.commit(claim);
    }
    spsc.read(2, () => {});
    spsc.release();
    spsc.read(2, () => {}); // read, never released: the next consumer must see them again
    const next = SpscRing.attach(structuredClone(spsc.handle()));
    expect(readAll(next).map((f) => f.bytes[0])).toEqual([2, 3, 4]);
  });
});

describe('MpscRing claims', () => {
  it('interleaves producers: a frame waits for the earlier uncommitted claim', () => {
    const ring = MpscRing.create(4096);
    const other = MpscRing.attach(ring.handle());
    const first = claimed(ring.tryClaim(1, 4));
    const second = claimed(other.tryClaim(2, 4));
    other.commit(second);
    expect(ring.read(10, () => {})).toBe(0);
    ring.commit(first);
    expect(readAll(ring).map((f) => f.type)).toEqual([1, 2]);
  });

  it('turns a claim abandoned with a negative length into padding after the timeout', () => {
    const ring = MpscRing.create(4096, { abandonedClaimTimeoutMs: 20 });
    claimed(ring.tryClaim(1, 100)); // its producer "dies" here
    ring.commit(claimed(ring.tryClaim(2, 4)));
    expect(ring.read(10, () => {})).toBe(0);
    expect(ring.waitForData(10_000)).toBe('ok'); // wakes once the claim is presumed dead
    expect(readAll(ring).map((f) => f.type)).toEqual([2]);
    ring.release();
    expect(ring.bytesFree).toBe(4096);
  });

  it('pads over a claim whose producer died before writing any header', () => {
    const ring = MpscRing.create(4096, { abandonedClaimTimeoutMs: 20 });
    const dead = claimed(ring.tryClaim(1, 100));
    new Int32Array(ring.handle().buffer)[dead.frameOffset / 4] = 0; // died before the store
    ring.commit(claimed(ring.tryClaim(2, 4)));
    expect(ring.waitForData(10_000)).toBe('ok');
    expect(readAll(ring).map((f) => f.type)).toEqual([2]);
  });
});
