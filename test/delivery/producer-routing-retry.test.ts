/**
 * Producer routing rules and producer retries of retriable errors (issue 13).
 */
import { describe, expect, it } from 'vitest';
import { Broker, MambaError } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { scanPartition } from '../../src/client/partition-scan.js';
import { ACTOR_EPOCH, ACTOR_HEARTBEAT, type ControlBlock } from '../../src/shm/index.js';

function valuesOf(broker: Broker, topic: string, partition: number): string[] {
  const internal = broker as unknown as { controlBlock: never; directory: never };
  const out: string[] = [];
  scanPartition({ controlBlock: internal.controlBlock, directory: internal.directory,
    dataDir: broker.dataDir }, topic, partition, 0, (m) => { out.push(m.value!.toString()); });
  return out;
}

describe('routing rules', () => {
  it('send each message by the first rule that matches, else by the partitioner', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    try {
      await broker.createTopic('orders', { partitions: 4 });
      await broker.createTopic('orders-eu', { partitions: 2 });
      const producer = broker.producer({
        acks: 1,
        partitioner: (_key, partitionCount) => partitionCount - 1,
        routing: [
          { match: { headers: { region: 'eu' } }, topic: 'orders-eu' },
          { match: { key: /^vip-/ }, partition: 0 },
          { match: { topic: 'orders', headers: { tier: ['gold', 'silver'] } }, partition: 1 },
        ],
      });
      const results = await producer.sendBatch('orders', [
        { key: 'vip-1', value: 'a', headers: { region: 'eu' } },
        { key: 'vip-2', value: 'b' },
        { key: 'x', value: 'c', headers: { tier: 'silver' } },
        { key: 'y', value: 'd' },
        { key: 'vip-3', value: 'e', partition: 2 },
      ]);
      expect(results.map((r) => `${r.topic}/${r.partition}`)).toEqual([
        'orders-eu/1', 'orders/0', 'orders/1', 'orders/3', 'orders/2']);
      expect(valuesOf(broker, 'orders-eu', 1)).toEqual(['a']);
      await producer.close();
    } finally {
      await broker.close();
    }
  });

  it('are checked at the edge', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    try {
      await broker.createTopic('orders', { partitions: 2 });
      const cases: Array<[unknown, string]> = [
        [[{ match: { topic: 'nope' }, partition: 0 }], 'UNKNOWN_TOPIC'],
        [[{ match: { key: /a/ }, topic: 'nope' }], 'UNKNOWN_TOPIC'],
        [[{ match: { topic: 'orders' }, partition: 2 }], 'INVALID_PARTITION'],
        [[{ match: { key: 'a' }, partition: 0 }], 'INVALID_CONFIG'],
        [[{ match: {}, partition: 0 }], 'INVALID_CONFIG'],
        [[{ match: { topic: 'orders' } }], 'INVALID_CONFIG'],
        [[{ match: { topic: 'orders' }, partition: 0, extra: 1 }], 'INVALID_CONFIG'],
        ['rules', 'INVALID_CONFIG'],
      ];
      for (const [routing, code] of cases) {
        let error: unknown;
        try {
          broker.producer({ routing: routing as never });
        } catch (e) {
          error = e;
        }
        expect(MambaError.is(error, code as never), `${JSON.stringify(routing)}`).toBe(true);
      }
      // A partition rule for any topic is checked against the topic of the send.
      const producer = broker.producer({ routing: [{ match: { key: /^k/ }, partition: 5 }] });
      const error = await producer.send('orders', { key: 'k1', value: 'v' })
        .then(() => undefined, (e: unknown) => e);
      expect(MambaError.is(error, 'INVALID_PARTITION')).toBe(true);
      await producer.close();
    } finally {
      await broker.close();
    }
  });
});

describe('producer retries', () => {
  const controlBlockOf = (broker: Broker) =>
    (broker as unknown as { controlBlock: ControlBlock }).controlBlock;
  /** Actor 0's epoch: the supervisor bumps it at each (re)start. */
  const epochOf = (broker: Broker) =>
    Atomics.load(controlBlockOf(broker).i32, controlBlockOf(broker).actorWord(0, ACTOR_EPOCH));

  /**
   * Hangs actor 0 and waits (bounded) until its heartbeat word stops moving. The crash promise
   * comes back inside an object: an async function that returned it bare would adopt it, and the
   * caller's await would last until the hung actor was terminated and restarted (with a warm
   * standby, fast enough that a send after it succeeded instead of timing out).
   */
  async function hangActor(broker: Broker): Promise<{ crashed: Promise<void> }> {
    const block = controlBlockOf(broker);
    const heartbeat = block.actorWord(0, ACTOR_HEARTBEAT);
    const crashed = broker.crashActor(0, 'hang');
    const deadline = Date.now() + 5_000;
    let last = Atomics.load(block.i32, heartbeat);
    let still = 0;
    while (still < 4) {
      if (Date.now() > deadline) throw new Error('the actor did not hang');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = Atomics.load(block.i32, heartbeat);
      still = now === last ? still + 1 : 0;
      last = now;
    }
    return { crashed };
  }

  it('retry a TIMEOUT until the actor is back, appending the record once', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1,
      heartbeatDeadlineMs: 1_500 });
    try {
      await broker.createTopic('t', { partitions: 1 });
      const plain = broker.producer({ acks: 1, lingerMs: 0, requestTimeoutMs: 100 });
      const retrying = broker.producer({ acks: 1, lingerMs: 0, requestTimeoutMs: 100,
        retry: { retries: 100, initialRetryTimeMs: 50, maxRetryTimeMs: 200 } });
      const epoch = epochOf(broker);
      const { crashed } = await hangActor(broker);
      const failed = plain.send('t', { value: 'plain' }).then(() => undefined,
        (e: unknown) => e);
      const sent = retrying.send('t', { value: 'retried' });
      expect(MambaError.is(await failed, 'TIMEOUT')).toBe(true);
      const result = await sent;
      // Landed through the restarted actor, the hung one having timed out the plain send.
      expect(epochOf(broker)).toBeGreaterThan(epoch);
      await crashed;
      expect(result.offset).toBeGreaterThanOrEqual(0);
      const values = valuesOf(broker, 't', 0);
      expect(values.filter((v) => v === 'retried')).toEqual(['retried']);
      expect(values.indexOf('retried')).toBe(result.offset);
      await plain.close();
      await retrying.close();
    } finally {
      await broker.close();
    }
  });

  it('give up with the last error after its retries', async () => {
    const broker = await Broker.open({ dataDir: tempDir(), actors: 1,
      heartbeatDeadlineMs: 3_000 });
    try {
      await broker.createTopic('t', { partitions: 1 });
      const producer = broker.producer({ acks: 1, lingerMs: 0, requestTimeoutMs: 50,
        retry: { retries: 2, initialRetryTimeMs: 10 } });
      const epoch = epochOf(broker);
      const { crashed } = await hangActor(broker);
      const error = await producer.send('t', { value: 'v' }).then(() => undefined,
        (e: unknown) => e);
      expect(MambaError.is(error, 'TIMEOUT')).toBe(true);
      // The send gave up against the hung actor, not after its restart.
      expect(epochOf(broker)).toBe(epoch);
      await crashed;
      await producer.close();
    } finally {
      await broker.close();
    }
  });
});
