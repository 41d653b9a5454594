/**
 * No lost wake-ups under any idle strategy: an actor and a consumer that have gone to sleep
 * (parked) wake for a single record. The consumer's `maxWaitMs` is far longer than the test, so
 * only the actor's notify can wake it. A parked actor blocks for up to the heartbeat interval
 * (100 ms) at a time while recently active, up to 1 s once quiet, so for the actor this checks
 * delivery and the doorbell the supervisor rings after each command (a blocked actor must still
 * take its commands).
 */
import { describe, expect, it } from 'vitest';
import { Broker, type Consumer, type IdleStrategyName } from '../../src/index.js';
import { ACTOR_SLEEPING, type ControlBlock } from '../../src/shm/index.js';
import type { PartitionCursor } from '../../src/client/consumer-fetcher.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitUntil } from './helpers.js';

/** The broker's control block and the consumer's cursors: state no event announces. */
function actorSleeping(broker: Broker): boolean {
  const block = (broker as unknown as { controlBlock: ControlBlock }).controlBlock;
  return Atomics.load(block.i32, block.actorWord(0, ACTOR_SLEEPING)) === 1;
}

function consumerParked(consumer: Consumer): boolean {
  const fetcher = (consumer as unknown as {
    fetcher: { cursors: Map<string, PartitionCursor> };
  }).fetcher;
  return [...fetcher.cursors.values()].some((cursor) => cursor.waitArmed);
}

describe('idle strategies wake on a single record', () => {
  const strategies: IdleStrategyName[] = ['park', 'backoff', 'spin'];
  for (const strategy of strategies) {
    it(`${strategy}: a waiting consumer gets one record after its actor went idle`, async () => {
      const idle = strategy === 'backoff'
        ? { strategy, spinUs: 10, yieldUs: 100 } as const : strategy;
      const broker = await Broker.open({ dataDir: tempDir(), actors: 1, idle });
      try {
        await broker.createTopic('t', { partitions: 1 });
        const consumer = broker.consumer({ fromBeginning: true, maxWaitMs: 60_000, idle });
        await consumer.subscribe('t');
        const values: string[] = [];
        let arrived: (() => void) | undefined;
        const running = consumer.run({
          eachMessage: (message) => {
            values.push(new TextDecoder().decode(message.value!));
            arrived?.();
          },
        });
        const producer = broker.producer({ acks: 1 });
        for (const value of ['first', 'second']) {
          if (strategy !== 'spin') {
            // Both sides asleep: the record must wake the actor, and the actor the consumer.
            await waitUntil(() => actorSleeping(broker) && consumerParked(consumer));
          }
          const got = new Promise<void>((resolve) => { arrived = resolve; });
          await producer.send('t', { value });
          await got;
        }
        expect(values).toEqual(['first', 'second']);
        await producer.close();
        await consumer.close();
        await running;
      } finally {
        await broker.close();
      }
    });
  }
});
