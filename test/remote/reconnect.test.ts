/**
 * `Broker.connect()` across broken connections: an idempotent producer whose connections are
 * cut after the broker handled a Produce but before its answer arrived, and a broker killed
 * (SIGKILL) and restarted on the same port, must still store every record exactly once, and
 * every send must resolve (the client reconnects with backoff and resends the same batches).
 */
import { afterEach, expect, it } from 'vitest';
import { Broker, type RemoteBroker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { killServed, serve, type Served } from './serve-process.js';
import { startProxy, type TcpProxy } from './tcp-proxy.js';

const open: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close().catch(() => undefined);
  killServed();
});

async function servedBehindProxy(dataDir: string): Promise<{ proxy: TcpProxy; served: Served }> {
  const proxy = await startProxy();
  open.push(proxy);
  const served = await serve(dataDir, { advertise: `127.0.0.1:${proxy.port}` });
  proxy.target(served.port);
  return { proxy, served };
}

async function connect(port: number): Promise<RemoteBroker> {
  const broker = await Broker.connect({ brokers: [`127.0.0.1:${port}`],
    reconnectBackoffMs: 20, requestTimeoutMs: 10_000 });
  open.push(broker);
  return broker;
}

/** Every value of the topic, read from the start with a fresh consumer. */
async function readAll(broker: RemoteBroker, topic: string, expected: number): Promise<string[]> {
  const consumer = broker.consumer({ fromBeginning: true });
  await consumer.subscribe(topic);
  const values: string[] = [];
  for await (const message of consumer) {
    values.push(message.value!.toString());
    if (values.length === expected) break;
  }
  // Anything stored twice would sit past the expected count: the log ends must agree.
  const description = await broker.describeTopic(topic);
  const stored = description.partitions.reduce((sum, p) => sum + p.highWatermark, 0);
  await consumer.close();
  expect(stored).toBe(expected);
  return values;
}

function expectEachOnce(values: string[], count: number): void {
  expect(values).toHaveLength(count);
  expect(new Set(values).size).toBe(count);
}

it('stores each record once when connections are cut between append and answer', async () => {
  const { proxy } = await servedBehindProxy(tempDir());
  const broker = await connect(proxy.port);
  const topic = 'cut';
  await broker.createTopic(topic, { partitions: 2 });
  const producer = broker.producer({ acks: 'all', idempotent: true });
  const batches = 60;
  const perBatch = 50;
  const sends: Array<Promise<unknown>> = [];
  let cuts = 0;
  for (let b = 0; b < batches; b++) {
    sends.push(producer.sendBatch(topic, Array.from({ length: perBatch }, (_, i) =>
      ({ key: `k${i % 7}`, value: `b${b}-m${i}` }))));
    if (b % 15 === 5) {
      // Wait until the broker answered something with this cut armed: a request was handled
      // whose answer is lost, so the client must send it again.
      cuts += await proxy.cutAtNextResponse();
    }
  }
  await Promise.all(sends);
  await producer.close();
  expect(cuts).toBe(4);
  expectEachOnce(await readAll(broker, topic, batches * perBatch), batches * perBatch);
});

it('stores each record once across a SIGKILL and restart of mamba serve', async () => {
  const dataDir = tempDir();
  const { proxy, served } = await servedBehindProxy(dataDir);
  const broker = await connect(proxy.port);
  const topic = 'restart';
  await broker.createTopic(topic, { partitions: 2 });
  const producer = broker.producer({ acks: 'all', idempotent: true });
  const batches = 40;
  const perBatch = 25;
  const sends: Array<Promise<unknown>> = [];
  for (let b = 0; b < batches; b++) {
    sends.push(producer.sendBatch(topic, Array.from({ length: perBatch }, (_, i) =>
      ({ value: `b${b}-m${i}` }))));
    if (b === 15) {
      await sends[10];
      served.child.kill('SIGKILL');
      await served.exited;
      const restarted = await serve(dataDir, { listen: `127.0.0.1:${served.port}`,
        advertise: `127.0.0.1:${proxy.port}` });
      proxy.target(restarted.port);
    }
  }
  await Promise.all(sends);
  await producer.close();
  expectEachOnce(await readAll(broker, topic, batches * perBatch), batches * perBatch);
});
