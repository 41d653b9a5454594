// Test-only worker: plays one role against a ring attached from its handle, and reports back.
import { parentPort, workerData } from 'node:worker_threads';
import { FULL, MpscRing, SpscRing } from '../../../dist/src/ringbuffer/index.js';
import { checksumOf, fillFrame, frameSizeOf, prng } from './frame-pattern.mjs';

const { role, handle } = workerData;
const ring = handle.kind === 'spsc' ? SpscRing.attach(handle) : MpscRing.attach(handle);
const frameType = 7;

function errorCode(error) {
  return error && typeof error === 'object' && 'code' in error ? error.code : String(error);
}

/** Sends `frames` frames: [producerId u32][sequence u32][checksum u32][pattern…]. */
async function produce({ producerId, frames, seed, mode, maxPayloadBytes }) {
  const random = prng(seed);
  const deferredMax = 1 + Math.floor(prng(seed ^ 0xdef)() * 16);
  let deferred = 0;
  for (let sequence = 0; sequence < frames; sequence++) {
    const size = frameSizeOf(random, maxPayloadBytes);
    const claim = mode === 'async'
      ? await ring.claimAsync(frameType, size, 30_000)
      : ring.claimBlocking(frameType, size, 30_000);
    fillFrame(claim.bytes, claim.payloadOffset, size, producerId, sequence);
    claim.flags = producerId;
    ring.commitDeferred(claim);
    if (++deferred >= deferredMax) {
      ring.publish();
      deferred = 0;
    }
  }
  ring.publish();
  return { sent: frames };
}

/** Receives frames from `producers` producers and checks order, size and checksum. */
async function consume({ producers, framesPerProducer, seeds, mode, maxPayloadBytes }) {
  const expected = new Array(producers).fill(0);
  const randoms = seeds.map((seed) => prng(seed));
  let received = 0;
  let errors = 0;
  let firstError = '';
  let timeouts = 0;
  const total = producers * framesPerProducer;
  const onFrame = (type, payload, flags) => {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
    const producerId = view.getUint32(0, true);
    const sequence = view.getUint32(4, true);
    const fail = (what) => {
      errors++;
      if (firstError === '') firstError = `${what} p${producerId} seq ${sequence}`;
    };
    if (type !== frameType || flags !== producerId) fail('type/flags');
    if (sequence !== expected[producerId]) fail(`order (expected ${expected[producerId]})`);
    expected[producerId] = sequence + 1;
    if (payload.length !== frameSizeOf(randoms[producerId], maxPayloadBytes)) fail('size');
    if (view.getUint32(8, true) !== checksumOf(payload)) fail('checksum');
    received++;
  };
  while (received < total) {
    if (ring.read(1024, onFrame) > 0) {
      ring.release();
      continue;
    }
    const outcome = mode === 'async'
      ? await ring.waitForDataAsync(20_000)
      : ring.waitForData(20_000);
    if (outcome === 'timed-out') timeouts++;
    if (timeouts > 0) break;
  }
  return { received, errors, firstError, timeouts };
}

/** Ping-pong: every round, each side sleeps; a lost wake-up shows as a timed-out wait. */
function pong({ rounds, replyHandle }) {
  const reply = SpscRing.attach(replyHandle);
  let timeouts = 0;
  for (let round = 0; round < rounds; round++) {
    let value = -1;
    while (ring.read(1, (_t, payload) => { value = payload[0]; }) === 0) {
      if (ring.waitForData(10_000) === 'timed-out') timeouts++;
    }
    ring.release();
    const claim = reply.claimBlocking(1, 1, 10_000);
    claim.payload[0] = value;
    reply.commit(claim);
  }
  return { timeouts };
}

async function run() {
  switch (role) {
    case 'producer': return produce(workerData);
    case 'consumer': return consume(workerData);
    case 'pong': return pong(workerData);
    case 'consume-then-hang': {
      // Releases `releaseFrames`, reads `holdFrames` more without releasing, then hangs.
      ring.read(workerData.releaseFrames, () => {});
      ring.release();
      const held = [];
      ring.read(workerData.holdFrames, (_t, payload) => held.push(payload[0]));
      parentPort.postMessage({ held });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      return {};
    }
    case 'claim-then-hang': {
      ring.tryClaim(frameType, 64);
      parentPort.postMessage({ claimed: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      return {};
    }
    case 'wait-data': {
      parentPort.postMessage({ waiting: true });
      try {
        return { outcome: ring.waitForData(workerData.timeoutMs) };
      } catch (error) {
        return { error: errorCode(error) };
      }
    }
    case 'wait-claim': {
      while (ring.tryClaim(frameType, 1000) !== FULL) { /* fill it up without committing */ }
      parentPort.postMessage({ waiting: true });
      try {
        ring.claimBlocking(frameType, 1000, workerData.timeoutMs);
        return { outcome: 'claimed' };
      } catch (error) {
        return { error: errorCode(error) };
      }
    }
    case 'close': {
      ring.close(workerData.reason);
      return { closed: true };
    }
    default: throw new Error(`unknown role ${role}`);
  }
}

run().then((result) => parentPort.postMessage({ done: true, ...result }),
  (error) => parentPort.postMessage({
    done: true, error: errorCode(error), message: String(error),
  }));
