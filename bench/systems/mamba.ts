/**
 * Mamba itself, embedded in the bench process: the numerator of every ratio.
 *
 * The broker is loaded at run time from the package's public surface (src/index.ts) and used
 * through the API below; until `Broker` is exported there, this system reports itself skipped
 * and every suite still runs its baselines. The import is dynamic so that the bench compiles
 * whatever src/index.ts exports today.
 *
 * Durability, per acks level (the producer's `acks`, and the topic's flush policy):
 * - acks=0: acknowledged when the batch is handed to the producer; topic flush `none`.
 * - acks=1: acknowledged once the batch is in the mapped segment (page cache); flush `none`.
 * - acks=all: acknowledged once the segment range is msync'd to disk; flush `batch`.
 *
 * `MAMBA_BENCH_IDLE=park|backoff|spin` (or a JSON `{ "strategy", "spinUs", "yieldUs" }`) sets
 * the idle strategy of the actors and the consumers (the broker's and the consumer's `idle`
 * option), `MAMBA_BENCH_CONSUMER_IDLE` the consumers' alone, for A/B runs of one build; unset,
 * the defaults apply.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {
  BenchConsumer, BenchProducer, BenchSystem, BenchSystemFactory, ConsumeSink,
} from '../harness/bench-system.js';
import type { MessageBatch } from '../harness/message-batch.js';
import type { AcksLevel, Scenario } from '../harness/scenario.js';

/** The expected public API of Mamba, as much of it as the bench uses. */
interface MambaRecord { readonly key?: Uint8Array; readonly value: Uint8Array }
interface MambaBroker {
  createTopic(name: string,
    options: { partitions: number; flush: 'none' | 'batch' }): Promise<void>;
  producer(options: { acks: AcksLevel; lingerMs: number; batchBytes: number }): MambaProducer;
  consumer(options: { groupId: string; fromBeginning: boolean; idle?: unknown }): MambaConsumer;
  close(): Promise<void>;
  stats(): Promise<unknown[]>;
}
interface MambaProducer {
  sendBatch(topic: string, records: readonly MambaRecord[]): Promise<unknown>;
  close?(): Promise<void>;
}
interface MambaConsumer {
  subscribe(topic: string): Promise<void>;
  run(options: { eachBatch: (batch: MambaConsumedBatch) => Promise<void> }): Promise<void>;
  close?(): Promise<void>;
  disconnect?(): Promise<void>;
  stop?(): Promise<void>;
}
interface MambaConsumedBatch {
  readonly messages: readonly { readonly value: Uint8Array | null }[];
}
interface MambaBrokerClass {
  open(options: { dataDir: string; actors: number; idle?: unknown }): Promise<MambaBroker>;
}

const topic = 'bench';
/** The idle strategy under test, or undefined for the defaults. */
function idleFromEnvironment(name: string): { idle?: unknown } {
  const text = process.env[name];
  if (text === undefined || text === '') return {};
  return { idle: text.startsWith('{') ? JSON.parse(text) as unknown : text };
}
const idleOption = idleFromEnvironment('MAMBA_BENCH_IDLE');
const consumerIdleOption = { ...idleOption, ...idleFromEnvironment('MAMBA_BENCH_CONSUMER_IDLE') };
/** Where the package's public surface compiles to, relative to dist/bench/systems/. */
const publicApiPath = '../../src/index.js';

async function loadBroker(): Promise<MambaBrokerClass | undefined> {
  const specifier = publicApiPath;
  const module = (await import(specifier)) as Record<string, unknown>;
  const broker = module['Broker'] as MambaBrokerClass | undefined;
  return typeof broker?.open === 'function' ? broker : undefined;
}

const durabilityByAcks: Record<string, string> = {
  '0': 'acks 0: acknowledged when handed to the producer; flush none',
  '1': 'acks 1: in the mapped segment (page cache) when acknowledged; flush none',
  'all': 'acks all: msync\'d to disk before acknowledging; flush batch',
};

class MambaSystem implements BenchSystem {
  readonly name = 'mamba';
  readonly durability: string;
  private Broker: MambaBrokerClass | undefined;
  private broker: MambaBroker | undefined;
  private dataDir = '';
  /** Record arrays per pooled batch, made once: the harness reuses its batches. */
  private readonly records = new WeakMap<MessageBatch, MambaRecord[]>();

  constructor(readonly acks: AcksLevel) {
    this.durability = durabilityByAcks[String(acks)]!;
  }

  async unsupportedReason(_scenario: Scenario): Promise<string | undefined> {
    this.Broker = await loadBroker();
    if (this.Broker === undefined) return 'Broker is not exported by src/index.ts yet';
    return undefined;
  }

  async setup(scenario: Scenario): Promise<void> {
    this.dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'mamba-bench-'));
    const actors = Math.max(1, Math.min(scenario.partitionCount, os.availableParallelism()));
    this.broker = await this.Broker!.open({ dataDir: this.dataDir, actors, ...idleOption });
    await this.broker.createTopic(topic, {
      partitions: scenario.partitionCount,
      flush: this.acks === 'all' ? 'batch' : 'none',
    });
  }

  private recordsOf(batch: MessageBatch): MambaRecord[] {
    let records = this.records.get(batch);
    if (records === undefined) {
      records = batch.values.map((value) => ({ value }));
      this.records.set(batch, records);
    }
    return records;
  }

  async openProducer(): Promise<BenchProducer> {
    const producer = this.broker!.producer({
      acks: this.acks, lingerMs: 0, batchBytes: 512 * 1024,
    });
    return {
      sendBatch: async (batch: MessageBatch): Promise<void> => {
        await producer.sendBatch(topic, this.recordsOf(batch));
      },
      close: async () => { await producer.close?.(); },
    };
  }

  async openConsumer(_consumerIndex: number, sink: ConsumeSink): Promise<BenchConsumer> {
    const consumer = this.broker!.consumer({
      groupId: 'bench', fromBeginning: true, ...consumerIdleOption,
    });
    await consumer.subscribe(topic);
    const values: Uint8Array[] = [];
    void consumer.run({
      eachBatch: async (batch) => {
        values.length = 0;
        for (const message of batch.messages) {
          if (message.value !== null) values.push(message.value);
        }
        sink.receivedValues(values);
      },
    });
    return {
      close: async () => {
        if (consumer.close !== undefined) await consumer.close();
        else if (consumer.disconnect !== undefined) await consumer.disconnect();
        else await consumer.stop?.();
      },
    };
  }

  /** The actors' counters and heaps, for bench/tools/memory-breakdown.ts. */
  async actorStats(): Promise<unknown[]> {
    return this.broker === undefined ? [] : this.broker.stats();
  }

  async teardown(): Promise<void> {
    await this.broker?.close();
    this.broker = undefined;
    if (this.dataDir !== '') await fs.rm(this.dataDir, { recursive: true, force: true });
    this.dataDir = '';
  }
}

export const mambaFactory: BenchSystemFactory = {
  name: 'mamba',
  create: (acks: AcksLevel) => new MambaSystem(acks),
};
