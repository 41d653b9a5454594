/**
 * What `Broker.connect()` returns: the embedded broker's API across the network, to
 * `mamba serve` or any Kafka-compatible cluster.
 *
 * ```ts
 * const broker = await Broker.connect({ brokers: ['127.0.0.1:9092'] }); // was Broker.open(…)
 * await broker.createTopic('orders', { partitions: 4 });
 * await broker.producer({ acks: 'all' }).send('orders', { key: 'k', value: 'v' });
 * ```
 *
 * The same options, message shape, error codes and delivery rules as the embedded broker.
 * What necessarily differs: `listTopics`, `describeTopic`, `consumer.seek` and `consumer.lag`
 * ask the broker, so they return promises (the embedded `listTopics`, `seek` and `lag` answer
 * synchronously; `await` works on both); `describeTopic` reports what Kafka's APIs say (leader,
 * log start and end, the topic configs the broker reports), not the embedded broker's actor
 * and durability fields; topic options with no Kafka config (`flush`, `maxRecordBytes`) are
 * refused.
 */
import { MambaError, closed, invalidConfig, unknownTopic } from '../errors.js';
import {
  resolveTopicOptions, validateTopicName, type ProducerOptions, type TopicOptions,
} from '../options.js';
import type { ConsumerOptions } from '../client/index.js';
import {
  ApiKey, type CreateTopicsResponse, type DeleteTopicsResponse, type DescribeConfigsResponse,
} from '../protocol/index.js';
import { Cluster } from './cluster.js';
import { resolveConnectOptions, type ConnectOptions } from './connect-options.js';
import { fromKafkaCode } from './kafka-error.js';
import { RemoteConsumer } from './remote-consumer.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffset } from './remote-fetcher.js';
import { RemoteProducer } from './remote-producer.js';

export interface RemotePartitionDescription {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  /** The node that leads the partition. */
  leaderId: number;
}

export interface RemoteTopicDescription {
  topic: string;
  /** The partition count, and the settings the broker reports under Kafka's names. */
  config: { partitions: number } & Partial<Record<RemoteTopicSetting, number>>;
  partitions: RemotePartitionDescription[];
}

type RemoteTopicSetting = 'segmentBytes' | 'segmentMs' | 'retentionBytes' | 'retentionMs';

const kafkaConfigNames: Record<RemoteTopicSetting, string> = {
  segmentBytes: 'segment.bytes', segmentMs: 'segment.ms', retentionBytes: 'retention.bytes',
  retentionMs: 'retention.ms',
};
/** DescribeConfigs' resource type for a topic. */
const TOPIC_RESOURCE = 2;

export class RemoteBroker {
  private readonly producers = new Set<RemoteProducer>();
  private readonly consumers = new Set<RemoteConsumer>();
  private isClosed = false;

  private constructor(private readonly cluster: Cluster) {}

  /** Connects to the first bootstrap broker that answers and reads the cluster's metadata. */
  static async connect(options: ConnectOptions): Promise<RemoteBroker> {
    const cluster = new Cluster(resolveConnectOptions(options));
    try {
      await cluster.start();
    } catch (error) {
      cluster.close();
      throw error;
    }
    return new RemoteBroker(cluster);
  }

  async createTopic(topic: string, options: TopicOptions = {}): Promise<void> {
    this.checkOpen();
    validateTopicName(topic);
    resolveTopicOptions(options);
    for (const name of ['flush', 'maxRecordBytes'] as const) {
      if (options[name] !== undefined) {
        throw invalidConfig(`options.${name}`, options[name],
          'left unset: it has no Kafka topic config, so a remote client cannot set it');
      }
    }
    const configs = (Object.keys(kafkaConfigNames) as RemoteTopicSetting[])
      .filter((key) => options[key] !== undefined)
      .map((key) => ({ name: kafkaConfigNames[key], value: String(options[key]) }));
    const result = await this.cluster.retrying(`create topic ${topic}`, async () => {
      const connection = await this.cluster.anyConnection();
      const response = await connection.request<CreateTopicsResponse>(ApiKey.CREATE_TOPICS, {
        topics: [{ name: topic, numPartitions: options.partitions ?? -1, replicationFactor: -1,
          assignments: [], configs }],
        timeoutMs: this.cluster.config.requestTimeoutMs, validateOnly: false,
      });
      return response.topics[0];
    });
    if (result.errorCode !== 0) {
      throw fromKafkaCode(result.errorCode, `create topic ${topic}`, result.errorMessage,
        { topic });
    }
    // The topic appears in metadata once created; wait for it so a send right after finds it.
    await this.cluster.retrying(`metadata of ${topic}`, () => this.cluster.topic(topic)
      .catch((error: unknown) => {
        throw MambaError.is(error, 'UNKNOWN_TOPIC')
          ? new MambaError('NOT_LEADER', `${topic} is not in the metadata yet`) : error;
      }));
  }

