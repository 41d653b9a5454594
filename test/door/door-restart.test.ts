/**
 * The door's worker thread dies (terminated as a crash would): a new one listens on the same
 * address, and a kafkajs idempotent producer that was connected goes on sending after its
 * connection dropped — every acknowledged message is stored exactly once. Repeated crashes are
 * each followed by a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { Broker, type DoorRestartEvent } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

let broker: Broker | undefined;

afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

describe('a door whose worker dies', () => {
  it('listens again on the same address; a connected producer goes on', async () => {
    broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    await broker.createTopic('t', { partitions: 1 });
    const door = await broker.listen({ host: '127.0.0.1', port: 0 });
    const { host, port } = door.address();
    const restarts: DoorRestartEvent[] = [];
    door.on('restart', (event: DoorRestartEvent) => restarts.push(event));
    const kafka = new Kafka({
      clientId: 'restart', brokers: [`${host}:${port}`], logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 50 },
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent: string[] = [];
    const send = async (value: string) => {
      await producer.send({ topic: 't', acks: -1, messages: [{ value }] });
      sent.push(value);
    };
    for (let crash = 1; crash <= 3; crash++) {
      await send(`before-${crash}`);
      const restarted = new Promise<DoorRestartEvent>((resolve) => door.once('restart', resolve));
      await door.crashWorker();
      const event = await restarted;
      expect(event.restarts).toBe(crash);
      expect(event.downtimeMs).toBeGreaterThanOrEqual(0);
      // The same address: the client reconnects where it was.
      expect(door.address()).toEqual({ host, port });
      await send(`after-${crash}`);
    }
    await producer.disconnect();
    expect(restarts).toHaveLength(3);

    const consumer = broker.consumer({ fromBeginning: true });
    await consumer.subscribe('t');
    const values: string[] = [];
    for await (const message of consumer) {
      values.push(new TextDecoder().decode(message.value!));
      if (values.length === sent.length) break;
    }
    await consumer.close();
    expect(values).toEqual(sent);
    expect((await broker.describeTopic('t')).partitions[0].highWatermark).toBe(sent.length);
  });

  it('closes cleanly right after a crash, with no worker left to restart', async () => {
    broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    const door = await broker.listen({ host: '127.0.0.1', port: 0 });
    let restarted = false;
    door.on('restart', () => { restarted = true; });
    await door.crashWorker();
    await door.close();
    expect(restarted).toBe(false);
  });
});
