/**
 * `mamba demo` (what `npm start` runs): an embedded broker on ./data. It creates a topic,
 * produces and consumes with a consumer group for about ten seconds, crashes a partition actor
 * halfway, and prints what happened: throughput, the crash, the restart and its recovery time,
 * and the check that every acknowledged record was consumed exactly once.
 */
import os from 'node:os';
import { Broker } from '../broker.js';
import { MambaError, invalidConfig } from '../errors.js';
import type { ActorRestartEvent, PartitionRecoveredEvent } from '../supervisor/index.js';
import { parseDurationMs } from './duration.js';
import { parseCommandLine } from './command-line.js';

const topic = 'demo';
const partitions = 4;
const batchSize = 1000;
const lanes = 4;
const valueSizeBytes = 100;

interface DemoOptions {
  durationMs: number;
  crash: boolean;
  dataDir: string;
  actors: number;
  acks: 1 | 'all';
}

const demoOptions = {
  duration: { type: 'string', default: '10s' },
  'no-crash': { type: 'boolean', default: false },
  'data-dir': { type: 'string', default: './data' },
  actors: { type: 'string', default: String(Math.min(2, os.availableParallelism())) },
  acks: { type: 'string', default: '1' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const demoUsage = `usage: mamba demo [options]   (npm start runs it)
  --duration 10s          how long to produce and consume
  --no-crash              do not crash a partition actor halfway
  --data-dir ./data       the broker's data directory (its demo topic is recreated)
  --actors N              partition actors, worker threads (default: min(2, cores))
  --acks 1|all            durability the producer asks for (default 1)
  -h, --help              print this help`;

/** The options, or undefined when help was asked for. */
function parse(args: string[]): DemoOptions | undefined {
  let values;
  try {
    values = parseCommandLine(args, demoOptions);
  } catch (error) {
    if (!MambaError.is(error, 'INVALID_CONFIG')) throw error;
    throw new MambaError('INVALID_CONFIG', `${error.message}\n${demoUsage}`);
  }
  if (values.help === true) return undefined;
  if (values.acks !== '1' && values.acks !== 'all') {
    throw invalidConfig('--acks', values.acks, "1 or 'all'");
  }
  const actors = Number(values.actors);
  if (!Number.isInteger(actors) || actors < 1) {
    throw invalidConfig('--actors', values.actors, 'a whole number of 1 or more');
  }
  return {
    durationMs: parseDurationMs('--duration', values.duration!),
    crash: !values['no-crash'],
    dataDir: values['data-dir']!,
    actors,
    acks: values.acks === 'all' ? 'all' : 1,
  };
}

/** Which sequence numbers were acknowledged and how often each was consumed. */
class Ledger {
  acknowledged = 0;
  consumed = 0;
  private counts = new Uint8Array(1 << 20);

  ack(count: number): void {
    this.acknowledged += count;
  }

  consume(sequence: number): void {
    if (sequence >= this.counts.length) {
      const grown = new Uint8Array(Math.max(this.counts.length * 2, sequence + 1));
      grown.set(this.counts);
      this.counts = grown;
    }
    if (this.counts[sequence] < 255) this.counts[sequence]++;
    this.consumed++;
  }

  verdict(sent: number): { lost: number; duplicated: number } {
    let lost = 0;
    let duplicated = 0;
    for (let sequence = 0; sequence < sent; sequence++) {
      const count = sequence < this.counts.length ? this.counts[sequence] : 0;
      if (count === 0) lost++;
      if (count > 1) duplicated += count - 1;
    }
    return { lost, duplicated };
  }
}

const format = (n: number) => n.toLocaleString('en-US');
const rate = (n: number, ms: number) => `${(n / (ms / 1000) / 1e6).toFixed(2)} M/s`;

interface CrashRecord {
  atMs: number;
  restartMs?: number;
  recoveryMs?: number;
}

/** One demo run: the broker, the workload, and what the run saw. */
class DemoRun {
  readonly ledger = new Ledger();
  readonly crashes: CrashRecord[] = [];
  private readonly events: string[] = [];
  private readonly startedAt = performance.now();
  private sent = 0;
  private stopped = false;

  constructor(private readonly broker: Broker, private readonly options: DemoOptions) {
    broker.on('actor-restart', (event: ActorRestartEvent) => {
      const crash = this.crashes[this.crashes.length - 1];
      const downtimeMs = Math.round(event.downtimeMs);
      if (crash !== undefined) crash.restartMs = downtimeMs;
      this.events.push(`actor ${event.actorIndex} restarted ${downtimeMs} ms after its crash`);
    });
    broker.on('partition-recovered', (event: PartitionRecoveredEvent) => {
      const crash = this.crashes[this.crashes.length - 1];
      if (crash === undefined || event.epoch < 2) return;
      crash.recoveryMs = Math.max(crash.recoveryMs ?? 0, event.recoveryMs);
      this.events.push(`  ${event.topic}-${event.partition} recovered from its checkpoint in ` +
        `${event.recoveryMs.toFixed(1)} ms (log end ${format(event.logEndOffset)})`);
    });
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  get sentCount(): number {
    return this.sent;
  }

  /** Consumes with a fresh group, counting each record's sequence number. */
  async startConsuming() {
    const consumer = this.broker.consumer({ groupId: `demo-${Date.now()}`, fromBeginning: true });
    await consumer.subscribe(topic);
    const running = consumer.run({
      eachBatch: async (batch) => {
        for (const message of batch.messages) {
          const value = message.value!;
          this.ledger.consume(new DataView(value.buffer, value.byteOffset, 8).getFloat64(0));
        }
      },
    });
    return { consumer, running };
  }

  /** Several lanes of sendBatch keep batches in flight; resolves when stopped and acked. */
  produce(): Promise<void> {
    const producer = this.broker.producer({ acks: this.options.acks });
    const lane = async () => {
      while (!this.stopped) {
        const first = this.sent;
        this.sent += batchSize;
        // One buffer per batch, a view per record: each value starts with its sequence number.
        const bytes = new Uint8Array(batchSize * valueSizeBytes);
        const view = new DataView(bytes.buffer);
        const messages = Array.from({ length: batchSize }, (_, i) => {
          view.setFloat64(i * valueSizeBytes, first + i);
          return { value: bytes.subarray(i * valueSizeBytes, (i + 1) * valueSizeBytes) };
        });
        await producer.sendBatch(topic, messages);
        this.ledger.ack(batchSize);
      }
    };
    return Promise.all(Array.from({ length: lanes }, lane)).then(() => producer.flush());
  }

  stop(): void {
    this.stopped = true;
  }

  /** Prints a progress line every second, with the events since the last one. */
  startProgress(): () => void {
    console.log('  time   produced      consumed      acknowledged');
    let last = { atMs: 0, acked: 0, consumed: 0 };
    const timer = setInterval(() => {
      const now = this.elapsedMs();
      const { acknowledged, consumed } = this.ledger;
      console.log(`${(now / 1000).toFixed(1).padStart(5)}s  ` +
        `${rate(acknowledged - last.acked, now - last.atMs).padEnd(12)}  ` +
        `${rate(consumed - last.consumed, now - last.atMs).padEnd(12)}  ${format(acknowledged)}`);
      for (const event of this.events.splice(0)) console.log(`         ${event}`);
      last = { atMs: now, acked: acknowledged, consumed };
    }, 1000);
    return () => clearInterval(timer);
  }

  async crashHalfway(): Promise<void> {
    const halfMs = this.options.durationMs / 2;
    await delay(halfMs);
    if (!this.options.crash) return delay(halfMs);
    this.crashes.push({ atMs: this.elapsedMs() });
    this.events.push('actor 0 crashed: its worker was terminated mid-write');
    await this.broker.crashActor(0, 'terminate');
    await this.broker.settled();
    await delay(halfMs);
  }

  /** Waits (up to 10 s) until the group has consumed every acknowledged record. */
  async drainConsumer(): Promise<void> {
    const deadline = this.elapsedMs() + 10_000;
    while (this.ledger.consumed < this.ledger.acknowledged && this.elapsedMs() < deadline) {
      await delay(20);
    }
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function printSummary(run: DemoRun, producedMs: number): boolean {
  const { ledger } = run;
  const { lost, duplicated } = ledger.verdict(run.sentCount);
  const ok = lost === 0 && duplicated === 0 && ledger.consumed === ledger.acknowledged;
  console.log('\nSummary');
  console.log(`  produced and acknowledged  ${format(ledger.acknowledged)} records in ` +
    `${(producedMs / 1000).toFixed(1)} s (${rate(ledger.acknowledged, producedMs)})`);
  console.log(`  consumed by the group      ${format(ledger.consumed)} records`);
  for (const crash of run.crashes) {
    console.log(`  crash                      actor 0 terminated at ` +
      `${(crash.atMs / 1000).toFixed(1)} s; back in ${crash.restartMs ?? '?'} ms, ` +
      `partitions recovered in ${crash.recoveryMs?.toFixed(1) ?? '?'} ms`);
  }
  console.log(`  verification               ${ok ? 'OK' : 'FAILED'}: every acknowledged record ` +
    `consumed exactly once (${lost} lost, ${duplicated} duplicated)`);
  console.log('\nRun it longer with --duration 60s, or without the crash with --no-crash.');
  return ok;
}

export async function demoCommand(args: string[]): Promise<number> {
  const options = parse(args);
  if (options === undefined) {
    console.log(demoUsage);
    return 0;
  }
  const broker = await Broker.open({ dataDir: options.dataDir, actors: options.actors });
  if (broker.listTopics().includes(topic)) await broker.deleteTopic(topic);
  await broker.createTopic(topic, { partitions });
  console.log(`Mamba demo: an embedded broker in ${options.dataDir} with ${options.actors} ` +
    `partition actors (worker threads); topic "${topic}", ${partitions} partitions, ` +
    `acks ${options.acks}, ${valueSizeBytes}-byte records.\n`);
  const run = new DemoRun(broker, options);
  const { consumer, running } = await run.startConsuming();
  const producing = run.produce();
  const stopProgress = run.startProgress();
  await run.crashHalfway();
  run.stop();
  await producing;
  const producedMs = run.elapsedMs();
  await run.drainConsumer();
  stopProgress();
  await consumer.close();
  await running;
  await broker.close();
  return printSummary(run, producedMs) ? 0 : 1;
}
