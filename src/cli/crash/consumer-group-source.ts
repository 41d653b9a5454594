/**
 * A record source that reads everything back the way an application would: it opens a broker
 * on the closed data directory (the same recovery as any restart) and runs a fresh consumer
 * group of `layout.consumers` members from the beginning until every partition is read up to
 * its high-watermark.
 *
 * The contract of `RecordSource` holds although several members share the partitions and may
 * hand them over while the group forms: a partition moves only after its holder stopped and
 * committed (the cooperative protocol), and its new holder starts at that commit, which is at
 * most the next offset not yet visited. So per partition the deliveries run in offset order,
 * possibly repeating a stretch after a handover; the repeats of a (partition, offset) already
 * visited are dropped, since at-least-once delivery is not a duplicate in the log.
 */
import { randomUUID } from 'node:crypto';
import { Broker } from '../../broker.js';
import type { ConsumedBatch } from '../../client/index.js';
import type { Consumer } from '../../client/index.js';
import type { RecordSource, RecordVisitor, WorkloadLayout } from './record-source.js';

/** The read gives up when no partition advanced for this long (what is unread shows as lost). */
const stallTimeoutMs = 30_000;
const progressPollMs = 20;

export class ConsumerGroupSource implements RecordSource {
  readonly name = 'consumer-group';
  /** Deliveries dropped because their (partition, offset) was already visited. */
  repeatsDropped = 0;
  /** Whether the last read stopped on `stallTimeoutMs` before reaching the high-watermarks. */
  stalled = false;

  async readAll(layout: WorkloadLayout, visit: RecordVisitor): Promise<void> {
    // A checker's broker never restarts an actor: no warm standbys to load.
    const broker = await Broker.open({ dataDir: layout.dataDir, restart: { standby: false } });
    try {
      await this.read(broker, layout, visit);
    } finally {
      await broker.close();
    }
  }

  private async read(broker: Broker, layout: WorkloadLayout, visit: RecordVisitor):
    Promise<void> {
    const descriptions = await Promise.all(
      layout.topicNames.map((topic) => broker.describeTopic(topic)));
    const highWatermarks = descriptions.flatMap((d) => d.partitions.map((p) => p.highWatermark));
    const nextOffsets = descriptions.flatMap((d) => d.partitions.map((p) => p.logStartOffset));
    const topicIndexOf = new Map(layout.topicNames.map((topic, index) => [topic, index]));
    const eachBatch = (batch: ConsumedBatch): void => {
      const slot = topicIndexOf.get(batch.topic)! * layout.partitions + batch.partition;
      for (const message of batch.messages) {
        if (message.offset < nextOffsets[slot]) {
          this.repeatsDropped++;
          continue;
        }
        // A jump forward is passed on as it is: the checker reports it as an offset gap.
        nextOffsets[slot] = message.offset + 1;
        visit(slot, message.offset, message.value);
      }
    };
    const groupId = `crash-verify-${randomUUID()}`;
    const members: Consumer[] = [];
    const runs: Array<Promise<void>> = [];
    try {
      for (let index = 0; index < layout.consumers; index++) {
        const member = broker.consumer({ groupId, fromBeginning: true, heartbeatIntervalMs: 50 });
        members.push(member);
        await member.subscribe([...layout.topicNames]);
        runs.push(member.run({ eachBatch }));
      }
      this.stalled = !await caughtUp(nextOffsets, highWatermarks, Promise.race(runs));
    } finally {
      await Promise.all(members.map((member) => member.close()));
    }
    await Promise.all(runs);
  }
}

/**
 * Resolves true once every slot's next offset reached its high-watermark, false when none
 * advanced for `stallTimeoutMs`; rejects when a member's run fails.
 */
async function caughtUp(nextOffsets: readonly number[], highWatermarks: readonly number[],
  failed: Promise<void>): Promise<boolean> {
  let progress = -1;
  let progressMs = performance.now();
  let failure: unknown;
  failed.catch((error: unknown) => { failure = error ?? new Error('a member stopped'); });
  for (;;) {
    if (failure !== undefined) throw failure;
    if (nextOffsets.every((next, slot) => next >= highWatermarks[slot])) return true;
    const total = nextOffsets.reduce((sum, next) => sum + next, 0);
    if (total !== progress) {
      progress = total;
      progressMs = performance.now();
    } else if (performance.now() - progressMs > stallTimeoutMs) {
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, progressPollMs));
  }
}
