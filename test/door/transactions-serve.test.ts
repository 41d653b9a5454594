/**
 * kafkajs transactions against `mamba serve` as a real process (issue 16: "kafkajs's
 * producer.transaction() and sendOffsets work against mamba serve"): a consume-transform-
 * produce step commits its output and its input offset together; then `mamba serve` is
 * SIGKILLed with a transaction open, and after the restart a new producer with the same
 * transactional id aborts it (fencing), so read_committed readers never see its records and
 * the last stable offset moves past it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { ApiKey, type ListOffsetsResponse } from '../../src/protocol/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { WireClient } from './wire-client.js';

const cli = path.resolve(import.meta.dirname, '../../dist/src/cli/main.js');
const running = new Set<ChildProcess>();
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** Starts `mamba serve` and resolves with its port once it printed where it listens. */
function serve(dataDir: string): Promise<{ child: ChildProcess; port: number;
  exited: Promise<void> }> {
  const child = spawn(process.execPath, [cli, 'serve', '--data-dir', dataDir, '--listen',
    '127.0.0.1:0', '--actors', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    running.delete(child);
    resolve();
  }));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match !== null) resolve({ child, port: Number(match[1]), exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`mamba serve exited: ${output}`)));
  });
}

function client(port: number): Kafka {
  return new Kafka({
    clientId: 'serve-txn', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100 },
  });
}

async function connected<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(
  made: T): Promise<T> {
  await made.connect();
  closers.push(() => made.disconnect());
  return made;
}

/** Offsets 0..end-1 of `topic`'s partition 0 as a read_committed fetch returns them. */
async function committedValues(kafka: Kafka, topic: string, end: number): Promise<string[]> {
  const consumer = await connected(kafka.consumer({ groupId: `check-${Math.random()}`,
    maxWaitTimeInMs: 200 }));
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value!.toString());
        if (Number(message.offset) >= end - 1) resolve();
      },
    }).catch(reject);
  });
  await consumer.stop();
  return values;
}

it('commits output and input offset together; a transaction open at SIGKILL is aborted',
  async () => {
    const dataDir = tempDir();
    let served = await serve(dataDir);
    let kafka = client(served.port);
    const admin = await connected(kafka.admin());
    await admin.createTopics({ topics: [{ topic: 'in', numPartitions: 1 },
      { topic: 'out', numPartitions: 1 }] });
    const plain = await connected(kafka.producer());
    await plain.send({ topic: 'in', messages: [{ value: 'a' }, { value: 'b' }] });

    const step: Producer = await connected(kafka.producer({
      transactionalId: 'step', idempotent: true, maxInFlightRequests: 1,
    }));
    const tx = await step.transaction();
    await tx.send({ topic: 'out', messages: [{ value: 'A' }, { value: 'B' }] });
    await tx.sendOffsets({ consumerGroupId: 'transform', topics: [
      { topic: 'in', partitions: [{ partition: 0, offset: '2' }] },
    ] });
    await tx.commit();
    const offsets = await admin.fetchOffsets({ groupId: 'transform', topics: ['in'] });
    expect(offsets[0].partitions[0].offset).toBe('2');

    const zombie = await step.transaction();
    await zombie.send({ topic: 'out', messages: [{ value: 'lost' }] });
    served.child.kill('SIGKILL');
    await served.exited;
    closers.splice(0); // their sockets died with the process

    served = await serve(dataDir);
    kafka = client(served.port);
    const wire = await WireClient.connect(served.port);
    closers.push(async () => wire.close());
    // ListOffsets latest for read_uncommitted (0) and read_committed (1).
    const latest = async () => Promise.all([0, 1].map(async (isolationLevel) =>
      Number((await wire.call<ListOffsetsResponse>(ApiKey.LIST_OFFSETS, 2, {
        replicaId: -1, isolationLevel,
        topics: [{ name: 'out', partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
      })).topics[0].partitions[0].offset)));
    // A, B, the commit marker at 2, lost at 3: the open transaction holds the LSO at 3.
    expect(await latest()).toEqual([4, 3]);
    const restarted = await connected(kafka.producer({
      transactionalId: 'step', idempotent: true, maxInFlightRequests: 1,
    }));
    const next = await restarted.transaction(); // InitProducerId: fences and aborts 'lost'
    await next.send({ topic: 'out', messages: [{ value: 'C' }] });
    await next.commit();
    // A, B, commit marker, lost, abort marker, C, commit marker.
    expect(await latest()).toEqual([7, 7]);
    expect(await committedValues(kafka, 'out', 6)).toEqual(['A', 'B', 'C']);
    served.child.kill('SIGTERM');
    await served.exited;
  });
