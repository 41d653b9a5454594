/**
 * `npm run bench -- consume`: the read path.
 *
 * 1. Throughput: `--records` (10 M) records of `--size` (100) bytes already in the log, read
 *    by one consumer on the main thread: `run({ eachBatch })`, `run({ eachMessage })` and
 *    the async iterator, each touching every record's value. In the same run, the baseline: a
 *    worker sending the same number of records to the main thread by batched `postMessage`
 *    (100 and 1000 records per message), the receiver walking every record. Targets: ≥ 10 M
 *    records/s and ≥ 5× the baseline. Also eachBatch with `checkCrcs: false`, for what the
 *    consumer's CRC check costs (the ratio is printed).
 * 2. Latency: produce → consumer callback at `--rate` (100 k) messages/s with acks 1, paced
 *    on the main thread, the consumer on the same thread; p50/p99/p99.9 from the bench's HDR
 *    recorder. Targets: p50 ≤ 100 µs, p99 ≤ 1 ms.
 *
 * 3. Filters (issue 13): the same records with a `type` header, 1 % of them 'keep', read by
 *    `eachMessage` unfiltered and with a filter keeping the 1 % (header conditions, and the
 *    same as a SQL expression), in records scanned per second. Target: filtered ≥ 2× unfiltered.
 *
 * Options: --records N  --size BYTES  --rate PER_SECOND  --latency-seconds S  --dir PATH
 *          --only-filter (just part 3)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Broker, type ConsumedMessage, type Consumer } from '../src/index.js';
import { workerUrl } from '../src/worker-url.js';
import { nowNs } from './harness/clock.js';
import { LatencyRecorder } from './harness/latency-recorder.js';
import type { BaselineWorkerData } from './consume-baseline-worker.js';

interface Options {
  records: number;
  sizeBytes: number;
  rate: number;
  latencySeconds: number;
  dir: string | undefined;
  onlyFilter: boolean;
}

/** Printed by the dispatcher for `mamba bench consume --help`. */
export const help = `usage: mamba bench consume [options]
  --records 10000000      records to fill the log with and read back
  --size 100              bytes of each record's value
  --rate 100000           records/s of the paced latency pass
  --latency-seconds 5     length of the latency pass
  --dir DIR               where the temporary data directory goes (default: the OS's)
  --only-filter           run only the filter comparison (part 3)`;

