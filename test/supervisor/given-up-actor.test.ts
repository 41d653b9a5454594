/**
 * Issue 17 item 4: an actor given up by the restart storm guard fails each of its partitions
 * with a `partition-failed` event (not only `actor-failed`), and comes back without closing the
 * broker: after `actorRetryCooldownMs` on its own, or at once through `restartPartition`.
 */
import { describe, expect, it } from 'vitest';
import { Broker, MambaError, type BrokerEvent, type BrokerEventMap } from '../../src/index.js';
import type { PartitionFailedEvent } from '../../src/supervisor/supervisor.js';
import { tempDir } from '../helpers/temp-dir.js';

function once<E extends BrokerEvent>(broker: Broker, event: E): Promise<BrokerEventMap[E][0]> {
  return new Promise((resolve) => {
    (broker.once as (name: string, listener: (payload: BrokerEventMap[E][0]) => void) => void)(
      event, resolve);
  });
}

/** A broker of two actors whose actor 1 is given up after its second crash within a minute. */
async function brokerWithGivenUpActor(actorRetryCooldownMs: number) {
  const dataDir = tempDir();
  // Without the delayed topic (it would take slot 0 when the broker opens), 'g' takes slots
  // 0..3, round-robin over two actors: partitions 1 and 3 live on actor 1.
  const broker = await Broker.open({
    dataDir, actors: 2, restart: { maxPerMinute: 1 }, actorRetryCooldownMs,
    delayedDelivery: false,
  });
  await broker.createTopic('g', { partitions: 4, segmentBytes: 1 << 20 });
  const producer = broker.producer({ acks: 'all' });
  await producer.send('g', { value: 'before', partition: 1 });
  const failedPartitions: PartitionFailedEvent[] = [];
  broker.on('partition-failed', (event: PartitionFailedEvent) => failedPartitions.push(event));
  const actorFailed = once(broker, 'actor-failed');
  await broker.crashActor(1, 'throw');
  await broker.settled();
  await broker.crashActor(1, 'throw');
  return { broker, producer, failedPartitions, actorFailed: await actorFailed };
}

describe('an actor given up by the storm guard', () => {
  it('fails each of its partitions with an event, and restartPartition brings them back',
    async () => {
      const { broker, producer, failedPartitions, actorFailed } =
        await brokerWithGivenUpActor(3_600_000);
      expect(actorFailed.actorIndex).toBe(1);
      expect(actorFailed.error.message).toContain('crash requested (throw)');
      expect(failedPartitions.map((e) => [e.topic, e.partition]).sort())
        .toEqual([['g', 1], ['g', 3]]);
      for (const event of failedPartitions) {
        expect(MambaError.is(event.error, 'PARTITION_FAILED')).toBe(true);
        expect((event.error as MambaError).cause).toBe(actorFailed.error);
      }
      expect((await broker.describeTopic('g')).partitions.map((p) => p.state))
        .toEqual(['ready', 'failed', 'ready', 'failed']);
      await expect(producer.send('g', { value: 'while down', partition: 3 }))
        .rejects.toMatchObject({ code: 'PARTITION_FAILED' });
      // The other actor's partitions are served meanwhile.
      await expect(producer.send('g', { value: 'x', partition: 0 })).resolves
        .toMatchObject({ partition: 0 });

      await broker.restartPartition('g', 3);
      expect((await broker.describeTopic('g')).partitions.map((p) => p.state))
        .toEqual(['ready', 'ready', 'ready', 'ready']);
      const after = await producer.send('g', { value: 'after', partition: 1 });
      expect(after.offset).toBe(1);
      await expect(broker.restartPartition('g', 9)).rejects
        .toMatchObject({ code: 'INVALID_PARTITION' });
      await broker.close();
    });

  it('is started afresh after actorRetryCooldownMs', async () => {
    const { broker, producer, actorFailed } = await brokerWithGivenUpActor(200);
    expect(actorFailed.retryAtMs).toBeGreaterThan(0);
    const recovered: Array<{ partition: number }> = [];
    broker.on('partition-recovered', (event: { partition: number }) => recovered.push(event));
    await once(broker, 'actor-ready');
    expect(recovered.map((e) => e.partition).sort()).toEqual([1, 3]);
    expect((await producer.send('g', { value: 'after', partition: 3 })).partition).toBe(3);
    await broker.close();
  });
});
