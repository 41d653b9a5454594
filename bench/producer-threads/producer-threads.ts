/**
 * Mamba with its producers in worker threads: the broker on the main thread, one producer
 * session per thread (`broker.producerHandle()` → `Producer.attach` in the thread), every thread
 * running the harness's produce loop over the same run window. The threads' tallies and latency
 * histograms are added up into one result, in the same shape every other system's result has.
 *
 * CPU time is the whole process's (every thread, actors included) over the measured window;
 * the peak RSS is the process's high-water mark so far.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Broker, type FlushPolicy } from '../../src/index.js';
import { workerUrl } from '../../src/worker-url.js';
import { nowNs } from '../harness/clock.js';
import { Measurement } from '../harness/measurement.js';
import { createRunWindow, type RunWindow } from '../harness/produce-loop.js';
import { startProgress } from '../harness/progress.js';
import { notRunResult, type ScenarioResult } from '../harness/scenario-result.js';
import type { Scenario } from '../harness/scenario.js';
import type {
  FromProducerThread, ProducerThreadData, ProducerThreadTally, ToProducerThread,
} from './thread-protocol.js';

const topic = 'bench';
const producerBatchBytesMax = 512 * 1024;
const nsPerMs = 1e6;

export const threadedSystemName = 'mamba';

/** Topic flush policy per acks level, as the `mamba` system of the other suites sets it. */
export function flushFor(scenario: Scenario): FlushPolicy {
  return scenario.acks === 'all' ? 'batch' : 'none';
}

export function threadedDurability(scenario: Scenario): string {
  return `acks ${scenario.acks}, flush ${String(flushFor(scenario))}; ` +
    `${scenario.producerCount} producer thread(s)`;
}

/** One producer thread: started, then resolved with its tally or rejected with its failure. */
class ProducerThread {
  readonly ready: Promise<void>;
  readonly finished: Promise<ProducerThreadTally>;
  private readonly worker: Worker;

  constructor(data: ProducerThreadData) {
    this.worker = new Worker(workerUrl('./producer-worker.js', import.meta.url),
      { workerData: data });
    let readyResolve!: () => void;
    this.ready = new Promise((resolve) => { readyResolve = resolve; });
    this.finished = new Promise((resolve, reject) => {
      this.worker.on('message', (message: FromProducerThread) => {
        switch (message.type) {
          case 'ready': readyResolve(); break;
          case 'done': resolve(message.tally); break;
          case 'failed': reject(new Error(`producer thread: ${message.message}`)); break;
        }
      });
      this.worker.on('error', reject);
      this.worker.on('exit', (code) => reject(new Error(`producer thread exited (${code})`)));
    });
    // A thread that fails before it is ready fails the run at once.
    this.finished.catch(() => readyResolve());
  }

  start(window: RunWindow): void {
    const message: ToProducerThread = { type: 'start', window };
    this.worker.postMessage(message);
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Runs the threads through one window and adds their tallies into `measurement`. */
async function measureThreads(threads: readonly ProducerThread[], scenario: Scenario,
  measurement: Measurement, label: string): Promise<void> {
  await Promise.all(threads.map((thread) => thread.ready));
  const window = createRunWindow(scenario, nowNs());
  for (const thread of threads) thread.start(window);
  const progress = startProgress(label, scenario.durationMs);
  const ticker = setInterval(() => {
    const now = nowNs();
    if (now < window.warmupEndNs) return;
    // The CPU clock starts at the end of the warm-up, as for main-thread producers.
    if (!measurement.measuring) measurement.beginMeasuring(window.warmupEndNs);
    progress.update((Math.min(now, window.measureEndNs) - window.warmupEndNs) / nsPerMs, 0);
  }, 50);
  try {
    const tallies = await Promise.all(threads.map((thread) => thread.finished));
    if (!measurement.measuring) measurement.beginMeasuring(window.warmupEndNs);
    measurement.measureStartNs = Math.min(...tallies.map((tally) => tally.measureStartNs));
    for (const tally of tallies) {
      measurement.sentCount += tally.sentCount;
      measurement.ackedCount += tally.ackedCount;
      measurement.lastAckNs = Math.max(measurement.lastAckNs, tally.lastAckNs);
      measurement.ackLatency.addEncoded(tally.ackLatencyEncoded);
    }
  } finally {
    clearInterval(ticker);
    progress.stop();
  }
}

export interface ThreadedRunOptions {
  /** Partition actors; default one per partition, at most one per core. */
  readonly actors?: number;
}

/**
 * Runs `scenario` (its `producerCount` is the number of threads) against a fresh broker in a
 * temporary directory, removed afterwards. A failure gives a `failed` result, never a throw.
 */
export async function runProducerThreads(scenario: Scenario,
  options: ThreadedRunOptions = {}): Promise<ScenarioResult> {
  const system = {
    name: threadedSystemName, acks: scenario.acks, durability: threadedDurability(scenario),
  };
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'mamba-bench-threads-'));
  const actors = options.actors ??
    Math.max(1, Math.min(scenario.partitionCount, os.availableParallelism()));
  let broker: Broker | undefined;
  const threads: ProducerThread[] = [];
  try {
    broker = await Broker.open({ dataDir, actors });
    await broker.createTopic(topic, {
      partitions: scenario.partitionCount, flush: flushFor(scenario),
    });
    const perThread: Scenario = {
      ...scenario,
      messageCountMax: Math.ceil(scenario.messageCountMax / scenario.producerCount),
    };
    for (let index = 0; index < scenario.producerCount; index++) {
      const handle = broker.producerHandle({
        acks: scenario.acks, lingerMs: 0, batchBytes: producerBatchBytesMax,
      });
      threads.push(new ProducerThread({ handle, scenario: perThread, topic }));
    }
    const measurement = new Measurement(scenario.messageSizeBytes);
    await measureThreads(threads, scenario, measurement, `${scenario.name} mamba threads`);
    return measurement.result(scenario.name, system, false);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return notRunResult(scenario.name, system, 'failed', message);
  } finally {
    await Promise.all(threads.map((thread) => thread.stop()));
    await broker?.close().catch(() => undefined);
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}
