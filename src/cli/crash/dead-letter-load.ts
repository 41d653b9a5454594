/**
 * The crash test's dead-letter workload (`--dead-letters`), run on each broker process's main
 * thread (a consumer that dead-letters needs the broker's producer and data directory, which
 * `broker.consumer()` has and an attached worker consumer does not): one consumer per workload
 * topic, in a group of its own that every broker process shares, whose handler throws for
 * every record `failsAlways` picks and returns for the rest. With one retry the failing
 * records go to `<topic>.DLQ` through the dead-letter step (forward mark, append at acks
 * 'all', commit past the record), under whatever kill the chaos loop makes.
 *
 * A `run` that rejects (the step's append failed while an actor was down) is started again on
 * a new consumer: the forward mark makes the retried step find a letter it already appended.
 * On stop the group drains to the final high-watermarks before it closes.
 */
import type { Broker } from '../../broker.js';
import type { Consumer, ConsumedMessage } from '../../client/index.js';
import { decodeIdentity, valueProblem, type RecordIdentity } from './record-value.js';
import type { ChildToParent } from './messages.js';

/**
 * One record in this many (per producer, offset by the run id) fails always. Each failure
 * costs a dead-letter step (two fsyncs of the mark, an acks 'all' append, a commit): at 1 in
 * 256 the group fell ~50 s behind a 45 s run of ~200 k records/s.
 */
export const DEAD_LETTER_EVERY = 1024;
const retryMs = 5;
const drainTimeoutMs = 60_000;
const drainPollMs = 20;
const heartbeatIntervalMs = 50;
const sessionTimeoutMs = 5_000;

/** Whether the handler of the dead-letter group always throws for this record. */
export function failsAlways(identity: RecordIdentity, runId: number): boolean {
  return (identity.sequence + identity.producerId * 31 + runId) % DEAD_LETTER_EVERY === 0;
}

export function deadLetterTopic(topic: string): string {
  return `${topic}.DLQ`;
}

export function deadLetterGroup(liveGroupId: string): string {
  return `${liveGroupId}-dlq`;
}

export class DeadLetterLoad {
  private readonly groupId: string;
  private readonly consumers = new Set<Consumer>();
  private readonly running: Array<Promise<void>> = [];
  private stopping = false;
  /** Runs that rejected and were started again. */
  restartCount = 0;

  constructor(private readonly broker: Broker, private readonly topicNames: readonly string[],
    private readonly partitions: number, liveGroupId: string, private readonly runId: number,
    private readonly send: (message: ChildToParent) => void) {
    this.groupId = deadLetterGroup(liveGroupId);
  }

  /** Resolves once every topic's consumer joined the group. */
  async start(): Promise<void> {
    const joined = this.topicNames.map((topic) => new Promise<void>((resolve) => {
      this.running.push(this.consume(topic, resolve));
    }));
    await Promise.all(joined);
  }

  /**
   * Waits until the group committed up to `highWatermarks` (per slot), then closes; reports
   * how long that took.
   */
  async stop(highWatermarks: readonly number[]): Promise<boolean> {
    const startedMs = Date.now();
    const deadline = startedMs + drainTimeoutMs;
    let drained = this.drained(highWatermarks);
    while (!drained && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, drainPollMs));
      drained = this.drained(highWatermarks);
    }
    this.stopping = true;
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
    await Promise.all(this.running);
    this.send({ kind: 'dead-letter-drained', drained, drainMs: Date.now() - startedMs });
    return drained;
  }

  private drained(highWatermarks: readonly number[]): boolean {
    return highWatermarks.every((highWatermark, slot) => {
      const topic = this.topicNames[Math.floor(slot / this.partitions)];
      const committed = this.broker.committedOffset(this.groupId, topic, slot % this.partitions);
      return (committed ?? 0) >= highWatermark;
    });
  }

  private async consume(topic: string, joined: () => void): Promise<void> {
    while (!this.stopping) {
      // 'latest' on reset: after a power cut the group's commit may lie past the recovered log
      // end; everything below it was handled, and the consumer joins before producers write.
      const consumer = this.broker.consumer({
        groupId: this.groupId, fromBeginning: true, autoOffsetReset: 'latest',
        heartbeatIntervalMs, sessionTimeoutMs,
      });
      this.consumers.add(consumer);
      try {
        await consumer.subscribe(topic);
        joined();
        await consumer.run({
          eachMessage: (message) => this.handle(message),
          partitionsConsumedConcurrently: this.partitions,
          retry: { retries: 1, initialRetryTimeMs: retryMs },
          deadLetter: { topic: deadLetterTopic(topic) },
        });
      } catch (error) {
        if (this.stopping) break;
        this.restartCount++;
        this.send({ kind: 'dead-letter-restart', message: String(error) });
      } finally {
        this.consumers.delete(consumer);
        await consumer.close();
      }
    }
  }

  private handle(message: ConsumedMessage): void {
    const value = message.value;
    if (value === null || valueProblem(value, this.runId) !== undefined) return;
    if (failsAlways(decodeIdentity(value), this.runId)) {
      throw new Error('crash-test: this record fails always');
    }
  }
}
