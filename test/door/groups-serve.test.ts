/**
 * Committed offsets outlive `mamba serve`: a kafkajs group commits, the server process is
 * SIGKILLed and started again on the same data directory, and the offsets read back through
 * OffsetFetch are the ones committed (the coordinator's offset store fdatasyncs each commit).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from './wait-for.js';

const cli = path.resolve(import.meta.dirname, '../../dist/src/cli/main.js');
const running = new Set<ChildProcess>();

afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** Starts `mamba serve` and resolves with its port once it prints where it listens. */
function serve(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [cli, 'serve', '--data-dir', dataDir, '--listen',
    '127.0.0.1:0', '--actors', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match !== null) resolve({ child, port: Number(match[1]) });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`mamba serve exited (${code}): ${output}`)));
  });
}

function client(port: number): Kafka {
  return new Kafka({
    clientId: 'restart', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 50 },
  });
}

it('reads back committed offsets after mamba serve is killed and restarted', async () => {
  const dataDir = tempDir();
  const first = await serve(dataDir);
  const kafka = client(first.port);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 2 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'kept', acks: -1, messages: Array.from({ length: 7 }, (_, i) => ({
    value: `v${i}`, partition: i % 2,
  })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'keepers', sessionTimeout: 6000,
    heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'kept', fromBeginning: true });
  let seen = 0;
  await consumer.run({ autoCommitInterval: 20, eachMessage: async () => { seen++; } });
  await waitFor(() => seen === 7, 30_000, 'the records read');
  const committed = async (admin: ReturnType<Kafka['admin']>) =>
    (await admin.fetchOffsets({ groupId: 'keepers', topics: ['kept'] }))[0].partitions
      .map((p) => [p.partition, p.offset]).sort();
  await waitFor(async () => JSON.stringify(await committed(admin)) ===
    JSON.stringify([[0, '4'], [1, '3']]), 30_000, 'the offsets committed');
  // No clean shutdown: the consumer is abandoned and the server killed.
  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));
  // Its server is gone: disconnecting only stops its timers, and may fail to say goodbye.
  await consumer.disconnect().catch(() => undefined);
  await admin.disconnect();

  const second = await serve(dataDir);
  const again = client(second.port).admin();
  await again.connect();
  expect(await committed(again)).toEqual([[0, '4'], [1, '3']]);
  await again.disconnect();
  second.child.kill('SIGTERM');
}, 60_000);
