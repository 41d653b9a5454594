/**
 * An idempotent kafkajs producer whose connection is cut after its Produce request reached the
 * door but before the response came back: kafkajs sends the batch again on a new connection
 * with the same producer id and sequence, the actor recognises it, and the log holds every
 * message once.
 */
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

let broker: Broker | undefined;
let proxy: net.Server | undefined;
const sockets = new Set<net.Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => (proxy === undefined ? resolve(null) : proxy.close(resolve)));
  await broker?.close();
  broker = undefined;
});

/**
 * A TCP proxy in front of the door that, once armed, forwards the next Produce request and
 * then cuts that connection instead of forwarding the door's response.
 */
function startProxy(targetPort: () => number) {
  const state = { armed: false, cuts: 0 };
  proxy = net.createServer((client) => {
    const door = net.connect({ host: '127.0.0.1', port: targetPort() });
    sockets.add(client).add(door);
    let cutting = false;
    client.on('data', (chunk: Buffer) => {
      if (state.armed && chunk.length > 6 && chunk.readInt16BE(4) === 0) {
        state.armed = false;
        cutting = true;
      }
      door.write(chunk);
    });
    door.on('data', (chunk: Buffer) => {
      if (!cutting) {
        client.write(chunk);
        return;
      }
      state.cuts += 1;
      client.destroy();
      door.destroy();
    });
    for (const socket of [client, door]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        door.destroy();
      });
    }
  });
  return new Promise<{ port: number; state: typeof state }>((resolve) => {
    proxy!.listen({ host: '127.0.0.1', port: 0 }, () =>
      resolve({ port: (proxy!.address() as net.AddressInfo).port, state }));
  });
}

it('stores a batch once when the response to an idempotent send is lost', async () => {
  broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
  await broker.createTopic('cut', { partitions: 1 });
  let doorPort = 0;
  const { port: proxyPort, state } = await startProxy(() => doorPort);
  const door = await broker.listen({ port: 0, advertise: `127.0.0.1:${proxyPort}` });
  doorPort = door.address().port;

  const kafka = new Kafka({
    clientId: 'cut', brokers: [`127.0.0.1:${proxyPort}`], logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 50 },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: 'cut', messages: [{ value: 'before' }] });
  state.armed = true;
  await producer.send({ topic: 'cut', messages: [{ value: 'a' }, { value: 'b' }] });
  await producer.send({ topic: 'cut', messages: [{ value: 'after' }] });
  await producer.disconnect();

  expect(state.cuts).toBe(1);
  expect((await broker.describeTopic('cut')).partitions[0].highWatermark).toBe(4);
});
