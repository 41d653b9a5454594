/**
 * The broker process's side of the live consumer group (consumer-worker.ts): it starts the
 * members, forwards their reports to the harness and confirms each once it is handed to the
 * IPC channel (from then on a SIGKILL of this process no longer loses it: the bytes are in the
 * kernel's socket buffer, which the harness reads), and at the end drains the group: waits
 * until its committed offsets reach the high-watermarks, then closes the members.
 */
import { Worker } from 'node:worker_threads';
import type { Broker } from '../../broker.js';
import { workerUrl } from '../../worker-url.js';
import { workerLaunchOptions } from '../../worker-exec-argv.js';
import type {
  ChildConfig, ChildToConsumer, ChildToParent, ConsumerStopReport, ConsumerToChild,
  ConsumerWorkerData,
} from './messages.js';

/** How long the group may take to reach the high-watermarks once the producers stopped. */
export const drainTimeoutMs = 30_000;
const drainPollMs = 10;
/**
 * Short heartbeats: a member learns of a revocation at its next heartbeat, and a broker process
 * restart makes the whole group join again, so rebalances must not take seconds.
 */
const heartbeatIntervalMs = 50;
const sessionTimeoutMs = 5_000;

export class ConsumerMembers {
  private readonly workers: Worker[] = [];
  private readonly closed: Array<Promise<void>> = [];
  private readonly commitErrors: string[] = [];

  constructor(private readonly broker: Broker, private readonly config: ChildConfig,
    private readonly send: (message: ChildToParent, sent?: () => void) => void) {}

  /** Starts the members; resolves once each has joined the group and holds an assignment. */
  async start(): Promise<void> {
    const url = workerUrl('./consumer-worker.js', import.meta.url);
    const subscribed: Array<Promise<void>> = [];
    for (let index = 0; index < this.config.consumers; index++) {
      const workerData: ConsumerWorkerData = {
        handle: this.broker.consumerHandle({
          groupId: this.config.groupId, fromBeginning: true, autoCommit: true,
          heartbeatIntervalMs, sessionTimeoutMs,
        }),
        memberId: this.config.consumerIdBase + index,
        runId: this.config.runId,
        topicNames: this.config.topicNames,
        partitions: this.config.partitions,
      };
      const worker = new Worker(url, { workerData, ...workerLaunchOptions() });
      this.workers.push(worker);
      subscribed.push(new Promise((resolve) => worker.on('message', (message: ConsumerToChild) => {
        if (message.kind === 'subscribed') resolve();
        this.onMessage(worker, message);
      })));
      this.closed.push(new Promise((resolve) => worker.once('exit', () => resolve())));
      worker.on('error', (error) => this.send({ kind: 'fatal', message: `consumer: ${error}` }));
    }
    await Promise.all(subscribed);
  }

  /**
   * The producers have stopped and `highWatermarks` are final: waits for the group's commits
   * to reach them (or `drainTimeoutMs`), then closes every member.
   */
  async stop(highWatermarks: readonly number[]): Promise<ConsumerStopReport> {
    const startedMs = performance.now();
    const lagAtStop = this.lag(highWatermarks);
    let drained = lagAtStop.every((lag) => lag === 0);
    while (!drained && performance.now() - startedMs < drainTimeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, drainPollMs));
      drained = this.lag(highWatermarks).every((lag) => lag === 0);
    }
    const drainMs = performance.now() - startedMs;
    for (const worker of this.workers) worker.postMessage({ kind: 'stop' } as ChildToConsumer);
    await Promise.all(this.closed);
    return {
      lagAtStop, lagAtClose: this.lag(highWatermarks), drainMs, drained,
      commitErrors: this.commitErrors,
    };
  }

  /** Per slot: high-watermark minus the group's committed offset (none: the log start, 0). */
  private lag(highWatermarks: readonly number[]): number[] {
    return highWatermarks.map((highWatermark, slot) => {
      const committed = committedOffset(this.broker, this.config, slot) ?? 0;
      return Math.max(0, highWatermark - committed);
    });
  }

  private onMessage(worker: Worker, message: ConsumerToChild): void {
    switch (message.kind) {
      case 'consumed':
        this.send(message, () => worker.postMessage(
          { kind: 'confirmed', reportId: message.reportId } satisfies ChildToConsumer));
        break;
      case 'failed':
        this.send({ kind: 'fatal', message: `consumer ${message.memberId}: ${message.message}` });
        break;
      case 'closed':
        if (message.lastCommitError !== undefined) {
          this.commitErrors.push(`member ${message.memberId}: ${message.lastCommitError}`);
        }
        break;
      case 'subscribed': break;
    }
  }
}

/** The live group's committed offset of a slot, if it committed one. */
export function committedOffset(broker: Broker, config: ChildConfig, slot: number):
  number | undefined {
  const topic = config.topicNames[Math.floor(slot / config.partitions)];
  return broker.committedOffset(config.groupId, topic, slot % config.partitions);
}
