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
import { batchBytesDefault, inFlightBatchesPerPartitionMax } from '../../src/constants.js';
import { ControlBlock, TopicDirectory } from '../../src/shm/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { readDelivered } from './delay-helpers.js';

const decoder = new TextDecoder();
interface HeldSend { messages: Message[]; release: () => void }

let broker: Broker | undefined;
let service: DelayService | undefined;
/** The sends the test's producer holds back; released on the way out of a failed test. */
let calls: HeldSend[] = [];
afterEach(async () => {
  for (const call of calls.splice(0)) call.release();
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
      const limit = inFlightBatchesPerPartitionMax;
      calls = [];
      const producer = {
        sendBatch(topic: string, messages: Message[]) {
          return new Promise((resolve, reject) => {
            let released = false;
            calls.push({
              messages,
              release: () => {
                if (released) return;
                released = true;
                real.sendBatch(topic, messages).then(resolve, reject);
              },
            });
          });
        },
      } as unknown as Producer;
      const handle = broker.consumerHandle();
      service = await DelayService.start({
        dataDir, controlBlock: new ControlBlock(handle.controlBlock),
        directory: new TopicDirectory(handle.topicDirectory), producer,
      });
      // The delayed topic exists on disk from the first open, so delayed sends still park.
      // Messages over the service's chunk size (the producer's batch size) go one to a batch
      // whatever the timing, so `limit` big ones fill the partition's window; the small ones
      // parked after them find it full.
      const parker = broker.producer({ acks: 'all' });
      const dueMs = Date.now() + 200;
      const big = new Uint8Array(batchBytesDefault + 1);
      for (let i = 0; i < limit; i++) {
        await parker.send('slow', { key: `b${i}`, value: big, deliverAt: dueMs });
      }
      const smallCount = 100;
      await parker.sendBatch('slow', Array.from({ length: smallCount },
        (_, i) => ({ key: `s${i}`, value: `s${i}`, deliverAt: dueMs })));
      // Nothing acknowledged: `limit` batches in flight, the small ones due and held.
      await waitFor(() => Date.now() > dueMs && calls.length === limit &&
        service!.statistics.inFlightCount === limit &&
        service!.statistics.pendingCount === smallCount);
      calls[0].release();
      // The first ack lets every held message go, as one batch.
      await waitFor(() => calls.length === limit + 1);
      expect(calls[limit].messages.map((m) => decoder.decode(m.value as Uint8Array))).toEqual(
        Array.from({ length: smallCount }, (_, i) => `s${i}`));
      for (const call of calls.slice(1)) call.release();
      await waitFor(() => service!.statistics.deliveredCount === limit + smallCount);
      expect(calls).toHaveLength(limit + 1);
      await service.stop();
      service = undefined;
      await broker.close();
      broker = undefined;
      const keys = readDelivered(dataDir, 'slow', 1).map((record) => record.key);
      expect(keys).toEqual([...Array.from({ length: limit }, (_, i) => `b${i}`),
        ...Array.from({ length: smallCount }, (_, i) => `s${i}`)]);
    });
});
