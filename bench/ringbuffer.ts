/**
 * `npm run bench -- ringbuffer`: the ring buffers against worker `postMessage`, side by side in
 * one run (issue 3): 100-byte frames, 16 KiB frames, wake-up latency, and many producers into
 * one many-to-one ring versus one one-to-one ring per producer.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { MpscRing, SpscRing, type RingHandle } from '../src/ringbuffer/index.js';
import { workerUrl } from '../src/worker-url.js';
import { MiB } from '../src/constants.js';

const scale = Number(process.env.MAMBA_BENCH_SCALE ?? 1);

function startWorker(data: Record<string, unknown>, transfer: never[] = []): Promise<{
  elapsedMs: number; latenciesUs: number[];
}> {
  const worker = new Worker(workerUrl('./ringbuffer-worker.js', import.meta.url),
    { workerData: data, transferList: transfer });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { elapsedMs: number; latenciesUs: number[] }) => {
      void worker.terminate();
      resolve(m);
    });
    worker.once('error', reject);
  });
}

/** Wall time from the first worker start until every worker finished, in seconds. */
async function timed(jobs: Array<() => Promise<unknown>>): Promise<number> {
  const startMs = performance.now();
  await Promise.all(jobs.map((job) => job()));
  return (performance.now() - startMs) / 1000;
}

async function ringThroughput(kind: 'spsc' | 'mpsc', frames: number, payloadBytes: number,
  publishEvery: number, capacityBytes: number): Promise<number> {
  const handle = (kind === 'spsc' ? SpscRing : MpscRing).create(capacityBytes).handle();
  const common = { handles: [handle], frames, payloadBytes, publishEvery };
  return timed([
    () => startWorker({ ...common, role: 'ring-consumer' }),
    () => startWorker({ ...common, role: 'ring-producer' }),
  ]);
}

async function portThroughput(frames: number, payloadBytes: number): Promise<number> {
  const { port1, port2 } = new MessageChannel();
  return timed([
    () => startWorker({ role: 'port-consumer', port: port2, frames, payloadBytes },
      [port2 as never]),
    () => startWorker({ role: 'port-producer', port: port1, frames, payloadBytes },
      [port1 as never]),
  ]);
}

function line(label: string, frames: number, payloadBytes: number, seconds: number): number {
  const framesPerSecond = frames / seconds;
  const gigabytesPerSecond = (frames * payloadBytes) / seconds / 1e9;
  console.log(`  ${label.padEnd(52)} ${(framesPerSecond / 1e6).toFixed(2).padStart(7)} M frames/s`
    + `  ${gigabytesPerSecond.toFixed(2).padStart(6)} GB/s`);
  return framesPerSecond;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Receiver on this (main) thread: the broker's supervisor and clients wait with waitAsync. */
async function latency(viaRing: boolean, samples: number): Promise<number[]> {
  const latenciesUs: number[] = [];
  if (viaRing) {
    const ring = SpscRing.create(64 * 1024);
    const done = startWorker({ role: 'ring-latency-producer', handles: [ring.handle()],
      frames: samples, payloadBytes: 8 });
    while (latenciesUs.length < samples) {
      await ring.waitForDataAsync(10_000);
      const nowMs = performance.timeOrigin + performance.now();
      ring.read(16, (_t, payload) => {
        const sentAt = new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0, true);
        latenciesUs.push((nowMs - sentAt) * 1000);
      });
      ring.release();
    }
    await done;
  } else {
    const { port1, port2 } = new MessageChannel();
    const done = startWorker({ role: 'port-latency-producer', port: port1, frames: samples,
      payloadBytes: 8 }, [port1 as never]);
    await new Promise<void>((resolve) => {
      port2.on('message', (sentAt: number) => {
        latenciesUs.push((performance.timeOrigin + performance.now() - sentAt) * 1000);
        if (latenciesUs.length === samples) resolve();
      });
    });
    port2.close();
    await done;
  }
  return latenciesUs.sort((a, b) => a - b);
}

async function manyProducers(producers: number, frames: number): Promise<[number, number]> {
  const perProducer = Math.floor(frames / producers);
  const mpsc = MpscRing.create(4 * MiB).handle();
  const mpscSeconds = await timed([
    () => startWorker({ role: 'ring-consumer', handles: [mpsc], frames: perProducer * producers,
      payloadBytes: 100 }),
    ...Array.from({ length: producers }, () => () => startWorker({ role: 'ring-producer',
      handles: [mpsc], frames: perProducer, payloadBytes: 100, publishEvery: 64 })),
  ]);
  const rings: RingHandle[] = Array.from({ length: producers },
    () => SpscRing.create(4 * MiB).handle());
  const spscSeconds = await timed([
    () => startWorker({ role: 'ring-consumer', handles: rings, frames: perProducer * producers,
      payloadBytes: 100 }),
    ...rings.map((handle) => () => startWorker({ role: 'ring-producer', handles: [handle],
      frames: perProducer, payloadBytes: 100, publishEvery: 64 })),
  ]);
  return [perProducer * producers / mpscSeconds, perProducer * producers / spscSeconds];
}

