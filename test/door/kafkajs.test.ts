/**
 * kafkajs 2.2.4 (pure JavaScript, never a flexible version) against a broker's Kafka door:
 * produce → consume with keys, headers and null values, admin (create, delete, metadata,
 * describe configs), ListOffsets, auto-create, and the idempotent producer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { Broker } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

let broker: Broker | undefined;

afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

async function open(options: { autoCreateTopics?: boolean } = {}) {
  broker = await Broker.open({ dataDir: tempDir(), actors: 2, ...options });
  const door = await broker.listen({ host: '127.0.0.1', port: 0 });
  const { host, port } = door.address();
  const kafka = new Kafka({
    clientId: 'test', brokers: [`${host}:${port}`], logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 50 },
  });
  return { broker, door, kafka };
}

describe('kafkajs through the door', () => {
  it('produces and reads back keys, headers and null values; ListOffsets agrees', async () => {
    const { kafka } = await open();
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] }))
      .toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] }))
      .toBe(false);
    const producer = kafka.producer();
    await producer.connect();
    const sent = await producer.send({
      topic: 'orders', acks: -1,
      messages: [
        { key: 'k1', value: 'v1', headers: { h: 'x' }, partition: 0 },
        { key: null, value: null, partition: 0 },
        { key: 'k3', value: 'v3', partition: 1 },
      ],
    });
    expect(sent.map((r) => r.errorCode)).toEqual([0, 0]);
    await producer.send({
      topic: 'orders', compression: CompressionTypes.GZIP,
      messages: [{ key: 'z', value: 'gzipped', partition: 1 }],
    });
    await producer.disconnect();
    const offsets = await admin.fetchTopicOffsets('orders');
    expect(offsets.map((o) => [o.partition, o.low, o.high]).sort())
      .toEqual([[0, '0', '2'], [1, '0', '2']]);
    const metadata = await admin.fetchTopicMetadata({ topics: ['orders'] });
    expect(metadata.topics[0].partitions).toHaveLength(2);
    await admin.disconnect();

    const got = await fetchDirect(kafka, 'orders', [0, 1]);
    expect(got.get(0)).toEqual([
      { offset: '0', key: 'k1', value: 'v1', headers: { h: 'x' } },
      { offset: '1', key: null, value: null, headers: {} },
    ]);
    expect(got.get(1)).toEqual([
      { offset: '0', key: 'k3', value: 'v3', headers: {} },
      { offset: '1', key: 'z', value: 'gzipped', headers: {} },
    ]);
  });

  it('admin: lists, describes configs and deletes topics; auto-creates on produce', async () => {
    const { kafka } = await open({ autoCreateTopics: true });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic: 'auto', messages: [{ value: 'a' }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).toEqual(['auto']);
    const described = await admin.fetchTopicMetadata({ topics: ['auto'] });
    expect(described.topics[0].partitions).toHaveLength(3);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: 'auto', configNames: ['retention.ms'] }],
    });
    expect(configs.resources[0].configEntries).toMatchObject([
      { configName: 'retention.ms', configValue: '-1' },
    ]);
    await admin.deleteTopics({ topics: ['auto'] });
    expect(await admin.listTopics()).toEqual([]);
    await admin.disconnect();
  });
});

interface KafkajsMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findBroker(node: { nodeId: string }): Promise<{
    fetch(request: object): Promise<{
      responses: Array<{ partitions: Array<{ partition: number; messages: KafkajsMessage[] }> }>;
    }>;
  }>;
}

/**
 * Fetches a partition from offset 0 through kafkajs' own Fetch (v11) encoder and decoder, with
 * no group (kafkajs group members are tested in groups-kafkajs.test.ts); its cluster's broker
 * connection does plain fetches, as a group member's fetcher does.
 */
async function fetchDirect(kafka: Kafka, topic: string, partitions: number[]) {
  const symbol = Object.getOwnPropertySymbols(kafka)
    .find((s) => s.description === 'private:Kafka:createCluster')!;
  const createCluster = (kafka as unknown as Record<symbol, (o: object) => KafkajsCluster>)[symbol];
  const cluster = createCluster({});
  await cluster.connect();
  await cluster.refreshMetadata();
  const node = await cluster.findBroker({ nodeId: '0' });
  const result = new Map<number, unknown[]>();
  for (const partition of partitions) {
    const response = await node.fetch({
      maxWaitTime: 100, isolationLevel: 1,
      topics: [{ topic, partitions: [{ partition, fetchOffset: '0', maxBytes: 1 << 20 }] }],
    });
    const messages = response.responses[0].partitions[0].messages;
    result.set(partition, messages.map((m) => ({
      offset: m.offset, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null,
      headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, v.toString()])),
    })));
  }
  await cluster.disconnect();
  return result;
}
