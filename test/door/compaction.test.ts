/**
 * Compacted topics over the Kafka door: CreateTopics' `cleanup.policy` and friends map to the
 * topic options and DescribeConfigs reports them (kafkajs), and fetches from before, inside and
 * after the gaps the cleaner leaves deliver exactly the kept records, from the next one on
 * (kcat, which is librdkafka, and kafkajs' own Fetch decoder).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { kcat, requireKcat } from './kcat.js';

let broker: Broker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

const keyCount = 10;
const updateCount = 1_000;

/** Updates i = 0..updateCount-1 of `k<i % keyCount>` to `v<i>`, in batches of 50, compacted. */
async function compactedTopic(open: Broker, topic: string): Promise<number[]> {
  const producer = open.producer({ acks: 1 });
  for (let start = 0; start < updateCount; start += 50) {
    await producer.sendBatch(topic, Array.from({ length: 50 }, (_, j) => ({
      key: `k${(start + j) % keyCount}`, value: `v${start + j}`, partition: 0,
    })));
  }
  await producer.close();
  const [result] = await open.compact(topic);
  expect(result.recordsAfter).toBe(keyCount);
  return Array.from({ length: keyCount }, (_, i) => updateCount - keyCount + i);
}

describe('compacted topics through the door', () => {
  it('CreateTopics takes cleanup.policy and DescribeConfigs reports it (kafkajs)', async () => {
    broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    const door = await broker.listen({ host: '127.0.0.1', port: 0 });
    const kafka = new Kafka({ clientId: 'test', brokers: [`127.0.0.1:${door.address().port}`],
      logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'table', numPartitions: 1, configEntries: [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'delete.retention.ms', value: '5000' },
      { name: 'min.cleanable.dirty.ratio', value: '0.3' },
    ] }] });
    await expect(admin.createTopics({ topics: [{ topic: 'bad', configEntries: [
      { name: 'cleanup.policy', value: 'shred' }] }] })).rejects.toThrow();
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{
      type: 2, name: 'table',
      configNames: ['cleanup.policy', 'delete.retention.ms', 'min.cleanable.dirty.ratio'],
    }] });
    const entries = Object.fromEntries(configs.resources[0].configEntries
      .map((entry) => [entry.configName, entry.configValue]));
    expect(entries).toEqual({ 'cleanup.policy': 'compact', 'delete.retention.ms': '5000',
      'min.cleanable.dirty.ratio': '0.3' });
    await admin.disconnect();
    expect((await broker.describeTopic('table')).config).toMatchObject({
      cleanupPolicy: 'compact', deleteRetentionMs: 5000, minCleanableDirtyRatio: 0.3 });
  });

  it('kcat reads the kept records from before, inside and after a gap', async () => {
    requireKcat();
    broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    await broker.createTopic('kv', { cleanupPolicy: 'compact' });
    const kept = await compactedTopic(broker, 'kv');
    const door = await broker.listen({ host: '127.0.0.1', port: 0 });
    const bootstrap = `127.0.0.1:${door.address().port}`;
    for (const from of [0, 500, kept[3]]) {
      const result = await kcat(['-b', bootstrap, '-C', '-t', 'kv', '-p', '0', '-o',
        String(from), '-e', '-q', '-f', '%o %k %s\\n']);
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stdout.trim().split('\n');
      const expected = kept.filter((offset) => offset >= from)
        .map((offset) => `${offset} k${offset % keyCount} v${offset}`);
      expect(lines).toEqual(expected);
    }
  });

  it("kafkajs' Fetch decoder gets the next kept record for an offset inside a gap", async () => {
    broker = await Broker.open({ dataDir: tempDir(), actors: 1 });
    await broker.createTopic('kv', { cleanupPolicy: 'compact' });
    const kept = await compactedTopic(broker, 'kv');
    const door = await broker.listen({ host: '127.0.0.1', port: 0 });
    const kafka = new Kafka({ clientId: 'test', brokers: [`127.0.0.1:${door.address().port}`],
      logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
    for (const from of [0, 123, kept[0] - 1]) {
      const messages = (await fetchFrom(kafka, 'kv', from))
        .filter((message) => Number(message.offset) >= from);
      expect(messages.map((message) => Number(message.offset))).toEqual(kept);
      expect(messages.map((message) => message.value?.toString()))
        .toEqual(kept.map((offset) => `v${offset}`));
    }
  });
});

interface KafkajsMessage {
  offset: string;
  value: Buffer | null;
}

interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findBroker(node: { nodeId: string }): Promise<{
    fetch(request: object): Promise<{
      responses: Array<{ partitions: Array<{ messages: KafkajsMessage[] }> }>;
    }>;
  }>;
}

/**
 * One Fetch from `fromOffset` through kafkajs' own encoder and decoder (its consumer needs
 * consumer groups over the wire; this is what a member's fetcher sends).
 */
async function fetchFrom(kafka: Kafka, topic: string, fromOffset: number):
  Promise<KafkajsMessage[]> {
  const symbol = Object.getOwnPropertySymbols(kafka)
    .find((s) => s.description === 'private:Kafka:createCluster')!;
  const createCluster = (kafka as unknown as Record<symbol, (o: object) => KafkajsCluster>)[symbol];
  const cluster = createCluster({});
  await cluster.connect();
  await cluster.refreshMetadata();
  const node = await cluster.findBroker({ nodeId: '0' });
  const response = await node.fetch({
    maxWaitTime: 100, isolationLevel: 1,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: String(fromOffset),
      maxBytes: 1 << 20 }] }],
  });
  await cluster.disconnect();
  return response.responses[0].partitions[0].messages;
}