export async function run(): Promise<void> {
  const small = Math.round(5_000_000 * scale);
  const smallPort = Math.round(500_000 * scale);
  console.log(`ringbuffer: 100-byte frames, one worker to another (${small} ring frames)`);
  const portSmall = line('postMessage, one message per frame (baseline)', smallPort, 100,
    await portThroughput(smallPort, 100));
  const spscSmall = line('SpscRing, commit per frame', small, 100,
    await ringThroughput('spsc', small, 100, 1, 4 * MiB));
  const spscBatched = line('SpscRing, one publish per 64 frames', small, 100,
    await ringThroughput('spsc', small, 100, 64, 4 * MiB));
  const mpscSmall = line('MpscRing, commit per frame', small, 100,
    await ringThroughput('mpsc', small, 100, 1, 4 * MiB));
  console.log(`  ratios vs postMessage: spsc ${(spscSmall / portSmall).toFixed(1)}x, ` +
    `spsc batched ${(spscBatched / portSmall).toFixed(1)}x, ` +
    `mpsc ${(mpscSmall / portSmall).toFixed(1)}x  (target >= 10x, >= 8 M frames/s)`);

  const big = Math.round(200_000 * scale);
  const bigBytes = 16 * 1024;
  console.log(`ringbuffer: 16 KiB frames (${big} frames)`);
  const portBig = line('postMessage of the same 16 KiB buffers (baseline)', big, bigBytes,
    await portThroughput(big, bigBytes));
  const spscBig = line('SpscRing', big, bigBytes,
    await ringThroughput('spsc', big, bigBytes, 1, 16 * MiB));
  const mpscBig = line('MpscRing (consumer zeroes what it releases)', big, bigBytes,
    await ringThroughput('mpsc', big, bigBytes, 1, 16 * MiB));
  console.log(`  ratios vs postMessage: spsc ${(spscBig / portBig).toFixed(1)}x, ` +
    `mpsc ${(mpscBig / portBig).toFixed(1)}x  (target >= 2x, >= 3 GB/s)`);

  const samples = Math.round(2000 * Math.min(scale, 1));
  console.log(`ringbuffer: wake-up latency of one frame to a main-thread waiter (${samples})`);
  const portLatency = await latency(false, samples);
  const ringLatency = await latency(true, samples);
  const workerRing = SpscRing.create(64 * 1024).handle();
  const [blocked] = await Promise.all([
    startWorker({ role: 'ring-latency-consumer', handles: [workerRing], frames: samples }),
    startWorker({ role: 'ring-latency-producer', handles: [workerRing], frames: samples,
      payloadBytes: 8 }),
  ]);
  const workerLatency = blocked.latenciesUs.sort((a, b) => a - b);
  for (const [label, sorted] of [['postMessage to main thread (baseline)', portLatency],
    ['SpscRing, main thread in waitForDataAsync', ringLatency],
    ['SpscRing, worker blocked in waitForData', workerLatency]] as const) {
    console.log(`  ${label.padEnd(52)} p50 ${percentile(sorted, 0.5).toFixed(1)} us` +
      `  p99 ${percentile(sorted, 0.99).toFixed(1)} us`);
  }
  console.log(`  ratio p50 postMessage / ring: main ${(percentile(portLatency, 0.5) /
    percentile(ringLatency, 0.5)).toFixed(1)}x, worker ${(percentile(portLatency, 0.5) /
    percentile(workerLatency, 0.5)).toFixed(1)}x  (target p50 <= 10 us, p99 <= 50 us)`);

  const producers = 3;
  console.log(`ringbuffer: ${producers} producer threads, 100-byte frames, publish per 64`);
  const [mpscRate, spscRate] = await manyProducers(producers, small);
  console.log(`  one MpscRing shared by all producers              ${(mpscRate / 1e6)
    .toFixed(2)} M frames/s`);
  console.log(`  one SpscRing per producer, drained in turn        ${(spscRate / 1e6)
    .toFixed(2)} M frames/s`);
  console.log(`  ratio mpsc / spsc-per-producer: ${(mpscRate / spscRate).toFixed(2)}x`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await run();
}
