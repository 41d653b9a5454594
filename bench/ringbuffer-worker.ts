/**
 * Worker side of bench/ringbuffer.ts: one role per worker (ring or postMessage, producer or
 * consumer), each reporting its own elapsed time.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { MpscRing, SpscRing, type RingCore, type RingHandle } from '../src/ringbuffer/index.js';

interface Job {
  role: 'ring-producer' | 'ring-consumer' | 'port-producer' | 'port-consumer'
    | 'ring-latency-producer' | 'port-latency-producer' | 'ring-latency-consumer';
  handles?: RingHandle[];
  port?: MessagePort;
  frames: number;
  payloadBytes: number;
  publishEvery?: number;
  gapMs?: number;
}

const job = workerData as Job;
const attach = (h: RingHandle): RingCore => (h.kind === 'spsc' ? SpscRing.attach(h)
  : MpscRing.attach(h));

function ringProducer(): void {
  const ring = attach(job.handles![0]);
  const source = new Uint8Array(job.payloadBytes).fill(7);
  const publishEvery = job.publishEvery ?? 1;
  for (let i = 0; i < job.frames; i++) {
    const claim = ring.claimBlocking(1, job.payloadBytes, 60_000);
    claim.bytes.set(source, claim.payloadOffset);
    if ((i + 1) % publishEvery === 0) ring.commit(claim);
    else ring.commitDeferred(claim);
  }
  ring.publish();
}

function ringConsumer(): number {
  const rings = job.handles!.map(attach);
  let received = 0;
  let checksum = 0;
  const onFrame = (_t: number, payload: Uint8Array): void => {
    checksum += payload[0];
  };
  while (received < job.frames) {
    let progress = 0;
    for (const ring of rings) {
      const n = ring.read(1024, onFrame);
      if (n > 0) ring.release();
      progress += n;
    }
    received += progress;
    // One ring: sleep on it. Several: a thread can sleep on only one word, so poll briefly.
    if (progress === 0) rings[0].waitForData(rings.length === 1 ? 60_000 : 0.05);
  }
  return checksum;
}

function portProducer(): void {
  const source = new Uint8Array(job.payloadBytes).fill(7);
  for (let i = 0; i < job.frames; i++) job.port!.postMessage(source);
}

async function portConsumer(): Promise<void> {
  let received = 0;
  await new Promise<void>((resolve) => {
    job.port!.on('message', () => {
      if (++received === job.frames) resolve();
    });
  });
  job.port!.close();
}

/** Sends one timestamped frame at a time, pausing so the consumer is asleep when it lands. */
function latencyProducer(viaRing: boolean): void {
  const ring = viaRing ? attach(job.handles![0]) : undefined;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < job.frames; i++) {
    Atomics.wait(pause, 0, 0, job.gapMs ?? 1);
    const sentAt = performance.timeOrigin + performance.now();
    if (ring !== undefined) {
      const claim = ring.claimBlocking(1, 8, 60_000);
      new DataView(claim.bytes.buffer, claim.payloadOffset, 8).setFloat64(0, sentAt, true);
      ring.commit(claim);
    } else {
      job.port!.postMessage(sentAt);
    }
  }
}

/** A worker that blocks in Atomics.wait, as a partition actor does; returns latencies in us. */
function latencyConsumer(): number[] {
  const ring = attach(job.handles![0]);
  const latenciesUs: number[] = [];
  while (latenciesUs.length < job.frames) {
    ring.waitForData(10_000);
    const nowMs = performance.timeOrigin + performance.now();
    ring.read(16, (_t, payload) => {
      const sentAt = new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0, true);
      latenciesUs.push((nowMs - sentAt) * 1000);
    });
    ring.release();
  }
  return latenciesUs;
}

async function main(): Promise<void> {
  const startMs = performance.now();
  let checksum = 0;
  let latenciesUs: number[] = [];
  switch (job.role) {
    case 'ring-latency-consumer': latenciesUs = latencyConsumer(); break;
    case 'ring-producer': ringProducer(); break;
    case 'ring-consumer': checksum = ringConsumer(); break;
    case 'port-producer': portProducer(); break;
    case 'port-consumer': await portConsumer(); break;
    case 'ring-latency-producer': latencyProducer(true); break;
    case 'port-latency-producer': latencyProducer(false); break;
  }
  parentPort!.postMessage({ elapsedMs: performance.now() - startMs, checksum, latenciesUs });
}

void main();
