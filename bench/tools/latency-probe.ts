/**
 * The timestamps of latency-breakdown.ts, loaded into every thread with `--import` (Mamba's
 * workers keep `--import`, worker-exec-argv.ts). It wraps, without changing them, the methods
 * a message passes through and records `[kind, timeNs, value]` triples in a SharedArrayBuffer
 * per thread, read by the main thread after the run. Times are `process.hrtime` (one monotonic
 * clock for every thread of the process, as the bench's send stamps).
 *
 * Main thread: the doorbell rung (ControlBlock.ringActor), the consumer woken
 * (ConsumerFetcher.wake), a poll that found a chunk, each message delivered to the sink.
 * Actor thread: a blocking wait returned, a drain pass begun, a batch appended, offsets
 * published, an ack written.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';

export const ProbeEvent = {
  RING: 1, CONSUMER_WAKE: 2, POLL_CHUNK: 3, DELIVERED: 4,
  WAIT_RETURN: 10, DRAIN_BEGIN: 11, APPENDED: 12, PUBLISHED: 13, ACK_WRITTEN: 14,
  WAIT_BEGIN: 15,
  /** Value: the duration in ns; recorded at the end. */
  CHECKPOINT: 16, GC: 17,
} as const;

const channelName = 'mamba-latency-probe';
const eventsMax = 1 << 20;
/** Word 0 counts the events; triples follow. */
function createLog(): Float64Array {
  return new Float64Array(new SharedArrayBuffer((1 + 3 * eventsMax) * 8));
}

const log = createLog();

function now(): number {
  return Number(process.hrtime.bigint());
}

function record(kind: number, timeNs: number, value: number): void {
  const count = log[0]!;
  if (count >= eventsMax) return;
  const at = 1 + 3 * count;
  log[at] = kind;
  log[at + 1] = timeNs;
  log[at + 2] = value;
  log[0] = count + 1;
}

/** Every thread's log, by thread id: filled on the main thread as workers announce theirs. */
export const threadLogs = new Map<number, Float64Array>([[threadId, log]]);

/** Garbage collections of this thread, as [end time, duration]. */
function observeGc(): void {
  const offsetNs = now() - performance.now() * 1e6;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      record(ProbeEvent.GC, offsetNs + (entry.startTime + entry.duration) * 1e6,
        entry.duration * 1e6);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}

type Method = (this: unknown, ...args: unknown[]) => unknown;
function wrap(prototype: object, name: string,
  around: (original: Method) => Method): void {
  const target = prototype as Record<string, Method>;
  const original = target[name];
  if (typeof original !== 'function') throw new Error(`latency probe: no method ${name}`);
  target[name] = around(original);
}

async function probeMainThread(): Promise<void> {
  const channel = new BroadcastChannel(channelName);
  channel.onmessage = (event) => {
    const { id, buffer } = (event as MessageEvent).data as { id: number; buffer: Float64Array };
    threadLogs.set(id, buffer);
  };
  (channel as unknown as { unref(): void }).unref();
  observeGc();
  const shm = await import('../../src/shm/control-block.js');
  wrap(shm.ControlBlock.prototype, 'ringActor', (original) => function (this: unknown,
    ...args: unknown[]) {
    const block = this as InstanceType<typeof shm.ControlBlock>;
    const sleeping = Atomics.load(block.i32,
      block.actorWord(args[0] as number, shm.ACTOR_SLEEPING));
    record(ProbeEvent.RING, now(), sleeping);
    return original.apply(this, args);
  });
  const fetcher = await import('../../src/client/consumer-fetcher.js');
  wrap(fetcher.ConsumerFetcher.prototype, 'wake', (original) => function (this: unknown,
    ...args: unknown[]) {
    record(ProbeEvent.CONSUMER_WAKE, now(), 0);
    return original.apply(this, args);
  });
  wrap(fetcher.ConsumerFetcher.prototype, 'poll', (original) => function (this: unknown,
    ...args: unknown[]) {
    const chunk = original.apply(this, args) as { fromOffset: number } | undefined;
    if (chunk !== undefined) record(ProbeEvent.POLL_CHUNK, now(), chunk.fromOffset);
    return chunk;
  });
  const measurement = await import('../harness/measurement.js');
  const { readStampNs } = await import('../harness/message-batch.js');
  wrap(measurement.Measurement.prototype, 'receivedValues', (original) => function (
    this: unknown, ...args: unknown[]) {
    const values = args[0] as ArrayLike<Uint8Array>;
    const timeNs = now();
    for (let index = 0; index < values.length; index++) {
      record(ProbeEvent.DELIVERED, timeNs, readStampNs(values[index]!));
    }
    return original.apply(this, args);
  });
}

async function probeWorker(): Promise<void> {
  const actor = await import('../../src/actors/partition-actor.js');
  const shm = await import('../../src/shm/control-block.js');
  const wait = Atomics.wait as (array: Int32Array, index: number, value: number,
    timeoutMs?: number) => string;
  (Atomics as unknown as { wait: typeof wait }).wait = (array, index, value, timeoutMs) => {
    record(ProbeEvent.WAIT_BEGIN, now(), 0);
    const result = wait(array, index, value, timeoutMs);
    record(ProbeEvent.WAIT_RETURN, now(), result === 'ok' ? 0 : result === 'timed-out' ? 1 : 2);
    return result;
  };
  const prototype = actor.PartitionActor.prototype;
  observeGc();
  wrap(prototype, 'checkpointAll', (original) => function (this: unknown, ...args: unknown[]) {
    const startNs = now();
    try {
      return original.apply(this, args);
    } finally {
      record(ProbeEvent.CHECKPOINT, now(), now() - startNs);
    }
  });
  wrap(prototype, 'drainPass', (original) => function (this: unknown, ...args: unknown[]) {
    record(ProbeEvent.DRAIN_BEGIN, now(), 0);
    return original.apply(this, args);
  });
  wrap(prototype, 'process', (original) => function (this: unknown, ...args: unknown[]) {
    const ack = original.apply(this, args) as { baseOffset: number };
    record(ProbeEvent.APPENDED, now(), ack.baseOffset);
    return ack;
  });
  wrap(prototype, 'writeAck', (original) => function (this: unknown, ...args: unknown[]) {
    const written = original.apply(this, args);
    record(ProbeEvent.ACK_WRITTEN, now(), (args[1] as { baseOffset: number }).baseOffset);
    return written;
  });
  wrap(shm.ControlBlock.prototype, 'publishOffsets', (original) => function (this: unknown,
    ...args: unknown[]) {
    const result = original.apply(this, args);
    record(ProbeEvent.PUBLISHED, now(), args[1] as number);
    return result;
  });
  const channel = new BroadcastChannel(channelName);
  channel.postMessage({ id: threadId, buffer: log });
  channel.close();
}

await (isMainThread ? probeMainThread() : probeWorker());
