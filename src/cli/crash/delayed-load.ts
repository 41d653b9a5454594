/**
 * The crash test's delayed-message workload (`--delayed`), run on each broker process's main
 * thread beside the producer workers: every `roundIntervalMs` it sends `roundSize` messages to
 * the delayed topic with delays from 0 to `delayMsMax`, one send at a time in flight, and
 * reports each acknowledged one (its id and due time) to the harness. An id is
 * `incarnation × 2^24 + sequence`, unique over the run; the value is `<runId>:<id>`.
 *
 * On stop it waits until the broker's delay service has delivered everything parked (all
 * delays are short), so that the final check finds every message due.
 */
import type { Broker } from '../../broker.js';
import type { Producer } from '../../client/index.js';
import { MambaError } from '../../errors.js';
import type { ChildToParent } from './messages.js';

const roundSize = 32;
const roundIntervalMs = 20;
export const DELAYED_DELAY_MS_MAX = 2_000;
export const DELAYED_ID_SEQUENCE_BITS = 24;
const drainTimeoutMs = 60_000;

export class DelayedLoad {
  private readonly producer: Producer;
  private sequence = 0;
  private sentCount = 0;
  private failedCount = 0;
  private stopping = false;
  private running: Promise<void> | undefined;

  constructor(private readonly broker: Broker, private readonly topic: string,
    private readonly runId: number, private readonly incarnation: number, acks: 1 | 'all',
    private readonly send: (message: ChildToParent) => void) {
    this.producer = broker.producer({ acks, idempotent: true });
  }

  start(): void {
    this.running = this.loop();
  }

  /** Stops sending and waits until nothing parked is left to deliver. */
  async stop(): Promise<boolean> {
    this.stopping = true;
    await this.running;
    const deadline = Date.now() + drainTimeoutMs;
    for (;;) {
      const stats = this.broker.delayStats();
      if (stats === undefined) return false;
      if (stats.pendingCount === 0 && stats.inFlightCount === 0) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      await this.round();
      await new Promise((resolve) => setTimeout(resolve, roundIntervalMs));
    }
  }

  private async round(): Promise<void> {
    const base = this.incarnation * 2 ** DELAYED_ID_SEQUENCE_BITS;
    const ids: number[] = [];
    const messages = Array.from({ length: roundSize }, () => {
      const id = base + this.sequence++;
      ids.push(id);
      return {
        key: `d${id % 97}`, value: `${this.runId}:${id}`,
        delayMs: (id * 7919) % (DELAYED_DELAY_MS_MAX + 1),
      };
    });
    this.sentCount += messages.length;
    try {
      const results = await this.producer.sendBatch(this.topic, messages);
      this.send({
        kind: 'delayed-acks', ids, dueMs: results.map((result) => result.deliverAtMs ?? -1),
        sentCount: this.sentCount, failedCount: this.failedCount,
      });
    } catch (error) {
      this.failedCount += messages.length;
      if (MambaError.is(error, 'BROKER_CLOSED') || MambaError.is(error, 'PRODUCER_CLOSED')) {
        this.stopping = true;
      }
    }
  }
}
