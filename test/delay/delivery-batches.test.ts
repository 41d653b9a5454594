/**
 * How the delay service hands deliveries to its producer: one batch per partition per tick,
 * and, while a partition has as many batches in flight as the producer allows, the deliveries
 * falling due meanwhile held and merged into one batch sent when one settles. The service runs
 * on a real broker's control block, directory and delayed log, with a producer whose acks the
 * test holds back (a slow `acks: 'all'` fdatasync, made deterministic).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Broker, type Message, type Producer } from '../../src/index.js';
import { DelayService } from '../../src/delay/index.js';
import { inFlightBatchesPerPartitionMax } from '../../src/constants.js';
import { ControlBlock, TopicDirectory } from '../../src/shm/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { readDelivered } from './delay-helpers.js';

let broker: Broker | undefined;
let service: DelayService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
  await broker?.close();
  broker = undefined;
});

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface HeldSend { messages: Message[]; release: () => void }

describe('delay service deliveries', () => {
  it('holds what falls due while a partition is at its in-flight limit, and sends it merged',
    async () => {
      const dataDir = tempDir();
      // Park the messages with the broker's own service off, so that only the test's runs.
      broker = await Broker.open({ dataDir, actors: 1 });
      await broker.createTopic('slow', { partitions: 1 });
      await broker.close();
      broker = await Broker.open({ dataDir, actors: 1, delayedDelivery: false });
      const real = broker.producer({ acks: 'all' });
      const count = 3 * inFlightBatchesPerPartitionMax;
      const calls: HeldSend[] = [];
      const producer = {
        sendBatch(topic: string, messages: Message[]) {
          return new Promise((resolve, reject) => {
            calls.push({
              messages,
              release: () => { real.sendBatch(topic, messages).then(resolve, reject); },
            });
          });
        },
      } as unknown as Producer;
      // The delayed topic exists on disk from the first open, so delayed sends still park.
      const parker = broker.producer({ acks: 'all' });
      const firstDueMs = Date.now() + 500;
      // One message every 2 ms: each falls due in a tick of its own.
      await parker.sendBatch('slow', Array.from({ length: count },
        (_, i) => ({ value: `m${i}`, deliverAt: firstDueMs + 2 * i })));
      const handle = broker.consumerHandle();
      service = await DelayService.start({
        dataDir, controlBlock: new ControlBlock(handle.controlBlock),
        directory: new TopicDirectory(handle.topicDirectory), producer,
      });
      // Nothing acknowledged: the service stops at the limit, and the rest fall due and wait.
      await waitFor(() => calls.length === inFlightBatchesPerPartitionMax &&
        service!.statistics.pendingCount + service!.statistics.inFlightCount === count &&
        Date.now() > firstDueMs + 2 * count);
      const inFlight = calls.reduce((sum, call) => sum + call.messages.length, 0);
      expect(service.statistics.inFlightCount).toBe(inFlight);
      expect(service.statistics.pendingCount).toBe(count - inFlight);
      calls[0].release();
      // The first ack lets every held message go, as one batch.
      await waitFor(() => calls.length === inFlightBatchesPerPartitionMax + 1);
      expect(calls[inFlightBatchesPerPartitionMax].messages).toHaveLength(count - inFlight);
      for (const call of calls.slice(1)) call.release();
      await waitFor(() => service!.statistics.deliveredCount === count);
      await service.stop();
      service = undefined;
      await broker.close();
      broker = undefined;
      const values = readDelivered(dataDir, 'slow', 1).map((record) => record.value);
      expect(values.sort()).toEqual(Array.from({ length: count }, (_, i) => `m${i}`).sort());
    });
});