  async deleteTopic(topic: string): Promise<void> {
    this.checkOpen();
    const result = await this.cluster.retrying(`delete topic ${topic}`, async () => {
      const connection = await this.cluster.anyConnection();
      const response = await connection.request<DeleteTopicsResponse>(ApiKey.DELETE_TOPICS, {
        topicNames: [topic], topics: [{ name: topic }],
        timeoutMs: this.cluster.config.requestTimeoutMs,
      });
      return response.responses[0];
    });
    if (result.errorCode !== 0) {
      const error = fromKafkaCode(result.errorCode, `delete topic ${topic}`,
        result.errorMessage, { topic });
      throw error.code === 'UNKNOWN_TOPIC' ? unknownTopic(topic) : error;
    }
    await this.cluster.refreshMetadata();
  }

  /** The topics' names (asks the broker, so a promise, where the embedded one is not). */
  async listTopics(): Promise<string[]> {
    this.checkOpen();
    await this.cluster.retrying('list topics', () => this.cluster.refreshMetadata());
    return this.cluster.topicNames();
  }

  async describeTopic(topic: string): Promise<RemoteTopicDescription> {
    this.checkOpen();
    await this.cluster.retrying('metadata', () => this.cluster.refreshMetadata());
    const metadata = this.cluster.cachedTopic(topic);
    if (metadata === undefined) throw unknownTopic(topic);
    const partitions = await Promise.all(metadata.partitions.map(async (p) => ({
      partition: p.partition, leaderId: p.leaderId,
      logStartOffset: await listOffset(this.cluster, topic, p.partition, EARLIEST_TIMESTAMP),
      highWatermark: await listOffset(this.cluster, topic, p.partition, LATEST_TIMESTAMP),
    })));
    return { topic, config: { partitions: partitions.length, ...await this.configsOf(topic) },
      partitions };
  }

  private async configsOf(topic: string): Promise<Partial<Record<RemoteTopicSetting, number>>> {
    const response = await this.cluster.retrying(`describe configs of ${topic}`, async () => {
      const connection = await this.cluster.anyConnection();
      return connection.request<DescribeConfigsResponse>(ApiKey.DESCRIBE_CONFIGS, {
        resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic,
          configurationKeys: Object.values(kafkaConfigNames) }],
        includeSynonyms: false, includeDocumentation: false,
      });
    });
    const result = response.results[0];
    if (result === undefined || result.errorCode !== 0) return {};
    const settings: Partial<Record<RemoteTopicSetting, number>> = {};
    for (const key of Object.keys(kafkaConfigNames) as RemoteTopicSetting[]) {
      const value = result.configs.find((c) => c.name === kafkaConfigNames[key])?.value;
      if (value !== undefined && value !== null && value !== '') settings[key] = Number(value);
    }
    return settings;
  }

  producer(options?: ProducerOptions): RemoteProducer {
    this.checkOpen();
    const producer: RemoteProducer = new RemoteProducer(this.cluster, options,
      () => this.producers.delete(producer));
    this.producers.add(producer);
    return producer;
  }

  consumer(options?: ConsumerOptions): RemoteConsumer {
    this.checkOpen();
    const consumer: RemoteConsumer = new RemoteConsumer(this.cluster, options,
      () => this.consumers.delete(consumer));
    this.consumers.add(consumer);
    return consumer;
  }

  /** Flushes producers, closes consumers (committing and leaving their groups), disconnects. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await Promise.allSettled([...this.producers].map((p) => p.close()));
    await Promise.allSettled([...this.consumers].map((c) => c.close()));
    this.cluster.close();
  }

  private checkOpen(): void {
    if (this.isClosed) throw closed('BROKER_CLOSED', 'remote broker client');
  }
}
