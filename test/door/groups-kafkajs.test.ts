/**
 * Consumer groups over the door with kafkajs 2.2.4: a group of three members in processes of
 * their own, one SIGKILLed (its sockets close without a LeaveGroup) and removed by the session
 * timeout while the other two take its partitions over; and the admin calls on groups
 * (describeGroups, listGroups, fetchOffsets, resetOffsets, deleteGroups).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from './wait-for.js';

const memberScript = path.resolve(import.meta.dirname, 'fixtures/kafkajs-member.mjs');
let broker: Broker | undefined;
const children = new Set<ChildProcess>();

afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await broker?.close();
  broker = undefined;
});

async function open() {
  broker = await Broker.open({ dataDir: tempDir(), actors: 2 });
  const door = await broker.listen({ host: '127.0.0.1', port: 0 });
  const { port } = door.address();
  const kafka = new Kafka({
    clientId: 'test', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 50 },
  });
  return { broker, port, kafka };
}

interface Member {
  child: ChildProcess;
  /** The partitions of the member's latest assignment. */
  partitions: number[];
  messages: string[];
}

function startMember(port: number, groupId: string, topic: string): Member {
  const child = spawn(process.execPath, [memberScript, String(port), groupId, topic],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  const member: Member = { child, partitions: [], messages: [] };
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const event = JSON.parse(line) as { event: string; partitions: number[]; value: string };
      if (event.event === 'join') member.partitions = event.partitions;
      else member.messages.push(event.value);
    }
  });
  return member;
}

describe('kafkajs consumer groups through the door', () => {
  it('a member killed without LeaveGroup is removed by its session timeout', async () => {
    const { kafka, port } = await open();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'jobs', numPartitions: 6 }] });
    const members = [0, 1, 2].map(() => startMember(port, 'workers', 'jobs'));
    const stableWith = async (count: number) => {
      const [group] = (await admin.describeGroups(['workers'])).groups;
      return group.state === 'Stable' && group.members.length === count;
    };
    await waitFor(async () => await stableWith(3) &&
      members.every((m) => m.partitions.length === 2), 60_000);
    expect(members.flatMap((m) => m.partitions).sort()).toEqual([0, 1, 2, 3, 4, 5]);

    const [killed, ...survivors] = members;
    killed.child.kill('SIGKILL');
    await new Promise((resolve) => killed.child.once('exit', resolve));
    await waitFor(async () => await stableWith(2) &&
      survivors.every((m) => m.partitions.length === 3), 60_000);
    expect(survivors.flatMap((m) => m.partitions).sort()).toEqual([0, 1, 2, 3, 4, 5]);

    const producer = kafka.producer();
    await producer.connect();
    const values = Array.from({ length: 30 }, (_, i) => `job-${i}`);
    await producer.send({
      topic: 'jobs', messages: values.map((value, i) => ({ value, partition: i % 6 })),
    });
    await producer.disconnect();
    await waitFor(() => new Set(survivors.flatMap((m) => m.messages)).size === 30, 30_000);
    expect([...new Set(survivors.flatMap((m) => m.messages))].sort()).toEqual([...values].sort());
    await admin.disconnect();
  }, 120_000);

  it('admin describes, lists, fetches, resets and deletes a group', async () => {
    const { kafka } = await open();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'ledger', numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'ledger', messages: Array.from({ length: 10 }, (_, i) => ({
        value: `v${i}`, partition: i % 2,
      })),
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'auditors', sessionTimeout: 6000,
      heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'ledger', fromBeginning: true });
    let seen = 0;
    await consumer.run({ autoCommitInterval: 50, eachMessage: async () => { seen++; } });
    await waitFor(() => seen === 10, 30_000);
    const [running] = (await admin.describeGroups(['auditors'])).groups;
    expect(running.state).toBe('Stable');
    expect(running.protocolType).toBe('consumer');
    expect(running.members).toHaveLength(1);
    expect(running.members[0].clientId).toBe('test');
    await consumer.disconnect();

    const offsets = await admin.fetchOffsets({ groupId: 'auditors', topics: ['ledger'] });
    expect(offsets[0].partitions.map((p) => [p.partition, p.offset]).sort())
      .toEqual([[0, '5'], [1, '5']]);
    const listed = await admin.listGroups();
    expect(listed.groups).toContainEqual({ groupId: 'auditors', protocolType: 'consumer' });
    const [empty] = (await admin.describeGroups(['auditors'])).groups;
    expect(empty.state).toBe('Empty');

    await admin.resetOffsets({ groupId: 'auditors', topic: 'ledger', earliest: true });
    const reset = await admin.fetchOffsets({ groupId: 'auditors', topics: ['ledger'] });
    expect(reset[0].partitions.map((p) => p.offset)).toEqual(['0', '0']);

    await admin.deleteGroups(['auditors']);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('auditors');
    const [gone] = (await admin.describeGroups(['auditors'])).groups;
    expect(gone.state).toBe('Dead');
    await expect(admin.deleteGroups(['auditors'])).rejects.toThrow();
    await admin.disconnect();
  }, 60_000);
});