function parse(args: string[]): Options {
  const value = (name: string, fallback: number): number => {
    const index = args.indexOf(name);
    if (index < 0) return fallback;
    const parsed = Number(args[index + 1]);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${name} takes a number`);
    return parsed;
  };
  const dirIndex = args.indexOf('--dir');
  return {
    records: value('--records', 10_000_000),
    sizeBytes: value('--size', 100),
    rate: value('--rate', 100_000),
    latencySeconds: value('--latency-seconds', 5),
    dir: dirIndex < 0 ? undefined : args[dirIndex + 1],
    onlyFilter: args.includes('--only-filter'),
  };
}

async function fill(broker: Broker, options: Options): Promise<void> {
  await broker.createTopic('bench', { partitions: 1, segmentBytes: 256 * 1024 * 1024 });
  const producer = broker.producer({ acks: 1, idempotent: false, batchBytes: 512 * 1024 });
  const value = new Uint8Array(options.sizeBytes).fill(0x61);
  const chunk = Array.from({ length: 5000 }, () => ({ value }));
  const pending: Promise<unknown>[] = [];
  for (let sent = 0; sent < options.records; sent += chunk.length) {
    pending.push(producer.sendBatch('bench',
      chunk.slice(0, Math.min(chunk.length, options.records - sent))));
    if (pending.length >= 16) await pending.shift();
  }
  await Promise.all(pending);
  await producer.close();
}

/** Reads every record once; returns records per second. */
async function readAll(broker: Broker, count: number,
  mode: 'eachBatch' | 'eachMessage' | 'iterator', checkCrcs = true): Promise<number> {
  const consumer: Consumer = broker.consumer({ fromBeginning: true, checkCrcs });
  await consumer.subscribe('bench');
  let seen = 0;
  let bytes = 0;
  const startNs = nowNs();
  if (mode === 'iterator') {
    for await (const m of consumer) {
      bytes += m.value!.byteLength;
      if (++seen === count) break;
    }
  } else {
    const done = (): void => { if (seen === count) void consumer.close(); };
    await consumer.run(mode === 'eachBatch'
      ? { eachBatch: (batch) => {
        const messages: readonly ConsumedMessage[] = batch.messages;
        for (let i = 0; i < messages.length; i++) bytes += messages[i].value!.byteLength;
        seen += messages.length;
        done();
      } }
      : { eachMessage: (m) => { bytes += m.value!.byteLength; seen++; done(); } });
  }
  const seconds = (nowNs() - startNs) / 1e9;
  await consumer.close();
  if (seen !== count || bytes === 0) throw new Error(`read ${seen} of ${count} records`);
  return count / seconds;
}

/** Records with a `type` header, every 100th (and the last) 'keep', the others 'drop'. */
async function fillHeadered(broker: Broker, options: Options): Promise<void> {
  await broker.createTopic('bench-filter', { partitions: 1, segmentBytes: 256 * 1024 * 1024 });
  const producer = broker.producer({ acks: 1, idempotent: false, batchBytes: 512 * 1024 });
  const value = new Uint8Array(options.sizeBytes).fill(0x61);
  const keep = new TextEncoder().encode('keep');
  const drop = new TextEncoder().encode('drop');
  const pending: Promise<unknown>[] = [];
  for (let sent = 0; sent < options.records; sent += 5000) {
    const count = Math.min(5000, options.records - sent);
    pending.push(producer.sendBatch('bench-filter', Array.from({ length: count }, (_, i) => {
      const index = sent + i;
      const kept = index % 100 === 0 || index === options.records - 1;
      return { value, headers: { type: kept ? keep : drop } };
    })));
    if (pending.length >= 16) await pending.shift();
  }
  await Promise.all(pending);
  await producer.close();
}

/** eachMessage over 'bench-filter', with or without a filter; records scanned per second. */
async function readFiltered(broker: Broker, count: number, filter: unknown): Promise<number> {
  const consumer: Consumer = broker.consumer({ fromBeginning: true });
  await consumer.subscribe('bench-filter', filter === undefined ? undefined
    : { filter: filter as never });
  let handled = 0;
  let bytes = 0;
  const startNs = nowNs();
  await consumer.run({ eachMessage: (m) => {
    bytes += m.value!.byteLength;
    handled++;
    if (m.offset === count - 1) void consumer.close();
  } });
  const seconds = (nowNs() - startNs) / 1e9;
  await consumer.close();
  const expected = filter === undefined ? count : Math.ceil(count / 100) +
    ((count - 1) % 100 === 0 ? 0 : 1);
  if (handled !== expected || bytes === 0) throw new Error(`handled ${handled} of ${expected}`);
  return count / seconds;
}

/** Part 3: a filter keeping 1 % against unfiltered eachMessage, alternated, best of 2. */
async function filterComparison(broker: Broker, options: Options): Promise<void> {
  await fillHeadered(broker, options);
  const conditions = { headers: { type: 'keep' } };
  const expression = "type = 'keep'";
  await readFiltered(broker, options.records, undefined); // warm-up
  const rates = { none: [] as number[], conditions: [] as number[], expression: [] as number[] };
  for (let round = 0; round < 2; round++) {
    rates.none.push(await readFiltered(broker, options.records, undefined));
    rates.conditions.push(await readFiltered(broker, options.records, conditions));
    rates.expression.push(await readFiltered(broker, options.records, expression));
  }
  const none = Math.max(...rates.none);
  console.log('filters: eachMessage over records with a type header, 1 % kept (best of 2):');
  console.log(`  unfiltered                     ${millions(none).padStart(12)}`);
  for (const [name, list] of [['{ headers: { type: \'keep\' } }', rates.conditions],
    [`"${expression}"`, rates.expression]] as const) {
    const rate = Math.max(...list);
    console.log(`  ${name.padEnd(30)} ${millions(rate).padStart(12)}   ` +
      `${(rate / none).toFixed(2)}× unfiltered (records scanned/s)`);
  }
}

/** The baseline: the same records from a worker by batched postMessage. */
async function baseline(options: Options, recordsPerMessage: number): Promise<number> {
  const data: BaselineWorkerData = {
    recordCount: options.records, recordSizeBytes: options.sizeBytes, recordsPerMessage,
    inFlightMessagesMax: 64,
  };
  const worker = new Worker(workerUrl('./consume-baseline-worker.js', import.meta.url),
    { workerData: data });
  await new Promise((resolve) => worker.once('online', resolve));
  let seen = 0;
  let bytes = 0;
  const startNs = nowNs();
  await new Promise<void>((resolve) => {
    worker.on('message', (message: Uint8Array) => {
      const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
      let position = 0;
      while (position < message.byteLength) {
        const length = view.getUint32(position, true);
        bytes += new Uint8Array(message.buffer, message.byteOffset + position + 4, length)
          .byteLength;
        position += 4 + length;
        seen++;
      }
      worker.postMessage(1);
      if (seen >= options.records) resolve();
    });
    worker.postMessage(0);
  });
  const seconds = (nowNs() - startNs) / 1e9;
  await worker.terminate();
  if (bytes === 0) throw new Error('baseline read nothing');
  return seen / seconds;
}

/** Produce → eachMessage latency at a paced rate, acks 1, on one thread. */
/** Produce → eachMessage latency, and produce → acknowledgement (the write path alone). */
async function latency(broker: Broker, options: Options):
Promise<{ recorder: LatencyRecorder; acks: LatencyRecorder }> {
  await broker.createTopic('latency', { partitions: 1, segmentBytes: 64 * 1024 * 1024 });
  const producer = broker.producer({ acks: 1, idempotent: false });
  const consumer = broker.consumer({ groupId: 'latency', autoCommit: false });
  await consumer.subscribe('latency');
  const recorder = new LatencyRecorder();
  const acks = new LatencyRecorder();
  const total = Math.round(options.rate * options.latencySeconds);
  const warmup = Math.min(total / 5, options.rate);
  let received = 0;
  const running = consumer.run({
    eachMessage: (m) => {
      const sentNs = new DataView(m.value!.buffer, m.value!.byteOffset, 8).getFloat64(0, true);
      if (received++ === warmup) {
        recorder.reset();
        acks.reset();
      }
      recorder.recordNs(nowNs() - sentNs);
      if (received === total) void consumer.close();
    },
  });
  const startNs = nowNs();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((nowNs() - startNs) / 1e9) * options.rate));
    for (; sent < due; sent++) {
      const value = new Uint8Array(options.sizeBytes);
      const sentNs = nowNs();
      new DataView(value.buffer).setFloat64(0, sentNs, true);
      void producer.send('latency', { value }).then(() => acks.recordNs(nowNs() - sentNs));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await running;
  await producer.close();
  return { recorder, acks };
}

function millions(rate: number): string {
  return `${(rate / 1e6).toFixed(2)} M/s`;
}

export async function run(args: string[]): Promise<void> {
  const options = parse(args);
  const dataDir = fs.mkdtempSync(path.join(options.dir ?? os.tmpdir(), 'mamba-consume-'));
  const broker = await Broker.open({ dataDir, actors: 1 });
  try {
    console.log(`consume: ${options.records} records of ${options.sizeBytes} B, one consumer`);
    if (options.onlyFilter) {
      await filterComparison(broker, options);
      return;
    }
    const fillStartNs = nowNs();
    await fill(broker, options);
    console.log(`filled the log in ${((nowNs() - fillStartNs) / 1e9).toFixed(1)} s`);
    const rows: Array<[string, number]> = [];
    // Warm-up: one unmeasured pass (JIT, page cache), as the baseline gets below.
    await readAll(broker, options.records, 'eachBatch');
    await baseline(options, 1000);
    for (const mode of ['eachBatch', 'eachMessage', 'iterator'] as const) {
      rows.push([`mamba consumer, ${mode}`, await readAll(broker, options.records, mode)]);
    }
    // What checking each batch's CRC32C costs: the same read with the check off and on,
    // alternated (a pass right after another kind of work runs slower on this machine).
    const onRates: number[] = [];
    const offRates: number[] = [];
    for (let round = 0; round < 2; round++) {
      offRates.push(await readAll(broker, options.records, 'eachBatch', false));
      onRates.push(await readAll(broker, options.records, 'eachBatch', true));
    }
    const unchecked = Math.max(...offRates);
    const checked = Math.max(...onRates);
    rows.push(['mamba consumer, eachBatch, checkCrcs off', unchecked]);
    rows.push(['mamba consumer, eachBatch, checkCrcs on', checked]);
    console.log(`checkCrcs on / off (eachBatch, best of 2 alternated): ` +
      `${(checked / unchecked).toFixed(2)}`);
    const base100 = await baseline(options, 100);
    const base1000 = await baseline(options, 1000);
    rows.push(['baseline: postMessage, 100 records/msg', base100]);
    rows.push(['baseline: postMessage, 1000 records/msg', base1000]);
    const best = Math.max(base100, base1000);
    for (const [name, rate] of rows) {
      console.log(`${name.padEnd(42)} ${millions(rate).padStart(12)}   ` +
        `${(rate / best).toFixed(2)}× best baseline`);
    }
    const { recorder, acks } = await latency(broker, options);
    const line = (name: string, r: LatencyRecorder): void => {
      const s = r.summary();
      console.log(`${name} (${s.count}): p50 ${s.p50Us.toFixed(1)} µs  p99 ${s.p99Us.toFixed(1)}` +
        ` µs  p99.9 ${s.p999Us.toFixed(1)} µs  max ${s.maxUs.toFixed(1)} µs`);
    };
    console.log(`latency at ${options.rate} msgs/s, acks 1, producer and consumer on one thread:`);
    line('  produce → eachMessage         ', recorder);
    line('  produce → ack (write path)    ', acks);
    const ratio = recorder.summary().p50Us / Math.max(acks.summary().p50Us, 1e-3);
    console.log(`  consumer p50 / ack p50: ${ratio.toFixed(2)}×`);
    await filterComparison(broker, options);
  } finally {
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
