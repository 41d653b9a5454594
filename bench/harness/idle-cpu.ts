/**
 * Issue 15's idle figure: a broker with a few topics and consumers waiting on them, no traffic,
 * and the CPU time the whole process (main thread, actors, every pool) spends over a window,
 * as a share of one core. Measured with process.cpuUsage, which counts all threads.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface IdleCpuFigure {
  readonly topicCount: number;
  readonly consumerCount: number;
  readonly windowMs: number;
  /** CPU time over the window ÷ the window: 0.01 is 1 % of one core. */
  readonly coreShare: number;
  /** The idle strategy the broker and consumers ran with ('default' if none was set). */
  readonly idle: string;
}

interface IdleBroker {
  createTopic(name: string, options: { partitions: number }): Promise<void>;
  consumer(options: { groupId: string; idle?: unknown }): {
    subscribe(topic: string): Promise<void>;
    run(options: { eachBatch: () => Promise<void> }): Promise<void>;
    close(): Promise<void>;
  };
  close(): Promise<void>;
}

/** The broker class of the package's public surface, loaded as the mamba system loads it. */
export interface IdleBrokerClass {
  open(options: { dataDir: string; idle?: unknown }): Promise<IdleBroker>;
}

const topicCount = 4;
const partitionsPerTopic = 2;
/**
 * Let startup work finish before measuring: zero-filling each new partition's first 64 MiB
 * segment, the first checkpoints, group joins (under load it took over 6 s for 8 partitions).
 */
const settleMs = 8_000;

/** The idle scenario, opened and settled: `close` ends the consumers, the broker and the dir. */
export interface IdleScenario {
  readonly consumerCount: number;
  close(): Promise<void>;
}

/**
 * Opens a broker with `topicCount` topics and a consumer waiting on each, and waits until
 * startup work is over. Shared by the figure below and `bench/tools/idle-profile.ts`.
 */
export async function openIdleScenario(Broker: IdleBrokerClass, idle: unknown):
  Promise<IdleScenario> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'mamba-idle-'));
  const idleOption = idle === undefined ? {} : { idle };
  const broker = await Broker.open({ dataDir, ...idleOption });
  const consumers: ReturnType<IdleBroker['consumer']>[] = [];
  const running: Promise<void>[] = [];
  const close = async (): Promise<void> => {
    for (const consumer of consumers) await consumer.close();
    await Promise.allSettled(running);
    await broker.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  };
  try {
    for (let t = 0; t < topicCount; t++) {
      await broker.createTopic(`idle-${t}`, { partitions: partitionsPerTopic });
      const consumer = broker.consumer({ groupId: `idle-${t}`, ...idleOption });
      await consumer.subscribe(`idle-${t}`);
      running.push(consumer.run({ eachBatch: async () => undefined }));
      consumers.push(consumer);
    }
    await new Promise((resolve) => setTimeout(resolve, settleMs));
  } catch (error) {
    await close();
    throw error;
  }
  return { consumerCount: consumers.length, close };
}

export async function measureIdleCpu(Broker: IdleBrokerClass, windowMs: number,
  idle: unknown): Promise<IdleCpuFigure> {
  const scenario = await openIdleScenario(Broker, idle);
  try {
    const cpuStart = process.cpuUsage();
    const startedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const cpu = process.cpuUsage(cpuStart);
    const elapsedMs = performance.now() - startedAt;
    return {
      topicCount, consumerCount: scenario.consumerCount, windowMs: Math.round(elapsedMs),
      coreShare: (cpu.user + cpu.system) / 1000 / elapsedMs,
      idle: idle === undefined ? 'default' : JSON.stringify(idle),
    };
  } finally {
    await scenario.close();
  }
}
